import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { Model } from '../../src/model/index.js';
import { MlflowClient, callEndpoint, logModel, registerModel } from '../../src/store/index.js';
import { EXPERIMENT_ID, FIXTURE_STORE, RUN_V1, fileTree } from './fixture-store.js';
import { FakeMlflowServer } from './fake-mlflow-server.js';

const FIXTURE_MODEL = path.join(FIXTURE_STORE, EXPERIMENT_ID, RUN_V1, 'artifacts', 'model');
const ENV_KEYS = [
  'MLFLOW_TRACKING_URI', 'MLFLOW_TRACKING_TOKEN', 'MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD',
  'MLFLOW_HTTP_REQUEST_MAX_RETRIES', 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR', 'MLFLOW_HTTP_REQUEST_BACKOFF_JITTER',
];

describe('REST store against a server speaking MLflow REST API 2.0', () => {
  const server = new FakeMlflowServer();
  let url: string;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    url = await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    for (const k of ENV_KEYS) saved[k] = process.env[k];
    process.env.MLFLOW_TRACKING_URI = url;
    process.env.MLFLOW_TRACKING_TOKEN = 'secret-token';
    server.requiredAuth = 'Bearer secret-token';
    // MLflow's retry policy, without the waits between attempts.
    process.env.MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR = '0';
    process.env.MLFLOW_HTTP_REQUEST_BACKOFF_JITTER = '0';
  });
  afterEach(() => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('tracks a run, logs and registers a model, and loads it back through models:/ and runs:/', async () => {
    const client = new MlflowClient();
    const experimentId = await client.getOrCreateExperiment('iris');
    const run = await client.createRun({ experimentId, runName: 'rest-run' });
    const runId = run.info.runId;
    expect(run.info.artifactUri).toBe(`mlflow-artifacts:/${experimentId}/${runId}/artifacts`);
    await client.logParam(runId, 'estimator', 'LogisticRegression');
    await client.logMetric(runId, 'acc', 0.97, { timestamp: 5, step: 1 });
    const info = await logModel({ runId, artifactPath: 'model', modelDir: FIXTURE_MODEL, client });
    await client.setTerminated(runId, 'FINISHED', 99);

    const batch = server.requests.find((r) => r.path === '/api/2.0/mlflow/runs/log-batch' && (r.body as { metrics: unknown[] }).metrics.length > 0);
    expect(batch?.body).toEqual({ run_id: runId, metrics: [{ key: 'acc', value: 0.97, timestamp: 5, step: 1 }], params: [], tags: [] });
    // NaN and the infinities go as protobuf's JSON strings, as MLflow's client sends them.
    await client.logMetric(runId, 'loss_nan', NaN, { timestamp: 6 });
    await client.logMetric(runId, 'loss_inf', Infinity, { timestamp: 6 });
    await client.logMetric(runId, 'loss_ninf', -Infinity, { timestamp: 6 });
    const sent = server.requests
      .filter((r) => r.path === '/api/2.0/mlflow/runs/log-batch')
      .flatMap((r) => (r.body as { metrics: { key: string; value: unknown }[] }).metrics)
      .filter((m) => m.key.startsWith('loss_'));
    expect(sent.map((m) => m.value)).toEqual(['NaN', 'Infinity', '-Infinity']);
    const metrics = (await client.getRun(runId)).data.metrics;
    expect([metrics.loss_nan, metrics.loss_inf, metrics.loss_ninf]).toEqual([NaN, Infinity, -Infinity]);
    const update = server.requests.find((r) => r.path === '/api/2.0/mlflow/runs/update');
    expect(update?.body).toEqual({ run_id: runId, run_uuid: runId, status: 'FINISHED', end_time: 99 });
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer secret-token')).toBe(true);

    // Files went through the artifact proxy with PUT.
    const uploaded = [...server.artifacts.keys()].filter((k) => k.startsWith(`${experimentId}/${runId}/artifacts/model/`)).map((k) => k.split('/model/')[1]);
    expect(uploaded.sort()).toEqual(fileTree(FIXTURE_MODEL));
    const fetched = await client.getRun(runId);
    expect(fetched.data.params).toMatchObject({ estimator: 'LogisticRegression' });
    expect(JSON.parse(fetched.data.tags['mlflow.log-model.history'])[0]).toMatchObject({ run_id: runId, artifact_path: 'model' });

    const mv = await registerModel(info.modelUri, 'iris', { client });
    expect(mv).toMatchObject({ name: 'iris', version: '1', runId, source: `mlflow-artifacts:/${experimentId}/${runId}/artifacts/model` });
    await client.setRegisteredModelAlias('iris', 'champion', '1');
    await client.transitionModelVersionStage('iris', '1', 'Staging');

    for (const uri of ['models:/iris@champion', 'models:/iris/1', 'models:/iris/Staging', 'models:/iris/latest', `runs:/${runId}/model`]) {
      const dir = await client.downloadUri(uri);
      // MLflow's ModelsArtifactRepository adds registered_model_meta to a model it downloads.
      const registered = uri.startsWith('models:');
      expect(fileTree(dir)).toEqual([...fileTree(FIXTURE_MODEL), ...(registered ? ['registered_model_meta'] : [])].sort());
      if (registered) expect(readFileSync(path.join(dir, 'registered_model_meta'), 'utf8')).toBe("model_name: iris\nmodel_version: '1'\n");
      expect(readFileSync(path.join(dir, 'model.pkl'))).toEqual(readFileSync(path.join(FIXTURE_MODEL, 'model.pkl')));
      const model = await Model.load(uri);
      expect(model.runId).toBe(runId);
    }
    const direct = await Model.load(`${url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model`);
    expect(direct.artifactPath).toBe('model');
    expect((await client.listArtifacts(runId, 'model')).find((f) => f.path === 'model/model.pkl')).toEqual({
      path: 'model/model.pkl',
      isDir: false,
      fileSize: 974,
    });
  });

  it("passes on the server's error code and message", async () => {
    const client = new MlflowClient();
    await expect(client.getRun('feedfacefeedfacefeedfacefeedface')).rejects.toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      message: "Run 'feedfacefeedfacefeedfacefeedface' not found",
    });
    await expect(client.getModelVersion('nothing', '3')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(Model.load('models:/nothing/3')).rejects.toThrow('Model Version (name=nothing, version=3) not found');
    expect(await client.getExperimentByName('no-such-experiment')).toBeUndefined();
    // A run's missing artifact: MLflow's HttpArtifactRepository fails on the 404 (requests'
    // HTTPError, no MLflow error code); here RESOURCE_DOES_NOT_EXIST naming the artifact.
    const run = await client.createRun({ experimentId: await client.getOrCreateExperiment('missing') });
    const missing = client.downloadUri(`runs:/${run.info.runId}/missing`);
    await expect(missing).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(missing).rejects.toThrow('missing');
  });

  it('sends Basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD (before a token, as MLflow), and fails clearly without it', async () => {
    process.env.MLFLOW_TRACKING_USERNAME = 'ann';
    process.env.MLFLOW_TRACKING_PASSWORD = 'pw';
    server.requiredAuth = `Basic ${Buffer.from('ann:pw').toString('base64')}`;
    expect(await new MlflowClient().getExperimentByName('nope')).toBeUndefined();
    process.env.MLFLOW_TRACKING_PASSWORD = 'wrong';
    const err = await new MlflowClient().getExperimentByName('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect(err).toMatchObject({ errorCode: 'UNAUTHENTICATED', message: 'Credentials were not supplied' });
  });

  it('retries transient failures of the REST API and of artifact downloads, POSTs included', async () => {
    const client = new MlflowClient();
    const experimentId = await client.getOrCreateExperiment('retries');
    server.failures.push({ pathPrefix: '/api/2.0/mlflow/runs/create', status: 503 }, { pathPrefix: '/api/2.0/mlflow/runs/create', status: 502 });
    const before = server.requests.length;
    const run = await client.createRun({ experimentId, runName: 'retried' });
    const creates = server.requests.slice(before).filter((r) => r.path === '/api/2.0/mlflow/runs/create');
    expect(creates).toHaveLength(3);
    expect(creates[2].body).toMatchObject({ experiment_id: experimentId, run_name: 'retried' });
    await logModel({ runId: run.info.runId, artifactPath: 'model', modelDir: FIXTURE_MODEL, client });
    server.failures.push(
      { pathPrefix: '/api/2.0/mlflow/runs/get', status: 429 },
      { pathPrefix: '/api/2.0/mlflow-artifacts/artifacts', status: 500 },
      { pathPrefix: `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${run.info.runId}/artifacts/model/model.pkl`, status: 504 },
    );
    const dir = await client.downloadUri(`runs:/${run.info.runId}/model`);
    expect(server.failures).toEqual([]);
    expect(readFileSync(path.join(dir, 'model.pkl'))).toEqual(readFileSync(path.join(FIXTURE_MODEL, 'model.pkl')));
  });

  it('gives up after MLFLOW_HTTP_REQUEST_MAX_RETRIES retries, naming the endpoint, status and attempts', async () => {
    process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES = '2';
    const before = server.requests.length;
    for (let i = 0; i < 5; i++) server.failures.push({ pathPrefix: '/api/2.0/mlflow/runs/get', status: 503 });
    await expect(new MlflowClient().getRun('abc')).rejects.toMatchObject({
      errorCode: 'TEMPORARILY_UNAVAILABLE',
      message: "API request to endpoint /api/2.0/mlflow/runs/get failed with error code 503 != 200 after 3 attempts (too many 503 error responses). Response body: 'transient 503'",
    });
    expect(server.requests.length - before).toBe(3);
    server.failures.length = 0;
  });

  it("reports a non-JSON error body as MLflow's client does", async () => {
    server.requiredAuth = undefined;
    process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES = '0';
    await expect(callEndpoint({ host: url }, 'mlflow/broken')).rejects.toMatchObject({
      errorCode: 'INTERNAL_ERROR',
      message: "API request to endpoint /api/2.0/mlflow/broken failed with error code 500 != 200. Response body: '<html>Internal Server Error</html>'",
    });
  });

  it('reports an unreachable server', async () => {
    const closed = new FakeMlflowServer();
    const closedUrl = await closed.start();
    await closed.stop();
    const err = await new MlflowClient(closedUrl).getRun('abc').catch((e: unknown) => e);
    expect(err).toMatchObject({ errorCode: 'TEMPORARILY_UNAVAILABLE' });
    expect((err as Error).message).toMatch(
      new RegExp(`^API request to ${closedUrl}/api/2.0/mlflow/runs/get failed with exception fetch failed: .*ECONNREFUSED.* \\(8 attempts\\)$`),
    );
  });
});

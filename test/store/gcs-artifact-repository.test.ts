import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Model } from '../../src/model/index.js';
import { GcsArtifactRepository, MlflowClient, logModel, parseGcsUri, registerModel } from '../../src/store/index.js';
import { downloadsRoot } from '../../src/store/download-dir.js';
import { EXPERIMENT_ID, FIXTURE_STORE, RUN_V1, fileTree } from './fixture-store.js';
import { FakeGcsServer } from './fake-gcs-server.js';

const FIXTURE_MODEL = path.join(FIXTURE_STORE, EXPERIMENT_ID, RUN_V1, 'artifacts', 'model');
const MODEL_FILES = fileTree(FIXTURE_MODEL);
const ENV_KEYS = [
  'STORAGE_EMULATOR_HOST',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'CLOUDSDK_CONFIG',
  'HOME',
  'MLFLOW_TRACKING_URI',
  'GCE_METADATA_HOST',
  'GCE_METADATA_IP',
  'METADATA_SERVER_DETECTION',
  'MLFLOW_GCS_DEFAULT_TIMEOUT',
];

function putModel(server: FakeGcsServer, bucket: string, prefix: string): void {
  for (const f of MODEL_FILES) server.put(bucket, `${prefix}/${f}`, readFileSync(path.join(FIXTURE_MODEL, f)));
}

function tmp(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('gs:// artifacts against a server answering as the GCS JSON API', () => {
  const server = new FakeGcsServer();
  const saved: Record<string, string | undefined> = {};
  let url: string;
  beforeAll(async () => {
    url = await server.start();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    for (const k of ENV_KEYS) saved[k] = process.env[k];
    for (const k of ENV_KEYS) delete process.env[k];
    // No gcloud folder of the machine's own, and no probing for a metadata server at 169.254.169.254.
    process.env.HOME = tmp('mlflow-ts-home-');
    process.env.CLOUDSDK_CONFIG = tmp('mlflow-ts-gcloud-');
    process.env.METADATA_SERVER_DETECTION = 'none';
    server.buckets.clear();
    server.deniedObjects.clear();
    server.requests.length = 0;
    server.requiredToken = undefined;
    server.metadataToken = undefined;
    server.metadataRequests.length = 0;
  });
  afterEach(() => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('parses gs URIs', () => {
    expect(parseGcsUri('gs://bucket/a/b/')).toEqual({ bucket: 'bucket', key: 'a/b' });
    expect(() => parseGcsUri('gs:/bucket')).toThrow("Not a GCS URI: 'gs:/bucket'");
  });

  it('loads a model from a direct gs:// URI through STORAGE_EMULATOR_HOST, without credentials', async () => {
    process.env.STORAGE_EMULATOR_HOST = url.replace('http://', '');
    putModel(server, 'models', 'path/to/model');
    server.put('models', 'path/to/model-other/MLmodel', 'not this one');
    const model = await Model.load('gs://models/path/to/model');
    expect(model.runId).toBe(RUN_V1);
    const dir = await new MlflowClient().downloadUri('gs://models/path/to/model');
    expect(fileTree(dir)).toEqual(MODEL_FILES);
    expect(readFileSync(path.join(dir, 'model.pkl'))).toEqual(readFileSync(path.join(FIXTURE_MODEL, 'model.pkl')));
    expect(server.requests.some((r) => r.query.pageToken !== undefined)).toBe(true);
    expect(server.requests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('lists folders and files with sizes', async () => {
    process.env.STORAGE_EMULATOR_HOST = url;
    putModel(server, 'art', 'run/artifacts/model');
    server.put('art', 'run/artifacts/model/extra/deep/notes.txt', 'hello');
    const repo = new GcsArtifactRepository('gs://art/run/artifacts');
    expect(await repo.listArtifacts()).toEqual([{ path: 'model', isDir: true }]);
    const inModel = await repo.listArtifacts('model');
    expect(inModel.map((f) => f.path)).toEqual(['model/extra', ...MODEL_FILES.map((f) => `model/${f}`)].sort());
    expect(inModel.find((f) => f.path === 'model/model.pkl')).toEqual({ path: 'model/model.pkl', isDir: false, fileSize: 974 });
    const one = await repo.downloadArtifacts('model/extra/deep/notes.txt');
    expect(readFileSync(one, 'utf8')).toBe('hello');
  });

  it("takes the GCE metadata server's token (google-auth-library's own detection and fetch) for an authenticated endpoint", async () => {
    // Detection pings the metadata server; google-auth-library caches the answer per process, so this is the only test that lets it.
    delete process.env.METADATA_SERVER_DETECTION;
    process.env.GCE_METADATA_HOST = url.replace('http://', '');
    server.metadataToken = 'ya29.metadata';
    server.requiredToken = 'ya29.metadata';
    putModel(server, 'secure', 'model');
    const dir = await new GcsArtifactRepository('gs://secure/model', { endpoint: url }).downloadArtifacts();
    expect(fileTree(dir)).toEqual(MODEL_FILES);
    expect(server.metadataRequests).toContain('/computeMetadata/v1/instance/service-accounts/default/token');
    expect(server.requests.length).toBeGreaterThan(MODEL_FILES.length);
    expect(server.requests.every((r) => r.authorization === 'Bearer ya29.metadata')).toBe(true);
  });

  it('without any credentials, goes anonymous as MLflow does, and says how to sign in when refused', async () => {
    putModel(server, 'public', 'model');
    const dir = await new GcsArtifactRepository('gs://public/model', { endpoint: url }).downloadArtifacts();
    expect(fileTree(dir)).toEqual(MODEL_FILES);
    expect(server.requests.every((r) => r.authorization === undefined)).toBe(true);
    server.requiredToken = 'ya29.something';
    await expect(new GcsArtifactRepository('gs://public/model', { endpoint: url }).downloadArtifacts()).rejects.toMatchObject({
      errorCode: 'UNAUTHENTICATED',
      message: expect.stringMatching(/^No Google Cloud credentials to read gs:\/\/public\/model, and Google Cloud Storage refused an anonymous request: set GOOGLE_APPLICATION_CREDENTIALS/) as string,
    });
  });

  it('names a credentials file that cannot be read or holds no usable key (MLflow would go anonymous)', async () => {
    const dir = tmp('mlflow-ts-sa-');
    process.env.GOOGLE_APPLICATION_CREDENTIALS = path.join(dir, 'missing.json');
    await expect(new GcsArtifactRepository('gs://secure/model', { endpoint: url }).listArtifacts()).rejects.toMatchObject({
      errorCode: 'UNAUTHENTICATED',
      message: expect.stringMatching(/^The Google credentials file '.*missing\.json' \(GOOGLE_APPLICATION_CREDENTIALS\) cannot be used for gs:\/\/secure\/model: The file at .* does not exist/) as string,
    });
    process.env.GOOGLE_APPLICATION_CREDENTIALS = path.join(dir, 'bad-key.json');
    writeFileSync(process.env.GOOGLE_APPLICATION_CREDENTIALS, JSON.stringify({ type: 'service_account', client_email: 'x@p.iam.gserviceaccount.com', private_key: 'not a key' }));
    await expect(new GcsArtifactRepository('gs://secure/model', { endpoint: url }).listArtifacts()).rejects.toMatchObject({
      errorCode: 'UNAUTHENTICATED',
      message: expect.stringContaining("The Google credentials file '") as string,
    });
    expect(server.requests).toEqual([]);
  });

  it('refuses a MLFLOW_GCS_DEFAULT_TIMEOUT that is not whole seconds or -1', async () => {
    process.env.STORAGE_EMULATOR_HOST = url;
    process.env.MLFLOW_GCS_DEFAULT_TIMEOUT = '1.5';
    await expect(new GcsArtifactRepository('gs://models/m').listArtifacts()).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: 'MLFLOW_GCS_DEFAULT_TIMEOUT must be a whole number of seconds or -1, got: 1.5',
    });
    process.env.MLFLOW_GCS_DEFAULT_TIMEOUT = '-1';
    server.put('models', 'm/MLmodel', 'flavors: {}\n');
    expect(await new GcsArtifactRepository('gs://models/m').listArtifacts()).toEqual([{ path: 'MLmodel', isDir: false, fileSize: 12 }]);
  });

  it('names the URI when the bucket does not exist, and leaves nothing behind', async () => {
    process.env.STORAGE_EMULATOR_HOST = url;
    const before = readdirSync(downloadsRoot());
    await expect(Model.load('gs://no-such-bucket/model')).rejects.toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      message: 'gs://no-such-bucket/model does not exist in Google Cloud Storage: The specified bucket does not exist.',
    });
    expect(readdirSync(downloadsRoot())).toEqual(before);
  });

  it('fails clearly on access denied part-way, with no partial model folder left', async () => {
    process.env.STORAGE_EMULATOR_HOST = url;
    putModel(server, 'models', 'm');
    server.deniedObjects.add('models/m/model.pkl');
    const dst = path.join(tmp('mlflow-ts-gcs-denied-'), 'model');
    const err = await new MlflowClient().downloadUri('gs://models/m', dst).catch((e: unknown) => e);
    expect(err).toMatchObject({ errorCode: 'PERMISSION_DENIED' });
    expect((err as Error).message).toMatch(/^Access denied to gs:\/\/models\/m\/model.pkl: caller does not have storage.objects.get access/);
    expect(existsSync(dst)).toBe(false);
  });

  it('logs a model to a run whose artifact location is gs://, and loads it through models:/', async () => {
    process.env.STORAGE_EMULATOR_HOST = url;
    process.env.MLFLOW_TRACKING_URI = path.join(tmp('mlflow-ts-gcs-store-'), 'mlruns');
    server.put('mlruns', '.keep', '');
    const client = new MlflowClient();
    const experimentId = await client.createExperiment('gcs-iris', 'gs://mlruns/iris');
    const run = await client.createRun({ experimentId });
    const info = await logModel({ runId: run.info.runId, artifactPath: 'model', modelDir: FIXTURE_MODEL, client });
    const stored = [...server.buckets.get('mlruns')!.keys()].filter((k) => k.startsWith(`iris/${run.info.runId}/artifacts/model/`));
    expect(stored.map((k) => k.split('/model/')[1]).sort()).toEqual(MODEL_FILES);
    await registerModel(info.modelUri, 'gcs-iris', { client });
    expect((await Model.load('models:/gcs-iris/1')).runId).toBe(run.info.runId);
  });
});

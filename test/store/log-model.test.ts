import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Model } from '../../src/model/index.js';
import { MlflowClient, logModel, registerModel } from '../../src/store/index.js';
import { EXPERIMENT_ID, FIXTURE_STORE, RUN_V1, copyFixtureStore, fileTree } from './fixture-store.js';

const FIXTURE_MODEL = path.join(FIXTURE_STORE, EXPERIMENT_ID, RUN_V1, 'artifacts', 'model');

describe('Model.load with store URIs (resolvers registered by importing store/)', () => {
  const saved = process.env.MLFLOW_TRACKING_URI;
  let root: string;
  beforeEach(() => {
    root = copyFixtureStore();
    process.env.MLFLOW_TRACKING_URI = root;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.MLFLOW_TRACKING_URI;
    else process.env.MLFLOW_TRACKING_URI = saved;
  });

  it.each([
    ['models:/iris@champion', RUN_V1],
    ['models:/iris/1', RUN_V1],
    ['models:/iris/Staging', '51344f7940d24547a69f9d5811e8ae1e'],
    ['models:/iris/latest', '51344f7940d24547a69f9d5811e8ae1e'],
    [`runs:/${RUN_V1}/model`, RUN_V1],
  ])('loads %s', async (uri, runId) => {
    const model = await Model.load(uri);
    expect(model.runId).toBe(runId);
    expect(Object.keys(model.flavors).sort()).toEqual(['python_function', 'sklearn']);
  });

  it('also takes a file: tracking URI', async () => {
    process.env.MLFLOW_TRACKING_URI = `file://${root}`;
    expect((await Model.load('models:/iris@champion')).runId).toBe(RUN_V1);
  });
});

describe('logModel and registerModel on a fresh file store', () => {
  it('logs the model files, the MLmodel with run_id and artifact_path, and the history tag', async () => {
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-log-')), 'mlruns');
    const client = new MlflowClient(root);
    const experimentId = await client.getOrCreateExperiment('iris');
    const run = await client.createRun({ experimentId });
    const runId = run.info.runId;
    const info = await logModel({ runId, artifactPath: 'model', modelDir: FIXTURE_MODEL, registeredModelName: 'iris', client });
    await client.setTerminated(runId);
    expect(info.modelUri).toBe(`runs:/${runId}/model`);

    const runDir = path.join(root, experimentId, runId);
    const logged = path.join(runDir, 'artifacts', 'model');
    expect(fileTree(logged)).toEqual(fileTree(FIXTURE_MODEL));
    expect(readFileSync(path.join(logged, 'model.pkl'))).toEqual(readFileSync(path.join(FIXTURE_MODEL, 'model.pkl')));
    const mlmodel = parse(readFileSync(path.join(logged, 'MLmodel'), 'utf8'));
    const source = parse(readFileSync(path.join(FIXTURE_MODEL, 'MLmodel'), 'utf8'));
    expect(mlmodel).toEqual({ ...source, run_id: runId, artifact_path: 'model' });

    // The same tags and tag files as the run Python MLflow logged.
    expect(fileTree(path.join(runDir, 'tags'))).toEqual(fileTree(path.join(FIXTURE_STORE, EXPERIMENT_ID, RUN_V1, 'tags')));
    const history = JSON.parse(readFileSync(path.join(runDir, 'tags', 'mlflow.log-model.history'), 'utf8'));
    const fixtureHistory = JSON.parse(readFileSync(path.join(FIXTURE_STORE, EXPERIMENT_ID, RUN_V1, 'tags', 'mlflow.log-model.history'), 'utf8'));
    expect(history).toHaveLength(1);
    expect(Object.keys(history[0])).toEqual(Object.keys(fixtureHistory[0]));
    expect(history[0]).toEqual({ ...fixtureHistory[0], run_id: runId });
    // Python's json.dumps spacing
    expect(readFileSync(path.join(runDir, 'tags', 'mlflow.log-model.history'), 'utf8')).toMatch(/^\[\{"run_id": "/);

    // Registered in the same call: version 1 points at the run's artifact location.
    expect(info.registeredModelVersion).toMatchObject({ name: 'iris', version: '1', runId });
    const v1 = parse(readFileSync(path.join(root, 'models/iris/version-1/meta.yaml'), 'utf8'));
    expect(v1.source).toBe(`file://${runDir}/artifacts/model`);
    expect(v1.run_id).toBe(runId);

    // registerModel on its own adds version 2.
    const v2 = await registerModel(`runs:/${runId}/model`, 'iris', { client });
    expect(v2.version).toBe('2');
    const loaded = await Model.load(await client.downloadUri('models:/iris/2'));
    expect(loaded.runId).toBe(runId);
  });

  it('appends to mlflow.log-model.history on a second logModel', async () => {
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-log2-')), 'mlruns');
    const client = new MlflowClient(root);
    const run = await client.createRun();
    await logModel({ runId: run.info.runId, artifactPath: 'a', modelDir: FIXTURE_MODEL, client });
    await logModel({ runId: run.info.runId, artifactPath: 'b/c', modelDir: FIXTURE_MODEL, client });
    const tags = (await client.getRun(run.info.runId)).data.tags;
    expect(JSON.parse(tags['mlflow.log-model.history']).map((m: { artifact_path: string }) => m.artifact_path)).toEqual(['a', 'b/c']);
    expect(run.info.experimentId).toBe('0');
  });
});

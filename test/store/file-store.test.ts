import { existsSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { beforeEach, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { Model } from '../../src/model/index.js';
import { MlflowClient } from '../../src/store/index.js';
import { toMlflowYaml } from '../../src/store/yaml-file.js';
import { EXPERIMENT_ID, FIXTURE_STORE, RUN_V1, RUN_V2, copyFixtureStore, fileTree } from './fixture-store.js';

async function errorOf(p: Promise<unknown>): Promise<MlflowError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MlflowError);
    return e as MlflowError;
  }
  throw new Error('expected an MlflowError');
}

describe('file store: reading the store Python MLflow 2.22.1 wrote', () => {
  let client: MlflowClient;
  beforeEach(() => {
    client = new MlflowClient(copyFixtureStore());
  });

  it('reads experiments and runs with params, metrics and tags', async () => {
    const exp = await client.getExperimentByName('iris');
    expect(exp?.experimentId).toBe(EXPERIMENT_ID);
    expect(exp?.artifactLocation).toBe(`file:///opt/mlruns-example/${EXPERIMENT_ID}`);
    expect(await client.getExperimentByName('nope')).toBeUndefined();
    const run = await client.getRun(RUN_V1);
    expect(run.info).toMatchObject({ runId: RUN_V1, runName: 'bold-jay-150', status: 'FINISHED', experimentId: EXPERIMENT_ID, userId: 'root' });
    expect(run.info.endTime).toBe(1795712616953);
    expect(run.data.params).toEqual({ estimator: 'LogisticRegression' });
    expect(run.data.metrics).toEqual({ train_accuracy: 0.9733333333333334 });
    expect(run.data.tags['mlflow.runName']).toBe('bold-jay-150');
    expect(JSON.parse(run.data.tags['mlflow.log-model.history'])[0].artifact_path).toBe('model');
  });

  it('reads the registry: versions, stages, aliases, latest', async () => {
    const rm = await client.getRegisteredModel('iris');
    expect(rm.aliases).toEqual({ champion: '1' });
    expect(rm.latestVersions.map((v) => [v.version, v.currentStage])).toEqual([['1', 'None'], ['2', 'Staging']]);
    const v1 = await client.getModelVersion('iris', '1');
    expect(v1).toMatchObject({ name: 'iris', version: '1', runId: RUN_V1, currentStage: 'None', aliases: ['champion'], status: 'READY' });
    expect((await client.getModelVersionByAlias('iris', 'champion')).version).toBe('1');
    expect((await client.getLatestVersions('iris', ['staging'])).map((v) => v.version)).toEqual(['2']);
    expect(await client.getLatestVersions('iris', ['Production'])).toEqual([]);
    expect((await client.getModelVersionForUri('models:/iris/latest')).version).toBe('2');
    expect((await client.getModelVersionForUri('models:/iris/Staging')).version).toBe('2');
    expect(await client.getModelVersionDownloadUri('iris', '2')).toBe(
      `file:///opt/mlruns-example/${EXPERIMENT_ID}/${RUN_V2}/artifacts/model`,
    );
  });

  it('resolves model URIs to the artifacts, relocating /opt/mlruns-example into the copy', async () => {
    const root = client.trackingUri;
    const expected = path.join(root, EXPERIMENT_ID, RUN_V1, 'artifacts', 'model');
    expect(await client.downloadUri('models:/iris@champion')).toBe(expected);
    expect(await client.downloadUri('models:/iris/1')).toBe(expected);
    expect(await client.downloadUri(`runs:/${RUN_V1}/model`)).toBe(expected);
    expect(await client.downloadUri('models:/iris/Staging')).toBe(path.join(root, EXPERIMENT_ID, RUN_V2, 'artifacts', 'model'));
    const files = await client.listArtifacts(RUN_V1, 'model');
    expect(files.map((f) => f.path)).toContain('model/MLmodel');
    expect(files.find((f) => f.path === 'model/model.pkl')).toEqual({ path: 'model/model.pkl', isDir: false, fileSize: 974 });
  });

  it('writes new runs of a relocated experiment into the copy, not the recorded root', async () => {
    const root = client.trackingUri;
    const run = await client.createRun({ experimentId: EXPERIMENT_ID });
    expect(run.info.artifactUri).toBe(`file:///opt/mlruns-example/${EXPERIMENT_ID}/${run.info.runId}/artifacts`);
    await client.logArtifact(run.info.runId, path.join(FIXTURE_STORE, 'models/iris/meta.yaml'), 'copied');
    expect(existsSync(path.join(root, EXPERIMENT_ID, run.info.runId, 'artifacts/copied/meta.yaml'))).toBe(true);
    expect((await client.listArtifacts(run.info.runId)).map((f) => f.path)).toEqual(['copied']);
  });

  it('names the missing run, version, model or alias', async () => {
    const run = await errorOf(client.getRun('0123456789abcdef0123456789abcdef'));
    expect(run.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(run.message).toBe("Run '0123456789abcdef0123456789abcdef' not found");
    const mv = await errorOf(client.getModelVersion('iris', '7'));
    expect(mv.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(mv.message).toBe('Model Version (name=iris, version=7) not found');
    const rm = await errorOf(client.getRegisteredModel('roses'));
    expect(rm.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(rm.message).toBe('Registered Model with name=roses not found');
    const alias = await errorOf(client.downloadUri('models:/iris@nobody'));
    expect(alias.message).toBe('Registered model alias nobody not found.');
    // As MLflow 2.22.1: _get_latest_model_version raises MlflowException(msg), so INTERNAL_ERROR.
    const stage = await errorOf(client.downloadUri('models:/iris/Production'));
    expect(stage.errorCode).toBe('INTERNAL_ERROR');
    expect(stage.message).toBe("No versions of model with name 'iris' and stage 'Production' found");
    const badStage = await errorOf(client.downloadUri('models:/iris/Nope'));
    expect(badStage.message).toBe('Invalid Model Version stage: Nope. Value must be one of None, Staging, Production, Archived.');
    // MLflow's LocalArtifactRepository raises Python's OSError "No such file or directory: '<path>'"
    // (no error code); the same words here, with RESOURCE_DOES_NOT_EXIST as the code.
    const missingArtifact = await errorOf(client.downloadUri(`runs:/${RUN_V1}/no-such-model`));
    expect(missingArtifact.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(missingArtifact.message).toMatch(/^No such file or directory: '.*no-such-model'/);
  });

  it('refuses runs:/ artifact paths that climb out of the run, plain or percent-encoded', async () => {
    for (const rest of ['../../../../etc', '%2e%2e/%2e%2e/%2e%2e', 'model/%2E%2E%2F%2E%2E']) {
      const uri = `runs:/${RUN_V1}/${rest}`;
      const err = await errorOf(Model.load(uri));
      expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect(err.message).toContain(`Invalid artifact path '${rest}'`);
      expect((await errorOf(client.downloadUri(uri))).errorCode).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('refuses ids and names that would leave the store', async () => {
    expect((await errorOf(client.getRun('../../etc'))).message).toBe("Invalid run ID: '../../etc'");
    expect((await errorOf(client.getRegisteredModel('../x'))).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((await errorOf(client.getModelVersion('iris', '../1'))).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((await errorOf(client.downloadArtifacts(RUN_V1, '../../..'))).errorCode).toBe('INVALID_PARAMETER_VALUE');
    const key = await errorOf(client.logParam(RUN_V1, '../evil', 'x'));
    expect(key.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(key.message).toContain("Invalid param name: '../evil'.");
    expect((await errorOf(client.setTag(RUN_V1, '/abs', 'x'))).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((await errorOf(client.setRegisteredModelAlias('iris', '../x', '1'))).errorCode).toBe('INVALID_PARAMETER_VALUE');
  });

  it('changes stages and aliases as MLflow does, in files Python MLflow reads', async () => {
    const root = client.trackingUri;
    await client.transitionModelVersionStage('iris', '1', 'production');
    await client.setRegisteredModelAlias('iris', 'challenger', '2');
    expect((await client.getModelVersionForUri('models:/iris/Production')).version).toBe('1');
    expect(readFileSync(path.join(root, 'models/iris/aliases/challenger'), 'utf8')).toBe('2');
    const meta = parse(readFileSync(path.join(root, 'models/iris/meta.yaml'), 'utf8'));
    expect(meta.aliases).toEqual({ champion: '1', challenger: '2' });
    const v1 = parse(readFileSync(path.join(root, 'models/iris/version-1/meta.yaml'), 'utf8'));
    expect(v1.current_stage).toBe('Production');
    expect(Object.keys(v1)).toEqual(Object.keys(parse(readFileSync(path.join(FIXTURE_STORE, 'models/iris/version-1/meta.yaml'), 'utf8'))));
    await client.transitionModelVersionStage('iris', '2', 'Production', true);
    expect((await client.getModelVersion('iris', '1')).currentStage).toBe('Archived');
    await client.deleteRegisteredModelAlias('iris', 'challenger');
    expect((await client.getRegisteredModel('iris')).aliases).toEqual({ champion: '1' });
  });
});

describe('file store: writing a fresh ./mlruns', () => {
  it('writes the files and meta.yaml keys that Python MLflow writes', async () => {
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-fresh-')), 'mlruns');
    const client = new MlflowClient(root);
    const experimentId = await client.createExperiment('iris');
    expect(experimentId).toMatch(/^[1-9]\d{17}$/);
    const run = await client.createRun({ experimentId, runName: 'my-run' });
    const runId = run.info.runId;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    await client.logParam(runId, 'estimator', 'LogisticRegression');
    await client.logMetric(runId, 'train_accuracy', 0.9733333333333334, { timestamp: 1795712611602 });
    await client.logMetric(runId, 'loss', 1, { timestamp: 1795712611603, step: 2 });
    await client.setTerminated(runId);

    // The default experiment and .trash, as MLflow's FileStore creates them.
    expect(existsSync(path.join(root, '.trash'))).toBe(true);
    expect(parse(readFileSync(path.join(root, '0', 'meta.yaml'), 'utf8')).name).toBe('Default');

    const fixtureRun = path.join(FIXTURE_STORE, EXPERIMENT_ID, RUN_V1);
    const ourRun = path.join(root, experimentId, runId);
    const noArtifacts = (files: string[]): string[] => files.filter((f) => !f.startsWith('artifacts/') && f !== 'tags/mlflow.log-model.history');
    expect(noArtifacts(fileTree(ourRun)).filter((f) => f !== 'metrics/loss')).toEqual(noArtifacts(fileTree(fixtureRun)));
    expect(existsSync(path.join(ourRun, 'artifacts'))).toBe(true);

    const ourMeta = parse(readFileSync(path.join(ourRun, 'meta.yaml'), 'utf8'));
    const fixtureMeta = parse(readFileSync(path.join(fixtureRun, 'meta.yaml'), 'utf8'));
    expect(Object.keys(ourMeta)).toEqual(Object.keys(fixtureMeta));
    expect(ourMeta).toMatchObject({ status: 3, source_type: 4, tags: [], run_name: 'my-run', run_uuid: runId, experiment_id: experimentId });
    expect(ourMeta.artifact_uri).toBe(`file://${root}/${experimentId}/${runId}/artifacts`);
    const ourExp = parse(readFileSync(path.join(root, experimentId, 'meta.yaml'), 'utf8'));
    const fixtureExp = parse(readFileSync(path.join(FIXTURE_STORE, EXPERIMENT_ID, 'meta.yaml'), 'utf8'));
    expect(Object.keys(ourExp)).toEqual(Object.keys(fixtureExp));
    // experiment_id is a quoted string, as PyYAML writes a digit-only str
    expect(readFileSync(path.join(root, experimentId, 'meta.yaml'), 'utf8')).toContain(`experiment_id: '${experimentId}'`);

    expect(readFileSync(path.join(ourRun, 'params/estimator'), 'utf8')).toBe('LogisticRegression');
    expect(readFileSync(path.join(ourRun, 'metrics/train_accuracy'), 'utf8')).toBe('1795712611602 0.9733333333333334 0\n');
    expect(readFileSync(path.join(ourRun, 'metrics/loss'), 'utf8')).toBe('1795712611603 1.0 2\n');
    expect(readFileSync(path.join(ourRun, 'tags/mlflow.source.type'), 'utf8')).toBe('LOCAL');
    expect(readFileSync(path.join(ourRun, 'tags/mlflow.runName'), 'utf8')).toBe('my-run');

    const reread = await client.getRun(runId);
    expect(reread.data.metrics).toEqual({ train_accuracy: 0.9733333333333334, loss: 1 });
    const changed = await errorOf(client.logParam(runId, 'estimator', 'Other'));
    expect(changed.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(changed.message).toContain("Changing param values is not allowed. Param with key='estimator'");
  });

  it('writes meta.yaml byte for byte as PyYAML does', () => {
    const text = readFileSync(path.join(FIXTURE_STORE, 'models/iris/version-2/meta.yaml'), 'utf8');
    expect(toMlflowYaml(parse(text))).toBe(text);
    const runMeta = readFileSync(path.join(FIXTURE_STORE, EXPERIMENT_ID, RUN_V1, 'meta.yaml'), 'utf8');
    expect(toMlflowYaml(parse(runMeta))).toBe(runMeta);
    const rmMeta = readFileSync(path.join(FIXTURE_STORE, 'models/iris/meta.yaml'), 'utf8');
    expect(toMlflowYaml(parse(rmMeta))).toBe(rmMeta);
  });

  it('registers versions with a new registered model', async () => {
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-reg-')), 'mlruns');
    const client = new MlflowClient(root);
    await client.createRegisteredModel('m');
    const dup = await errorOf(client.createRegisteredModel('m'));
    expect(dup.errorCode).toBe('RESOURCE_ALREADY_EXISTS');
    expect(dup.message).toBe('Registered Model (name=m) already exists.');
    const v1 = await client.createModelVersion('m', '/somewhere/model');
    const v2 = await client.createModelVersion('m', 'models:/m/1');
    expect([v1.version, v2.version]).toEqual(['1', '2']);
    expect(await client.getModelVersionDownloadUri('m', '2')).toBe('/somewhere/model');
    const meta = parse(readFileSync(path.join(root, 'models/m/version-2/meta.yaml'), 'utf8'));
    expect(Object.keys(meta)).toEqual(Object.keys(parse(readFileSync(path.join(FIXTURE_STORE, 'models/iris/version-2/meta.yaml'), 'utf8'))));
    expect(meta).toMatchObject({ source: 'models:/m/1', storage_location: '/somewhere/model', version: 2, current_stage: 'None' });
  });
});

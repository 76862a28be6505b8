import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Model } from '../../src/model/index.js';
import { AzureBlobArtifactRepository, MlflowClient, logModel, parseWasbsUri, registerModel } from '../../src/store/index.js';
import { downloadsRoot } from '../../src/store/download-dir.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, Azurite } from './azurite.js';
import { EXPERIMENT_ID, FIXTURE_STORE, RUN_V1, fileTree } from './fixture-store.js';

const FIXTURE_MODEL = path.join(FIXTURE_STORE, EXPERIMENT_ID, RUN_V1, 'artifacts', 'model');
const MODEL_FILES = fileTree(FIXTURE_MODEL);
const ENV_KEYS = ['AZURE_STORAGE_CONNECTION_STRING', 'AZURE_STORAGE_ACCESS_KEY', 'MLFLOW_TRACKING_URI'];
const HOST = `${AZURITE_ACCOUNT}.blob.core.windows.net`;

describe('wasbs:// artifacts against Azurite (the Azure Storage emulator)', () => {
  const azurite = new Azurite();
  const saved: Record<string, string | undefined> = {};
  let models: ContainerClient;

  beforeAll(async () => {
    const url = await azurite.start();
    models = new ContainerClient(`${url}/models`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
    await models.create();
    for (const f of MODEL_FILES) await models.getBlockBlobClient(`path/to/model/${f}`).uploadFile(path.join(FIXTURE_MODEL, f));
    await models.getBlockBlobClient('path/to/model-other/MLmodel').upload('not this one', 12);
    await models.getBlockBlobClient('path/to/model/extra/deep/notes.txt').upload('hello', 5);
  }, 60_000);
  afterAll(() => azurite.stop());
  beforeEach(() => {
    for (const k of ENV_KEYS) saved[k] = process.env[k];
    for (const k of ENV_KEYS) delete process.env[k];
    process.env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;
  });
  afterEach(() => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('parses wasbs URIs as MLflow does, refusing other hosts', () => {
    expect(parseWasbsUri('wasbs://models@acct.blob.core.windows.net/a/b/')).toEqual({ container: 'models', account: 'acct', suffix: 'blob.core.windows.net', key: 'a/b' });
    expect(parseWasbsUri('wasbs://c@acct.blob.core.chinacloudapi.cn')).toEqual({ container: 'c', account: 'acct', suffix: 'blob.core.chinacloudapi.cn', key: '' });
    expect(() => parseWasbsUri('wasbs://c@acct.dfs.core.windows.net/x')).toThrow(/WASBS URI must be of the form <container>@<account>.blob.core.windows.net/);
  });

  it('loads a model from a wasbs:// URI with AZURE_STORAGE_CONNECTION_STRING', async () => {
    const uri = `wasbs://models@${HOST}/path/to/model`;
    const model = await Model.load(uri);
    expect(model.runId).toBe(RUN_V1);
    const dir = await new MlflowClient().downloadUri(uri);
    expect(fileTree(dir)).toEqual([...MODEL_FILES, 'extra/deep/notes.txt'].sort());
    expect(readFileSync(path.join(dir, 'model.pkl'))).toEqual(readFileSync(path.join(FIXTURE_MODEL, 'model.pkl')));
  });

  it('lists folders and files with sizes, and downloads one file', async () => {
    const repo = new AzureBlobArtifactRepository(`wasbs://models@${HOST}/path/to`);
    expect(await repo.listArtifacts()).toEqual([
      { path: 'model', isDir: true },
      { path: 'model-other', isDir: true },
    ]);
    const inModel = await repo.listArtifacts('model');
    expect(inModel.map((f) => f.path)).toEqual(['model/extra', ...MODEL_FILES.map((f) => `model/${f}`)].sort());
    expect(inModel.find((f) => f.path === 'model/model.pkl')).toEqual({ path: 'model/model.pkl', isDir: false, fileSize: 974 });
    expect(readFileSync(await repo.downloadArtifacts('model/extra/deep/notes.txt'), 'utf8')).toBe('hello');
  });

  it('names the URI when the container does not exist, and leaves nothing behind', async () => {
    const before = readdirSync(downloadsRoot());
    await expect(Model.load(`wasbs://no-such-container@${HOST}/model`)).rejects.toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      message: `Listing wasbs://no-such-container@${HOST}/model failed (404): ContainerNotFound`,
    });
    expect(readdirSync(downloadsRoot())).toEqual(before);
  });

  it('fails with PERMISSION_DENIED when the account key is wrong', async () => {
    process.env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString.replace(AZURITE_KEY, Buffer.from('wrong key').toString('base64'));
    await expect(new AzureBlobArtifactRepository(`wasbs://models@${HOST}/path/to/model`).listArtifacts()).rejects.toMatchObject({
      errorCode: 'PERMISSION_DENIED',
      message: `Listing wasbs://models@${HOST}/path/to/model failed (403): AuthorizationFailure`,
    });
    process.env.AZURE_STORAGE_CONNECTION_STRING = 'not a connection string';
    await expect(new AzureBlobArtifactRepository(`wasbs://models@${HOST}/m`).listArtifacts()).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/^AZURE_STORAGE_CONNECTION_STRING is not a usable connection string/) as string,
    });
  });

  it('logs a model to a run whose artifact location is wasbs://, and loads it through models:/', async () => {
    process.env.MLFLOW_TRACKING_URI = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-wasbs-store-')), 'mlruns');
    const client = new MlflowClient();
    const experimentId = await client.createExperiment('wasbs-iris', `wasbs://models@${HOST}/mlruns`);
    const run = await client.createRun({ experimentId });
    const info = await logModel({ runId: run.info.runId, artifactPath: 'model', modelDir: FIXTURE_MODEL, client });
    const stored: string[] = [];
    for await (const b of models.listBlobsFlat({ prefix: `mlruns/${run.info.runId}/artifacts/model/` })) stored.push(b.name.split('/model/')[1]);
    expect(stored.sort()).toEqual(MODEL_FILES);
    await registerModel(info.modelUri, 'wasbs-iris', { client });
    expect((await Model.load('models:/wasbs-iris/1')).runId).toBe(run.info.runId);
  });
});

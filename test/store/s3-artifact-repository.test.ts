import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Model } from '../../src/model/index.js';
import { MlflowClient, S3ArtifactRepository, logModel, parseS3Uri, registerModel } from '../../src/store/index.js';
import { downloadsRoot } from '../../src/store/download-dir.js';
import { EXPERIMENT_ID, FIXTURE_STORE, RUN_V1, fileTree } from './fixture-store.js';
import { FakeS3Server } from './fake-s3-server.js';

const FIXTURE_MODEL = path.join(FIXTURE_STORE, EXPERIMENT_ID, RUN_V1, 'artifacts', 'model');
const MODEL_FILES = fileTree(FIXTURE_MODEL);

/** The variables the S3 client reads; each test starts from these and nothing else of the machine's. */
const S3_ENV: Record<string, string | undefined> = {
  AWS_ACCESS_KEY_ID: 'AKIAMLFLOWTSTEST',
  AWS_SECRET_ACCESS_KEY: 'test-secret',
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: 'eu-west-3',
  // Never reach for the instance metadata service or the machine's own AWS files.
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/mlflow-ts/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/mlflow-ts/aws-credentials',
  MLFLOW_S3_IGNORE_TLS: undefined,
  MLFLOW_S3_UPLOAD_EXTRA_ARGS: undefined,
  MLFLOW_TRACKING_URI: undefined,
};

function putModel(server: FakeS3Server, bucket: string, prefix: string): void {
  for (const f of MODEL_FILES) server.put(bucket, `${prefix}/${f}`, readFileSync(path.join(FIXTURE_MODEL, f)));
}

describe('s3:// artifacts against a server answering as S3/MinIO (MLFLOW_S3_ENDPOINT_URL)', () => {
  const server = new FakeS3Server();
  const saved: Record<string, string | undefined> = {};
  let endpoint: string;
  beforeAll(async () => {
    endpoint = await server.start();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    for (const k of [...Object.keys(S3_ENV), 'MLFLOW_S3_ENDPOINT_URL']) saved[k] = process.env[k];
    for (const [k, v] of Object.entries(S3_ENV)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.env.MLFLOW_S3_ENDPOINT_URL = endpoint;
    server.buckets.clear();
    server.deniedKeys.clear();
    server.deniedBuckets.clear();
    server.requests.length = 0;
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('parses s3 URIs', () => {
    expect(parseS3Uri('s3://bucket/path/to/model/')).toEqual({ bucket: 'bucket', key: 'path/to/model' });
    expect(parseS3Uri('s3://bucket')).toEqual({ bucket: 'bucket', key: '' });
    expect(() => parseS3Uri('s3:///key')).toThrow("Not an S3 URI: 's3:///key'");
  });

  it('loads a model from a direct s3:// model URI, signed with the configured region, path-style', async () => {
    putModel(server, 'models', 'path/to/model');
    server.put('models', 'path/to/model-other/MLmodel', 'not this one');
    const model = await Model.load('s3://models/path/to/model');
    expect(model.runId).toBe(RUN_V1);
    expect(Object.keys(model.flavors).sort()).toEqual(['python_function', 'sklearn']);

    const dir = await new MlflowClient().downloadUri('s3://models/path/to/model');
    expect(fileTree(dir)).toEqual(MODEL_FILES);
    expect(readFileSync(path.join(dir, 'model.pkl'))).toEqual(readFileSync(path.join(FIXTURE_MODEL, 'model.pkl')));
    expect(path.dirname(dir)).toBe(downloadsRoot());
    // Path-style (/<bucket>/?list-type=2...), paged with continuation tokens, SigV4 for eu-west-3.
    const lists = server.requests.filter((r) => r.path === '/models/' && r.query['list-type'] === '2');
    expect(lists.length).toBeGreaterThan(1);
    expect(lists.some((r) => r.query['continuation-token'] !== undefined)).toBe(true);
    expect(server.requests.every((r) => /Credential=AKIAMLFLOWTSTEST\/\d{8}\/eu-west-3\/s3\/aws4_request/.test(r.authorization ?? ''))).toBe(true);
  });

  it('lists folders and files with sizes, as MLflow does, across pages', async () => {
    putModel(server, 'art', 'run/artifacts/model');
    server.put('art', 'run/artifacts/model/extra/deep/notes.txt', 'hello');
    server.put('art', 'run/artifacts/model/extra/', '');
    const repo = new S3ArtifactRepository('s3://art/run/artifacts');
    const top = await repo.listArtifacts();
    expect(top).toEqual([{ path: 'model', isDir: true }]);
    const inModel = await repo.listArtifacts('model');
    expect(inModel.map((f) => f.path)).toEqual(['model/extra', ...MODEL_FILES.map((f) => `model/${f}`)].sort());
    expect(inModel.find((f) => f.path === 'model/model.pkl')).toEqual({ path: 'model/model.pkl', isDir: false, fileSize: 974 });
    expect(await repo.listArtifacts('model/extra')).toEqual([{ path: 'model/extra/deep', isDir: true }]);
    expect(await repo.listArtifacts('nothing-here')).toEqual([]);

    const dst = mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-s3-'));
    const local = await repo.downloadArtifacts('model/extra', dst);
    expect(local).toBe(path.join(dst, 'model', 'extra'));
    expect(readFileSync(path.join(local, 'deep', 'notes.txt'), 'utf8')).toBe('hello');
    expect(readdirSync(dst)).toEqual(['model']);
    const single = await repo.downloadArtifacts('model/MLmodel', dst);
    expect(readFileSync(single)).toEqual(readFileSync(path.join(FIXTURE_MODEL, 'MLmodel')));
  });

  it('logs a model to a run whose artifact location is s3://, and loads it through runs:/ and models:/', async () => {
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-s3-store-')), 'mlruns');
    process.env.MLFLOW_TRACKING_URI = root;
    server.put('mlruns', '.keep', '');
    const client = new MlflowClient();
    const experimentId = await client.createExperiment('s3-iris', 's3://mlruns/experiments/iris');
    const run = await client.createRun({ experimentId });
    expect(run.info.artifactUri).toBe(`s3://mlruns/experiments/iris/${run.info.runId}/artifacts`);
    const info = await logModel({ runId: run.info.runId, artifactPath: 'model', modelDir: FIXTURE_MODEL, client });
    const stored = [...server.buckets.get('mlruns')!.keys()].filter((k) => k.startsWith(`experiments/iris/${run.info.runId}/artifacts/model/`));
    expect(stored.map((k) => k.split('/model/')[1]).sort()).toEqual(MODEL_FILES);

    await registerModel(info.modelUri, 's3-iris', { client });
    for (const uri of [`runs:/${run.info.runId}/model`, 'models:/s3-iris/1']) {
      const model = await Model.load(uri);
      expect(model.runId).toBe(run.info.runId);
      expect(model.artifactPath).toBe('model');
    }
  });

  it('names the URI when the bucket does not exist, and leaves nothing behind', async () => {
    const before = readdirSync(downloadsRoot());
    const err = await Model.load('s3://no-such-bucket/path/model').catch((e: unknown) => e);
    expect(err).toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      message: "Downloading s3://no-such-bucket/path/model failed: the bucket 'no-such-bucket' does not exist (NoSuchBucket)",
    });
    expect(readdirSync(downloadsRoot())).toEqual(before);
  });

  it('reports a path with no artifacts under it', async () => {
    putModel(server, 'models', 'path/to/model');
    await expect(Model.load('s3://models/path/to/missing')).rejects.toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      message: 'No artifacts found at s3://models/path/to/missing',
    });
  });

  it('fails clearly on access denied part-way, with no partial model folder left', async () => {
    putModel(server, 'models', 'path/to/model');
    server.deniedKeys.add('models/path/to/model/model.pkl');
    const parent = mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-s3-denied-'));
    const dst = path.join(parent, 'model');
    const err = await new MlflowClient().downloadUri('s3://models/path/to/model', dst).catch((e: unknown) => e);
    expect(err).toMatchObject({ errorCode: 'PERMISSION_DENIED' });
    expect((err as Error).message).toMatch(/^Downloading s3:\/\/models\/path\/to\/model\/model.pkl failed: access denied \(AccessDenied: Access Denied\)/);
    expect(existsSync(dst)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);

    // A destination that already existed keeps what it had, and gains nothing.
    server.deniedKeys.clear();
    server.deniedBuckets.add('models');
    const before = readdirSync(parent);
    await expect(new MlflowClient().downloadUri('s3://models/path/to/model', parent)).rejects.toMatchObject({ errorCode: 'PERMISSION_DENIED' });
    expect(readdirSync(parent)).toEqual(before);
  });

  it('refuses listed keys that would climb out of the download folder', async () => {
    server.put('models', 'm/MLmodel', 'flavors: {}\n');
    server.put('models', 'm/../../escape.txt', 'x');
    const dst = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-s3-evil-')), 'out');
    await expect(new S3ArtifactRepository('s3://models/m').downloadArtifacts(undefined, dst)).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: "The listing of s3://models/m holds a key that is not a safe relative path: 'm/../../escape.txt'",
    });
    expect(existsSync(dst)).toBe(false);
  });

  it('uploads and downloads a file at the bucket root', async () => {
    server.put('flat', 'seed', '');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-s3-flat-'));
    const file = path.join(dir, 'weights.bin');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, Buffer.from([1, 2, 3])));
    const repo = new S3ArtifactRepository('s3://flat');
    process.env.MLFLOW_S3_UPLOAD_EXTRA_ARGS = '{"ServerSideEncryption": "AES256"}';
    await repo.logArtifact(file, 'a/b');
    expect(server.buckets.get('flat')!.get('a/b/weights.bin')).toEqual(Buffer.from([1, 2, 3]));
    expect(server.requests.find((r) => r.method === 'PUT')?.headers['x-amz-server-side-encryption']).toBe('AES256');
    process.env.MLFLOW_S3_UPLOAD_EXTRA_ARGS = '["AES256"]';
    await expect(repo.logArtifact(file)).rejects.toThrow('MLFLOW_S3_UPLOAD_EXTRA_ARGS must be a JSON object of strings, got: ["AES256"]');
    const got = await repo.downloadArtifacts('a/b/weights.bin');
    expect(readFileSync(got)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('checks TLS certificates unless MLFLOW_S3_IGNORE_TLS is set', async () => {
    const fixtures = fileURLToPath(new URL('../fixtures/store/', import.meta.url));
    const secure = new FakeS3Server({ key: readFileSync(path.join(fixtures, 'tls-key.pem')), cert: readFileSync(path.join(fixtures, 'tls-cert.pem')) });
    process.env.MLFLOW_S3_ENDPOINT_URL = await secure.start();
    try {
      secure.put('models', 'm/MLmodel', 'flavors: {}\n');
      const err = await new S3ArtifactRepository('s3://models/m').downloadArtifacts().catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/^Downloading s3:\/\/models\/m failed: .*self-signed certificate/);
      process.env.MLFLOW_S3_IGNORE_TLS = 'true';
      const dir = await new S3ArtifactRepository('s3://models/m').downloadArtifacts();
      expect(readFileSync(path.join(dir, 'MLmodel'), 'utf8')).toBe('flavors: {}\n');
    } finally {
      await secure.stop();
    }
  });
});

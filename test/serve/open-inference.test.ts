import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, type ScoringServer } from '../../src/serve/index.js';
import { servedModelName } from '../../src/serve/served-model-name.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const quiet = pino({ level: 'silent' });

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers are checked field by field
  json: () => any }

function call(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString('utf8')) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3]];
const IRIS_COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/** The same rows as V2 column tensors, each [n, 1] or [n]. */
function irisV2(shape: 'column' | 'flat' = 'column'): Record<string, unknown> {
  return {
    id: 'req-1',
    inputs: IRIS_COLUMNS.map((name, j) => ({
      name,
      datatype: 'FP64',
      shape: shape === 'column' ? [IRIS_ROWS.length, 1] : [IRIS_ROWS.length],
      data: IRIS_ROWS.map((r) => r[j]),
    })),
  };
}

describe('Open Inference Protocol V2 on a scikit-learn model with a column signature', () => {
  let server: ScoringServer;
  let port: number;
  beforeAll(async () => {
    const uri = fixture('sklearn/mlflow-2.22.1/iris_logreg');
    server = createScoringServer(await loadPredictor(uri), { logger: quiet, modelName: 'iris', modelVersion: '3', corsOrigins: ['https://app.example'] });
    port = (await server.listen(0)).port;
  });
  afterAll(() => server.close());

  it('answers server metadata and health', async () => {
    const meta = await call(port, 'GET', '/v2');
    expect(meta.status).toBe(200);
    expect(meta.json()).toMatchObject({ name: 'mlflow-ts', extensions: ['binary_tensor_data', 'model_repository'] });
    expect((await call(port, 'GET', '/v2/health/live')).status).toBe(200);
    expect((await call(port, 'GET', '/v2/health/ready')).status).toBe(200);
    expect((await call(port, 'GET', '/v2/models/iris/ready')).status).toBe(200);
    expect((await call(port, 'GET', '/v2/models/iris/versions/3/ready')).status).toBe(200);
  });

  it('describes the model from its signature as MLServer does', async () => {
    const r = await call(port, 'GET', '/v2/models/iris');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({
      name: 'iris',
      versions: ['3'],
      platform: 'mlflow',
      inputs: IRIS_COLUMNS.map((name) => ({ name, datatype: 'FP64', shape: [-1, 1], parameters: { content_type: 'np' } })),
      outputs: [{ name: 'output-0', datatype: 'INT64', shape: [-1], parameters: { content_type: 'np' } }],
      parameters: { content_type: 'pd' },
    });
  });

  it('scores column tensors as a table, with the same predictions as /invocations', async () => {
    const mlflow = await call(port, 'POST', '/invocations', JSON.stringify({ dataframe_split: { columns: IRIS_COLUMNS, data: IRIS_ROWS } }));
    expect(mlflow.status).toBe(200);
    const expected = mlflow.json().predictions as number[];
    for (const shape of ['column', 'flat'] as const) {
      const r = await call(port, 'POST', '/v2/models/iris/infer', JSON.stringify(irisV2(shape)));
      expect(r.status).toBe(200);
      expect(r.json()).toEqual({
        model_name: 'iris',
        model_version: '3',
        id: 'req-1',
        parameters: {},
        outputs: [{ name: 'output-1', datatype: 'INT64', shape: [3, 1], parameters: { content_type: 'np' }, data: expected }],
      });
    }
    const versioned = await call(port, 'POST', '/v2/models/iris/versions/3/infer', JSON.stringify(irisV2()));
    expect(versioned.json().outputs[0].data).toEqual(expected);
  });

  it('gives a request without an id a new UUID-form id on each answer (MLServer: uuid4)', async () => {
    const { id: _, ...anonymous } = irisV2();
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await call(port, 'POST', '/v2/models/iris/infer', JSON.stringify(anonymous));
      expect(r.status).toBe(200);
      const { id, model_name: modelName } = r.json() as { id: string; model_name: string };
      expect(modelName).toBe('iris');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(3);
  });

  it('reads the binary tensor data extension and answers in it when asked', async () => {
    const header = {
      inputs: IRIS_COLUMNS.map((name) => ({ name, datatype: 'FP32', shape: [3, 1], parameters: { binary_data_size: 12 } })),
      outputs: [{ name: 'output-1', parameters: { binary_data: true } }],
    };
    const json = Buffer.from(JSON.stringify(header));
    const blobs = IRIS_COLUMNS.map((_, j) => Buffer.from(new Float32Array(IRIS_ROWS.map((r) => r[j])).buffer));
    const r = await call(port, 'POST', '/v2/models/iris/infer', Buffer.concat([json, ...blobs]), {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(json.length),
    });
    expect(r.status).toBe(200);
    const n = Number(r.headers['inference-header-content-length']);
    const head = JSON.parse(r.body.subarray(0, n).toString('utf8'));
    expect(head.outputs[0]).toMatchObject({ name: 'output-1', datatype: 'INT64', shape: [3, 1], parameters: { binary_data_size: 24 } });
    expect(head.outputs[0].data).toBeUndefined();
    const tail = r.body.subarray(n);
    expect(Array.from(new BigInt64Array(new Uint8Array(tail).buffer), Number)).toEqual([0, 1, 2]);
  });

  it('refuses bad requests with the protocol error body and a 4xx naming the field', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['/v2/models/iris/infer', '{', 400, /not valid JSON/],
      ['/v2/models/iris/infer', { inputs: [] }, 400, /'inputs' must be a non-empty list/],
      ['/v2/models/iris/infer', { inputs: [{ name: 'a', shape: [2], datatype: 'FP128', data: [1, 2] }] }, 400, /datatype of input 'a'/],
      ['/v2/models/iris/infer', { inputs: [{ name: 'a', shape: [3], datatype: 'FP64', data: [1, 2] }] }, 400, /input 'a' has 2 values but its shape \[3\] needs 3/],
      ['/v2/models/iris/infer', { inputs: [{ name: 'a', shape: [1], datatype: 'INT8', data: [300] }] }, 400, /out of its range/],
      ['/v2/models/iris/infer', { inputs: [{ name: 'a', shape: [2, 2], datatype: 'FP64', data: [1, 2, 3, 4] }] }, 400, /a table column must be/],
      ['/v2/models/iris/infer', { ...irisV2(), outputs: [{ name: 'proba' }] }, 400, /Output 'proba' is not among/],
      ['/v2/models/iris/infer', { ...irisV2(), parameters: { content_type: 'xml' } }, 400, /content type 'xml'/],
      ['/v2/models/iris/infer', { ...irisV2(), outputs: [{ name: 'output-1', parameters: { classification: 2 } }] }, 400, /outputs\[0\]\.parameters\.classification is not supported/],
      ['/v2/models/iris/infer', { ...irisV2(), parameters: { binary_data_output: 'yes' } }, 400, /binary_data_output must be true or false/],
      ['/v2/models/iris/infer', { inputs: [{ name: 'a', shape: [1], datatype: 'FP64', data: [1], parameters: { shm_region: 'x' } }] }, 400, /inputs\[0\]\.parameters\.shm_region is not supported/],
      ['/v2/models/iris/infer', { inputs: [{ name: 'sepal_length', shape: [1], datatype: 'FP64', data: [1] }] }, 400, /sepal_width/],
      ['/v2/models/nope/infer', irisV2(), 404, /Model nope not found/],
      ['/v2/models/iris/versions/9/infer', irisV2(), 404, /Model iris with version 9 not found/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await call(port, 'POST', path, typeof body === 'string' ? body : JSON.stringify(body));
      expect([path, r.status]).toEqual([path, status]);
      expect(r.json().error).toMatch(message);
    }
    const get = await call(port, 'GET', '/v2/models/iris/infer');
    expect(get.status).toBe(405);
    expect((await call(port, 'GET', '/v2/models/nope')).status).toBe(404);
  });

  it('takes gzip request bodies and compresses large answers when asked', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => IRIS_ROWS[i % 3]);
    const body = gzipSync(JSON.stringify({ dataframe_split: { columns: IRIS_COLUMNS, data: rows } }));
    const r = await call(port, 'POST', '/invocations', body, { 'content-encoding': 'gzip', 'accept-encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(r.body).toString('utf8')).predictions).toHaveLength(400);
    const plain = await call(port, 'POST', '/invocations', body, { 'content-encoding': 'gzip' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.json().predictions).toHaveLength(400);
    const broken = await call(port, 'POST', '/invocations', Buffer.from('not gzip'), { 'content-encoding': 'gzip' });
    expect(broken.status).toBe(400);
    expect(broken.json()).toMatchObject({ error_code: 'BAD_REQUEST' });
    const unknown = await call(port, 'POST', '/invocations', body, { 'content-encoding': 'zstd' });
    expect(unknown.status).toBe(415);
  });

  it('answers CORS preflights and tags answers for allowed origins only', async () => {
    const pre = await call(port, 'OPTIONS', '/v2/models/iris/infer', undefined, { origin: 'https://app.example', 'access-control-request-method': 'POST' });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    const ok = await call(port, 'GET', '/ping', undefined, { origin: 'https://app.example' });
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await call(port, 'GET', '/ping', undefined, { origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('Open Inference Protocol V2 on tensor signatures', () => {
  it('decodes one unnamed tensor as np and named tensors as dict', async () => {
    const np = createScoringServer(await loadPredictor(fixture('serve/iris-tensor')), { logger: quiet, modelName: 'iris-tensor' });
    const named = createScoringServer(await loadPredictor(fixture('tensorflow/models/times_three_float')), { logger: quiet, modelName: 'times3' });
    try {
      const p1 = (await np.listen(0)).port;
      const meta = (await call(p1, 'GET', '/v2/models/iris-tensor')).json();
      expect(meta.inputs).toEqual([{ name: 'input-0', datatype: 'FP64', shape: [-1, 4], parameters: { content_type: 'np' } }]);
      expect(meta.parameters).toEqual({ content_type: 'np' });
      const mlflow = (await call(p1, 'POST', '/invocations', JSON.stringify({ inputs: IRIS_ROWS }))).json().predictions;
      const v2 = await call(p1, 'POST', '/v2/models/iris-tensor/infer', JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP64', shape: [3, 4], data: IRIS_ROWS }] }));
      expect(v2.status).toBe(200);
      expect(v2.json().outputs).toEqual([{ name: 'output-1', datatype: 'INT64', shape: [3, 1], parameters: { content_type: 'np' }, data: mlflow }]);
      const two = await call(p1, 'POST', '/v2/models/iris-tensor/infer', JSON.stringify({ inputs: [
        { name: 'a', datatype: 'FP64', shape: [1, 4], data: IRIS_ROWS[0] }, { name: 'b', datatype: 'FP64', shape: [1, 4], data: IRIS_ROWS[1] },
      ] }));
      expect(two.status).toBe(400);
      expect(two.json().error).toMatch(/one unnamed tensor; the request has 2 inputs/);

      const p2 = (await named.listen(0)).port;
      expect((await call(p2, 'GET', '/v2/models/times3')).json().parameters).toEqual({ content_type: 'dict' });
      const r = await call(p2, 'POST', '/v2/models/times3/infer', JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: [1, 2.5, -4] }] }));
      expect(r.status).toBe(200);
      const expected = (await call(p2, 'POST', '/invocations', JSON.stringify({ inputs: { x: [1, 2.5, -4] } }))).json().predictions;
      const out = r.json().outputs;
      expect(out).toHaveLength(1);
      expect(out[0].data).toEqual(Array.isArray(expected) ? expected.flat() : Object.values(expected as object).flat());
    } finally {
      await np.close();
      await named.close();
    }
  });
});

describe('servedModelName', () => {
  it('names a model from its URI as a registry or a folder', () => {
    expect(servedModelName('models:/churn/3')).toEqual({ name: 'churn', version: '3' });
    expect(servedModelName('models:/churn@champion')).toEqual({ name: 'churn' });
    expect(servedModelName('runs:/abc123/model')).toEqual({ name: 'model' });
    expect(servedModelName('/srv/models/iris_rf/')).toEqual({ name: 'iris_rf' });
    expect(servedModelName('s3://bucket/path/fraud?versionId=2')).toEqual({ name: 'fraud' });
  });
});

import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPredictor, type Predictor } from '../../src/pyfunc/index.js';
import {
  batchingPredictor,
  createScoringServer,
  ModelRepository,
  parseServeConfig,
  registryLoader,
  type ScoringServer,
} from '../../src/serve/index.js';
import { concatTensors, Frame, makeTensor } from '../../src/frame/index.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const quiet = pino({ level: 'silent' });
const IRIS = fixture('sklearn/mlflow-2.22.1/iris_logreg');
const IRIS_TENSOR = fixture('serve/iris-tensor');
const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const ROWS = [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3]];
const SPLIT = JSON.stringify({ dataframe_split: { columns: COLUMNS, data: ROWS } });

function call(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('serve config', () => {
  it('reads models with reload intervals and batching', () => {
    const config = parseServeConfig(
      ['models:', '  - name: iris', '    uri: models:/iris@champion', '    reload_interval_seconds: 30', '    batching: {max_batch_size: 32, max_wait_ms: 2}', '  - name: rf', '    uri: ./rf', '    runtime: native'].join('\n'),
      'serve.yaml',
    );
    expect(config.models).toEqual([
      { name: 'iris', uri: 'models:/iris@champion', reloadIntervalSeconds: 30, batching: { maxBatchSize: 32, maxWaitMs: 2 } },
      { name: 'rf', uri: './rf', runtime: 'native' },
    ]);
  });

  it('refuses a mistake naming the file, line and key', () => {
    const cases: [string, RegExp][] = [
      ['models:\n  - name: iris\n    uri: ./x\n    relaod: 3', /^serve\.yaml:4: unknown key 'relaod'/],
      ['models:\n  - name: iris\n    uri: ./x\n  - name: iris\n    uri: ./y', /^serve\.yaml:4: model name 'iris' appears twice/],
      ['models:\n  - name: iris', /^serve\.yaml:2: model 'iris' needs a 'uri'/],
      ['models:\n  - name: "a/b"\n    uri: x', /^serve\.yaml:2: 'name' must be letters/],
      ['models:\n  - name: a\n    uri: x\n    batching: {max_batch_size: 0}', /^serve\.yaml:4: 'max_batch_size' must be an integer/],
      ['models:\n  - name: a\n    uri: x\n    reload_interval_seconds: soon', /^serve\.yaml:4: 'reload_interval_seconds' must be/],
      ['modles: []', /^serve\.yaml:1: unknown key 'modles'/],
      ['models: [', /^serve\.yaml:1: /],
      ['models: []', /'models' must be a non-empty list/],
    ];
    for (const [text, message] of cases) expect(() => parseServeConfig(text, 'serve.yaml')).toThrow(message);
  });
});

describe('several models in one server', () => {
  let server: ScoringServer;
  let port: number;
  beforeAll(async () => {
    const repo = new ModelRepository([{ name: 'iris', uri: IRIS }, { name: 'iris-tensor', uri: IRIS_TENSOR }], registryLoader({}), quiet);
    await repo.loadAll();
    server = createScoringServer(repo, { logger: quiet });
    port = (await server.listen(0)).port;
  });
  afterAll(() => server.close());

  it('routes /models/{name}/invocations and V2 to each model; /invocations to the first', async () => {
    const first = await call(port, 'POST', '/invocations', SPLIT);
    const named = await call(port, 'POST', '/models/iris/invocations', SPLIT);
    expect(first.status).toBe(200);
    expect(named.body).toBe(first.body);
    const tensor = await call(port, 'POST', '/models/iris-tensor/invocations', JSON.stringify({ inputs: ROWS }));
    expect(tensor.status).toBe(200);
    expect(JSON.parse(tensor.body)).toEqual(JSON.parse(first.body));
    const v2 = await call(port, 'POST', '/v2/models/iris-tensor/infer', JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP64', shape: [3, 4], data: ROWS }] }));
    expect(JSON.parse(v2.body).outputs[0].data).toEqual(JSON.parse(first.body).predictions);
    const unknown = await call(port, 'POST', '/models/nope/invocations', SPLIT);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    const metrics = await call(port, 'GET', '/metrics');
    expect(metrics.body).toContain('mlflow_ts_requests_total{model="iris-tensor",route="/models/{name}/invocations",status="200"} 1');
    expect(metrics.body).toContain('mlflow_ts_requests_total{model="unknown",route="/models/{name}/invocations",status="404"} 1');
    expect(metrics.body).toMatch(/mlflow_ts_model_load_seconds\{model="iris-tensor"\} \d/);
  });

  it('unloads and loads a model through the V2 repository extension', async () => {
    const index = JSON.parse((await call(port, 'POST', '/v2/repository/index')).body);
    expect(index).toEqual([{ name: 'iris', state: 'READY', reason: '' }, { name: 'iris-tensor', state: 'READY', reason: '' }]);
    expect((await call(port, 'POST', '/v2/repository/models/iris-tensor/unload')).status).toBe(200);
    expect((await call(port, 'GET', '/v2/models/iris-tensor/ready')).status).toBe(404);
    expect((await call(port, 'POST', '/models/iris-tensor/invocations', JSON.stringify({ inputs: ROWS }))).status).toBe(404);
    expect(JSON.parse((await call(port, 'POST', '/v2/repository/index')).body)[1]).toEqual({ name: 'iris-tensor', state: 'UNAVAILABLE', reason: 'unloaded' });
    expect((await call(port, 'POST', '/v2/repository/models/iris-tensor/load')).status).toBe(200);
    expect((await call(port, 'POST', '/models/iris-tensor/invocations', JSON.stringify({ inputs: ROWS }))).status).toBe(200);
    expect((await call(port, 'POST', '/v2/repository/models/nope/load')).status).toBe(404);
    expect((await call(port, 'GET', '/v2/repository/index')).status).toBe(405);
  });
});

describe('hot reload', () => {
  it('swaps a new version in without dropping a request, and memory stays flat over 1,000 swaps', async () => {
    const child = fileURLToPath(new URL('./children/swap-memory.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', child, IRIS, '1000'], { timeout: 240_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, number>;
    expect(r.swaps).toBe(1000);
    expect(r.failed).toBe(0);
    expect(r.served).toBeGreaterThan(0);
    // Every retired version was closed, and the last one at shutdown.
    expect(r.closed).toBe(1001);
    expect(r.heapAtEnd - r.heapAt100).toBeLessThan(8 * 1024 * 1024);
  }, 250_000);
});

describe('adaptive batching', () => {
  it('scores concurrent small requests as one batch and splits the answer back exactly', async () => {
    const inner = await loadPredictor(IRIS);
    let calls = 0;
    const counting: Predictor = { ...inner, predict: (i, p) => { calls++; return inner.predict(i, p); }, close: () => inner.close() };
    const batches: [number, number][] = [];
    const batching = batchingPredictor(counting, { maxBatchSize: 64, maxWaitMs: 20 }, (requests, rows) => batches.push([requests, rows]));
    const frames = ROWS.map((r) => new Frame(COLUMNS.map((name, j) => ({ name, data: { kind: 'number' as const, dtype: 'float64' as const, values: Float64Array.of(r[j]) } }))));
    const alone = await Promise.all(frames.map((f) => inner.predict(f)));
    calls = 0;
    const together = await Promise.all(frames.map((f) => batching.predict(f)));
    expect(together).toEqual(alone);
    expect(calls).toBe(1);
    expect(batches).toEqual([[3, 3]]);
    // A bad request in a batch fails alone; the others still get their answers.
    const bad = new Frame(COLUMNS.map((name) => ({ name, data: { kind: 'string' as const, values: ['x'] } })));
    const mixed = await Promise.allSettled([batching.predict(frames[0]), batching.predict(bad), batching.predict(frames[2])]);
    expect(mixed.map((m) => m.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((mixed[0] as PromiseFulfilledResult<unknown>).value).toEqual(alone[0]);
    await batching.close();
  });

  it('stacks single-tensor requests along the first axis and cuts the prediction back', async () => {
    const inner = await loadPredictor(IRIS_TENSOR);
    const batching = batchingPredictor(inner, { maxBatchSize: 64, maxWaitMs: 20 });
    const tensors = ROWS.map((r) => makeTensor({ dtype: 'float64', shape: [1, 4], data: Float64Array.from(r) }));
    const alone = await Promise.all(tensors.map((t) => inner.predict(t)));
    expect(await Promise.all(tensors.map((t) => batching.predict(t)))).toEqual(alone);
    expect(concatTensors([tensors[0], makeTensor({ dtype: 'float64', shape: [1, 3], data: Float64Array.of(1, 2, 3) })])).toBeUndefined();
    await batching.close();
  });
});

import { request } from 'node:http';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, type ScoringServer } from '../../src/serve/index.js';

const model = fileURLToPath(new URL('../fixtures/serve/iris-strict', import.meta.url));
const ROW = '{"dataframe_split": {"columns": ["sepal_length","sepal_width","petal_length","petal_width"], "data": [[5.1,3.5,1.4,0.2]]}}';

function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('metrics and the access log (issue #17)', () => {
  let server: ScoringServer;
  let port: number;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    server = createScoringServer(await loadPredictor(model), { logger: pino({ level: 'info' }, sink), modelName: 'iris', loadSeconds: 0.25 });
    port = (await server.listen(0)).port;
  });
  afterAll(() => server.close());

  it('serves Prometheus metrics: requests by route and status, latency, in flight, load time, process', async () => {
    expect((await call(port, 'POST', '/invocations', { 'content-type': 'application/json' }, ROW)).status).toBe(200);
    expect((await call(port, 'POST', '/invocations', { 'content-type': 'application/json' }, '{')).status).toBe(400);
    await call(port, 'GET', '/ping');
    await call(port, 'GET', '/some/unknown/path');
    const m = await call(port, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toContain('mlflow_ts_requests_total{model="iris",route="/invocations",status="200"} 1');
    expect(m.body).toContain('mlflow_ts_requests_total{model="iris",route="/invocations",status="400"} 1');
    expect(m.body).toContain('mlflow_ts_requests_total{model="iris",route="/ping",status="200"} 1');
    expect(m.body).toContain('mlflow_ts_requests_total{model="iris",route="other",status="404"} 1');
    expect(m.body).toMatch(/mlflow_ts_request_duration_seconds_bucket\{le="0\.0005",model="iris",route="\/invocations",status="200"\} \d/);
    expect(m.body).toContain('mlflow_ts_requests_in_flight{model="iris"} 0');
    expect(m.body).toContain('mlflow_ts_model_load_seconds{model="iris"} 0.25');
    expect(m.body).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(m.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('echoes the client X-Request-ID, or makes one, and logs a line per request naming it', async () => {
    const given = await call(port, 'GET', '/ping', { 'x-request-id': 'abc-123' });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await call(port, 'POST', '/invocations', { 'content-type': 'application/json' }, ROW);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await call(port, 'GET', '/ping', { 'x-request-id': 'x'.repeat(500) });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 50));
    const entry = lines.find((l) => l.requestId === made.headers['x-request-id']);
    expect(entry).toMatchObject({ msg: 'request', method: 'POST', path: '/invocations', status: 200, bytes: made.body.length });
    expect(typeof entry?.ms).toBe('number');
    expect(lines.find((l) => l.requestId === 'abc-123')).toMatchObject({ path: '/ping', status: 200 });
  });
});

// The V2 routes and the multi-model routes against malformed requests: hand-written cases and
// seeded mutations of valid inference requests. Every answer is the protocol's own error body
// ({"error": "..."}) with a 4xx, never a 500, a hang or a crash, and the server goes on.
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScoringServer, ModelRepository, registryLoader, type ScoringServer } from '../../src/serve/index.js';
import { seededRandom } from '../seeded-random.js';
import { send, type Answer } from './http-client.js';
import { mutate } from './mutate-request.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const VALID: Record<string, string> = {
  iris: JSON.stringify({ inputs: COLUMNS.map((name, j) => ({ name, datatype: 'FP64', shape: [2, 1], data: [[5.1, 3.5, 1.4, 0.2][j], [7.7, 3.0, 6.1, 2.3][j]] })) }),
  'iris-tensor': JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP64', shape: [2, 4], data: [5.1, 3.5, 1.4, 0.2, 7.7, 3.0, 6.1, 2.3] }] }),
};

function expectV2Answer(answer: Answer, what: string): void {
  expect([200, 400, 404, 405, 413, 415], `${what} -> ${answer.status} ${answer.body.slice(0, 300)}`).toContain(answer.status);
  if (answer.status === 200) {
    expect(Array.isArray((JSON.parse(answer.body) as { outputs: unknown }).outputs), what).toBe(true);
    return;
  }
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  // The V2 routes answer {"error"}; MLflow's routes {"error_code", "message"}, or {"detail"} for a wrong method or an unknown path (as MLflow's FastAPI).
  if ('error' in body) expect(typeof body.error === 'string' && body.error.length > 0, what).toBe(true);
  else if ('detail' in body) expect([404, 405], what).toContain(answer.status);
  else expect(Object.keys(body), what).toEqual(['error_code', 'message']);
}

describe('V2 and multi-model routes against malformed requests', () => {
  let server: ScoringServer;
  let port: number;
  beforeAll(async () => {
    const repo = new ModelRepository([{ name: 'iris', uri: fixture('sklearn/mlflow-2.22.1/iris_logreg') }, { name: 'iris-tensor', uri: fixture('serve/iris-tensor') }], registryLoader({}), pino({ level: 'silent' }));
    await repo.loadAll();
    server = createScoringServer(repo, { logger: pino({ level: 'silent' }), maxBodyBytes: 256 * 1024, timeoutSeconds: 2 });
    port = (await server.listen(0)).port;
  });
  afterAll(() => server.close());

  async function stillAlive(): Promise<void> {
    expect((await send(port, 'GET', '/v2/health/ready')).status).toBe(200);
    for (const [name, body] of Object.entries(VALID)) {
      expect((await send(port, 'POST', `/v2/models/${name}/infer`, { contentType: 'application/json', body })).status).toBe(200);
    }
  }

  it.each(Object.keys(VALID))('%s: 300 seeded mutations of a valid inference request', async (name) => {
    const rand = seededRandom(0xbeef + name.length);
    for (let i = 0; i < 300; i++) {
      let body = mutate(VALID[name], rand);
      if (rand() < 0.3) body = mutate(body, rand);
      expectV2Answer(await send(port, 'POST', `/v2/models/${name}/infer`, { contentType: 'application/json', body }), `mutation ${i}: ${body.slice(0, 200)}`);
    }
    await stillAlive();
  });

  it('hand-written bad requests on every new route', async () => {
    const bin = (header: object, tail: Buffer): { body: Buffer; headers: string } => {
      const json = Buffer.from(JSON.stringify(header));
      return { body: Buffer.concat([json, tail]), headers: String(json.length) };
    };
    const cases: [string, string, string | Buffer][] = [
      ['POST', '/v2/models/iris/infer', ''],
      ['POST', '/v2/models/iris/infer', 'null'],
      ['POST', '/v2/models/iris/infer', '[]'],
      ['POST', '/v2/models/iris/infer', '{"inputs": {}}'],
      ['POST', '/v2/models/iris/infer', '{"inputs": [null]}'],
      ['POST', '/v2/models/iris/infer', '{"inputs": [{"name": "a", "shape": [-1], "datatype": "FP64", "data": []}]}'],
      ['POST', '/v2/models/iris/infer', '{"inputs": [{"name": "a", "shape": [1e300], "datatype": "FP64", "data": [1]}]}'],
      ['POST', '/v2/models/iris/infer', '{"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [[[[[[1]]]]]]}]}'],
      ['POST', '/v2/models/iris/infer', `{"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": ${'['.repeat(5000)}1${']'.repeat(5000)}}]}`],
      ['POST', '/v2/models/iris/infer', '{"inputs": [{"name": "a", "shape": [1], "datatype": "BYTES", "data": [1]}], "parameters": {"content_type": "np"}}'],
      ['POST', '/v2/models/iris/infer', '{"inputs": [{"name": "a", "shape": [1], "datatype": "BYTES", "data": ["x"], "parameters": {"content_type": "pd_json"}}]}'],
      ['POST', '/v2/models/iris/infer', '{"inputs": [{"name": "a", "shape": [1], "datatype": "BYTES", "data": ["x"], "parameters": {"content_type": "datetime"}}]}'],
      ['POST', '/v2/models/iris/infer', '{"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "a", "shape": [1], "datatype": "FP64", "data": [1]}]}'],
      ['POST', '/v2/models/iris/infer', '{"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [1], "parameters": {"binary_data_size": 8}}]}'],
      ['POST', '/v2/models/iris/infer', '{"id": 5, "inputs": []}'],
      ['POST', '/v2/models/iris/infer', '{"inputs": [{"name": "__proto__", "shape": [1], "datatype": "FP64", "data": [1]}]}'],
      ['POST', '/v2/models/%ZZ/infer', VALID.iris],
      ['POST', '/v2/models/iris/versions/%ZZ/infer', VALID.iris],
      ['GET', '/v2/models/iris/infer', ''],
      ['DELETE', '/v2/models/iris', ''],
      ['POST', '/v2/repository/models/nope/unload', ''],
      ['POST', '/v2/repository/models/%ZZ/load', ''],
      ['PUT', '/v2/repository/index', ''],
      ['POST', '/v2/repository/whatever', ''],
      ['POST', '/v2/nothing/here', ''],
      ['POST', '/models/iris/invocations', '{"nope": 1}'],
      ['GET', '/models/iris/invocations', ''],
      ['POST', '/models//invocations', VALID.iris],
      ['POST', '/models/%ZZ/invocations', VALID.iris],
    ];
    for (const [method, path, body] of cases) {
      expectV2Answer(await send(port, method, path, { contentType: 'application/json', body }), `${method} ${path} ${String(body).slice(0, 80)}`);
    }
    const binaryCases = [
      bin({ inputs: [{ name: 'a', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } }] }, Buffer.alloc(3)),
      bin({ inputs: [{ name: 'a', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 4 } }] }, Buffer.alloc(4)),
      bin({ inputs: [{ name: 'a', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 6 } }] }, Buffer.from([9, 0, 0, 0, 1, 2])),
      bin({ inputs: [{ name: 'a', shape: [1], datatype: 'FP64', parameters: { binary_data_size: 8 } }] }, Buffer.alloc(16)),
    ];
    for (const { body, headers } of binaryCases) {
      const answer = await new Promise<Answer>((resolve, reject) => {
        import('node:http').then(({ request }) => {
          const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v2/models/iris/infer', headers: { 'inference-header-content-length': headers, 'content-type': 'application/octet-stream' }, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
          });
          req.on('error', reject);
          req.end(body);
        }, reject);
      });
      expect(answer.status).toBe(400);
      expectV2Answer(answer, 'binary');
    }
    await stillAlive();
  });
});

// Issue #18 item 3 for V2 /infer answers: a large answer (iris predict_proba: three values per
// row) is written a block of values per event-loop turn, as JSON or with the binary tensor data
// extension, whether a native model scored it in blocks or the Python bridge gave it whole, so
// /ping answers within the bound of ping-bound.ts meanwhile. The same rows sent as small bodies
// (answered in one piece) answer the same bytes.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger, type ScoringServer } from '../../src/serve/index.js';
import { pythonReady } from '../flavors/python_function/python-available.js';
import { sendCounted } from './http-client.js';
import { expectPingWithinBound } from './ping-bound.js';
import { IRIS, worstV2Bodies } from './worst-bodies.js';

const PROBA = fileURLToPath(new URL('../fixtures/sklearn/mlflow-2.22.1/iris_logreg_proba', import.meta.url));
const LIMIT = 16 * 1024 * 1024;
const INFER = '/v2/models/model/infer';
const BINARY_OUTPUT = '"parameters":{"binary_data_output":true},';

async function serve(runtime: 'native' | 'python'): Promise<{ server: ScoringServer; port: number }> {
  const predictor = await loadPredictor(PROBA, { runtime, workers: 1 });
  const server = createScoringServer(predictor, { logger: createServeLogger('silent'), maxBodyBytes: LIMIT, timeoutSeconds: 600, modelName: 'model' });
  return { server, port: (await server.listen(0)).port };
}

/** The worst V2 body (FP64 columns of 1s) at `limit` bytes, its answer asked as JSON or as binary data. */
function fp64Columns(limit: number, binary: boolean): Buffer {
  const [[, body]] = worstV2Bodies(limit, ['v2: FP64 columns']);
  const text = body.toString('utf8');
  return Buffer.from(binary ? `{${BINARY_OUTPUT}${text.slice(1)}` : text);
}

/** `n` iris rows from `from` on as a V2 body of FP64 columns, with a fixed id. */
function rowsBody(from: number, n: number, binary: boolean): string {
  const value = (i: number, j: number): number => ((i * 7 + j * 3) % 80) / 10;
  const inputs = IRIS.map((name, j) => ({ name, datatype: 'FP64', shape: [n], data: Array.from({ length: n }, (_, k) => value(from + k, j)) }));
  return JSON.stringify({ id: 'rows', ...(binary ? { parameters: { binary_data_output: true } } : {}), inputs });
}

// 4 MB bodies (500k rows, 1.5M values out), as bridge-event-loop.test.ts sends the bridge's predict_proba (README, Safety).
describe('V2 /infer of iris predict_proba, native (scored in blocks, then written in blocks)', () => {
  largeAnswers('native', LIMIT / 4);
});

describe.skipIf(!pythonReady)('V2 /infer of iris predict_proba, Python bridge (one reply, written in blocks)', () => {
  largeAnswers('python', LIMIT / 4);
});

function largeAnswers(runtime: 'native' | 'python', limit: number): void {
  let server: ScoringServer;
  let port: number;
  beforeAll(async () => {
    ({ server, port } = await serve(runtime));
  }, 300_000);
  afterAll(async () => {
    await server.close();
  });

  it.each([['JSON', false], ['binary data', true]])(
    `%s answer: a body of ${limit} bytes leaves /ping answering`,
    async (what, binary) => {
      const body = fp64Columns(limit, binary);
      let status = 0;
      let head = '';
      let bytes = 0;
      await expectPingWithinBound(port, `${what} answer`, async () => {
        ({ status, head, bytes } = await sendCounted(port, INFER, 'application/json', body));
      });
      expect(status, head).toBe(200);
      // Three values per row of four: more bytes out than in, as JSON ("0.xxx,") or FP64 binary data.
      expect(bytes).toBeGreaterThan(body.length);
    },
    900_000,
  );

  it.each([['JSON', false], ['binary data', true]])(
    '%s answer: a large answer has the same bytes as the same rows in small bodies',
    async (_format, binary) => {
      const n = 60_000;
      const large = await sendRaw(port, rowsBody(0, n, binary));
      expect(large.status, large.body.subarray(0, 300).toString()).toBe(200);
      const step = 1500;
      const items: string[] = [];
      const data: Buffer[] = [];
      for (let from = 0; from < n; from += step) {
        const small = rowsBody(from, Math.min(step, n - from), binary);
        expect(small.length).toBeLessThan(64 * 1024);
        const part = await sendRaw(port, small);
        expect(part.status).toBe(200);
        if (binary) data.push(part.body.subarray(part.jsonLength));
        else items.push(/"data":\[(.*)\]\}\]\}$/.exec(part.body.toString('utf8'))?.[1] ?? 'no data');
      }
      const head = `{"model_name":"model","id":"rows","parameters":{},"outputs":[{"name":"output-1","datatype":"FP64","shape":[${n},3],"parameters":{"content_type":"np"`;
      if (!binary) {
        expect(large.body.toString('utf8')).toBe(`${head}},"data":[${items.join(',')}]}]}`);
        return;
      }
      expect(large.body.subarray(0, large.jsonLength).toString('utf8')).toBe(`${head},"binary_data_size":${n * 3 * 8}}}]}`);
      expect(digest(large.body.subarray(large.jsonLength))).toBe(digest(Buffer.concat(data)));
    },
    900_000,
  );
}

/** A V2 answer's bytes and its Inference-Header-Content-Length (the whole body when there is none). */
async function sendRaw(port: number, body: string): Promise<{ status: number; body: Buffer; jsonLength: number }> {
  const res = await fetch(`http://127.0.0.1:${port}${INFER}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  const declared = res.headers.get('inference-header-content-length');
  return { status: res.status, body: bytes, jsonLength: declared === null ? bytes.length : Number(declared) };
}

function digest(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

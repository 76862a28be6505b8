import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFlavor, unregisterFlavor } from '../../src/flavors/registry.js';
import { isTensor, type Tensor } from '../../src/frame/tensor.js';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger, type ScoringServer } from '../../src/serve/index.js';
import { MLFLOW_COMPAT_VERSION } from '../../src/version.js';
import { errorCodeOf, send } from './http-client.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/serve/${p}`, import.meta.url));
const silent = createServeLogger('silent');
const IRIS_ROW = '{"dataframe_split": {"columns": ["sepal_length","sepal_width","petal_length","petal_width"], "data": [[5.1,3.5,1.4,0.2]]}}';

describe('routes', () => {
  let server: ScoringServer;
  let port: number;
  beforeAll(async () => {
    server = createScoringServer(await loadPredictor(fixture('iris-strict')), { logger: silent });
    port = (await server.listen(0)).port;
  });
  afterAll(() => server.close());

  it('answers /ping and /health with 200 and a newline, /version with the MLflow version', async () => {
    for (const path of ['/ping', '/health']) {
      expect(await send(port, 'GET', path)).toEqual({ status: 200, contentType: 'application/json', body: '\n' });
    }
    expect((await send(port, 'GET', '/version')).body).toBe(MLFLOW_COMPAT_VERSION);
  });

  it('answers 404 and 405 with bodies as MLflow', async () => {
    expect(await send(port, 'GET', '/nope')).toEqual({ status: 404, contentType: 'application/json', body: '{"detail":"Not Found"}' });
    expect((await send(port, 'PUT', '/invocations')).body).toBe('{"detail":"Method Not Allowed"}');
    expect((await send(port, 'DELETE', '/ping')).status).toBe(405);
  });

  it('accepts application/csv and the Azure ML input_data shape', async () => {
    const csv = await send(port, 'POST', '/invocations', {
      contentType: 'application/csv',
      body: 'sepal_length,sepal_width,petal_length,petal_width\n7.7,3.0,6.1,2.3\n',
    });
    expect(csv.body).toBe('{"predictions": [2]}');
    const azure = await send(port, 'POST', '/invocations', {
      contentType: 'application/json',
      body: '{"input_data": {"columns": ["sepal_length","sepal_width","petal_length","petal_width"], "index": [0], "data": [[5.1,3.5,1.4,0.2]]}}',
    });
    expect(azure.body).toBe('{"predictions": [0]}');
  });
});

describe('bad input never brings the server down', () => {
  let server: ScoringServer;
  let port: number;
  const limit = 1024 * 1024;
  beforeAll(async () => {
    server = createScoringServer(await loadPredictor(fixture('iris-strict')), { logger: silent, maxBodyBytes: limit });
    port = (await server.listen(0)).port;
  });
  afterAll(() => server.close());

  async function stillAlive(): Promise<void> {
    expect((await send(port, 'GET', '/ping')).status).toBe(200);
    expect((await send(port, 'POST', '/invocations', { contentType: 'application/json', body: IRIS_ROW })).body).toBe('{"predictions": [0]}');
  }

  it('malformed JSON and CSV get a 400 BAD_REQUEST', async () => {
    for (const [contentType, body] of [
      ['application/json', '{"dataframe_split": {"columns": ['],
      ['application/json', '\u0000\u0001{{{'],
      ['application/json', '{"inputs": [1, 2,, 3]}'],
      ['text/csv', 'a,b\n"unterminated'],
    ]) {
      const answer = await send(port, 'POST', '/invocations', { contentType, body });
      expect(answer.status, body).toBe(400);
      expect(errorCodeOf(answer.body), body).toBe('BAD_REQUEST');
    }
    await stillAlive();
  });

  it('a body over the limit gets a 413, announced or not', async () => {
    const huge = `{"inputs": [${'1,'.repeat(limit)}1]}`;
    const answer = await send(port, 'POST', '/invocations', { contentType: 'application/json', body: huge }).catch(
      (err: Error) => ({ status: -1, body: err.message }),
    );
    // The server answers before reading the whole upload; the client may see the 413 or a reset.
    expect([413, -1]).toContain(answer.status);
    const chunked = await rawRequest(
      port,
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `${(limit + 10).toString(16)}\r\n${'x'.repeat(limit + 10)}\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 413|^$/);
    await stillAlive();
  });

  it('a truncated body (the client hangs up mid-upload) is dropped', async () => {
    await rawRequest(port, `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"inputs": [1,`, 200);
    await stillAlive();
  });

  it('100,000 levels of nesting get a 400', async () => {
    const depth = 100_000;
    for (const body of [`{"inputs": ${'['.repeat(depth)}1${']'.repeat(depth)}}`, `{"inputs": ${'['.repeat(depth)}`]) {
      const answer = await send(port, 'POST', '/invocations', { contentType: 'application/json', body });
      expect(answer.status).toBe(400);
      expect(errorCodeOf(answer.body)).toBe('BAD_REQUEST');
    }
    await stillAlive();
  });

  it('a body that is not UTF-8 gets a 400', async () => {
    const body = Buffer.concat([Buffer.from('{"inputs": ["'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"]}')]);
    const answer = await send(port, 'POST', '/invocations', { contentType: 'application/json', body });
    expect(answer.status).toBe(400);
    expect(errorCodeOf(answer.body)).toBe('BAD_REQUEST');
    await stillAlive();
  });

  it('garbage that is not HTTP closes only its own connection', async () => {
    await rawRequest(port, '\u0000\u0001 NOT HTTP AT ALL\r\n\r\n');
    await stillAlive();
  });
});

/** Writes raw bytes on a fresh connection; resolves with what came back (or '' on a reset). */
function rawRequest(port: number, text: string, hangUpAfterMs?: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(text);
    if (hangUpAfterMs !== undefined) setTimeout(() => socket.destroy(), hangUpAfterMs);
    else setTimeout(() => socket.end(), 1000);
  });
}

describe('custom flavors, timeout and shutdown', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'serve-flavor-'));
    // A flavor no MLflow knows: scales its input tensor by the factor in its MLmodel section.
    registerFlavor({
      name: 'acme_scaler',
      kind: 'native',
      async loadPredictor(ctx) {
        const factor = Number(ctx.conf.factor);
        const delayMs = Number(ctx.conf.delay_ms ?? 0);
        return {
          async predict(input) {
            if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
            if (!isTensor(input)) throw new Error('acme_scaler scores a tensor');
            const t = input as Tensor;
            return { kind: 'tensor', dtype: 'float64', shape: t.shape, data: Float64Array.from(t.data as ArrayLike<number>, (v) => v * factor) };
          },
        };
      },
    });
    // A chat-style flavor: answers the unwrapped LLM request MLflow also accepts.
    registerFlavor({
      name: 'acme_chat',
      kind: 'native',
      async loadPredictor() {
        return {
          predict(input, params) {
            const { messages } = input as { messages: { content: string }[] };
            return { choices: [{ message: { role: 'assistant', content: messages.at(-1)?.content.toUpperCase() } }], params: params ?? null };
          },
        };
      },
    });
    await mkdir(join(dir, 'chat'), { recursive: true });
    await writeFile(join(dir, 'chat', 'MLmodel'), 'flavors:\n  acme_chat: {}\nmlflow_version: 2.22.1\n');
    for (const [name, conf] of [['fast', 'factor: 3'], ['slow', 'factor: 2\n    delay_ms: 600']]) {
      await mkdir(join(dir, name), { recursive: true });
      await writeFile(join(dir, name, 'MLmodel'), `flavors:\n  acme_scaler:\n    ${conf}\nmlflow_version: 2.22.1\n`);
    }
  });
  afterAll(async () => {
    unregisterFlavor('acme_scaler');
    unregisterFlavor('acme_chat');
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a model of a flavor registered by the user', async () => {
    const predictor = await loadPredictor(join(dir, 'fast'));
    expect(predictor.flavor).toBe('acme_scaler');
    const server = createScoringServer(predictor, { logger: silent });
    const { port } = await server.listen(0);
    try {
      const answer = await send(port, 'POST', '/invocations', { contentType: 'application/json', body: '{"inputs": [1, 2, 3]}' });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ predictions: [3, 6, 9] });
    } finally {
      await server.close();
    }
  });

  it('answers an unwrapped LLM-style request without the predictions wrapper, as MLflow', async () => {
    const server = createScoringServer(await loadPredictor(join(dir, 'chat')), { logger: silent });
    const { port } = await server.listen(0);
    try {
      const answer = await send(port, 'POST', '/invocations', { contentType: 'application/json', body: '{"messages": [{"role": "user", "content": "hi"}]}' });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ choices: [{ message: { role: 'assistant', content: 'HI' } }], params: null });
    } finally {
      await server.close();
    }
  });

  it('answers 504 to a request past the timeout, and keeps serving', async () => {
    const server = createScoringServer(await loadPredictor(join(dir, 'slow')), { logger: silent, timeoutSeconds: 0.2 });
    const { port } = await server.listen(0);
    try {
      const answer = await send(port, 'POST', '/invocations', { contentType: 'application/json', body: '{"inputs": [1]}' });
      expect(answer.status).toBe(504);
      expect(errorCodeOf(answer.body)).toBe('DEADLINE_EXCEEDED');
      expect((await send(port, 'GET', '/ping')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('close() lets in-flight requests finish, then refuses new connections', async () => {
    const server = createScoringServer(await loadPredictor(join(dir, 'slow')), { logger: silent });
    const { port } = await server.listen(0);
    const inFlight = send(port, 'POST', '/invocations', { contentType: 'application/json', body: '{"inputs": [5]}' });
    await new Promise((r) => setTimeout(r, 100));
    const closed = server.close();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ predictions: [10] });
    await closed;
    await expect(send(port, 'GET', '/ping')).rejects.toThrow();
  });
});

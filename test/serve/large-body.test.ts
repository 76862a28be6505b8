// Issue #18 item 3: a body over 1 MiB (an /invocations body or a V2 inference request) is read
// (decoded, parsed, cast to the schema) and enforced against the schema in a worker thread and
// sent back in pieces. Whatever the body, the result must be exactly what the main thread's
// reading and predict's enforcement give: the same table or tensors (dtypes, NaN, -0, key
// order), the same params, the same error code (or V2 status) and message. A thread that dies
// while reading a body answers that request 503 and the next large body starts a new thread.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { Schema } from '../../src/model/index.js';
import { enforceOnce, enforceSchema, loadPredictor, RefusedInput } from '../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger } from '../../src/serve/index.js';
import { listSourceOf } from '../../src/frame/lazy-list.js';
import { bodyThreadForTests, readLargeBody, readLargeV2Body, THREAD_STOPPED } from '../../src/serve/large-body.js';
import { readV2Body } from '../../src/serve/open-inference/read-v2-body.js';
import { V2Error } from '../../src/serve/open-inference/v2-error.js';
import { bodyModel, readBody, type BodyModel, type ReadBody } from '../../src/serve/read-body.js';
import { send } from './http-client.js';
import { mutate } from './mutate-request.js';
import { IRIS, worstBodies, worstV2Bodies } from './worst-bodies.js';

const repoPath = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const schemaOf = (specs: object[]): Schema => Schema.fromJson(JSON.stringify(specs));

const MODELS: [string, BodyModel][] = [
  ['no signature', bodyModel(undefined, undefined)],
  ['iris doubles', bodyModel(schemaOf(IRIS.map((name) => ({ type: 'double', name, required: true }))), undefined)],
  [
    'every column type',
    bodyModel(
      schemaOf(
        ['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime'].map((type, i) => ({ type, name: IRIS[i] ?? `c${i}`, required: i < 2 })),
      ),
      undefined,
    ),
  ],
  ['a tensor', bodyModel(schemaOf([{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 4] } }]), undefined)],
  // long lists of strings come back as UTF-8 bytes (lazy-list.ts), read as the same strings
  ['no signature, scored by the Python bridge', bodyModel(undefined, undefined, 'python')],
  ['a string column, scored by the Python bridge', bodyModel(schemaOf([{ type: 'string', name: 'sepal_length', required: true }]), undefined, 'python')],
  [
    'named tensors, params',
    {
      ...bodyModel(schemaOf([{ type: 'tensor', name: 'a', 'tensor-spec': { dtype: 'int64', shape: [-1] } }, { type: 'tensor', name: 'b', 'tensor-spec': { dtype: 'str', shape: [-1] } }]), undefined),
      paramNames: new Set(['temperature']),
    },
  ],
];

const HAND_WRITTEN: [string, string | Buffer, 'json' | 'csv'][] = [
  ['split with index', '{"dataframe_split": {"index": [0, 1, 2], "columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[1, 2.0, -0, "x"]]}}', 'json'],
  ['records with gaps, nulls, nested cells', '{"dataframe_records": [{"sepal_length": 1e400, "b": null}, {"sepal_width": [1, {"x": 2}], "petal_width": true, "__proto__": 1}]}', 'json'],
  ['big integers', '{"inputs": [9007199254740993, 1.0, -0.0, NaN, -Infinity]}', 'json'],
  ['named inputs', '{"inputs": {"a": [1, 2], "b": ["x", "y"]}, "params": {"temperature": 0.5}}', 'json'],
  ['instances records', '{"instances": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}', 'json'],
  ['LLM with params', '{"messages": [{"role": "user", "content": "hi"}], "temperature": 0.1, "params": {"x": [1]}}', 'json'],
  ['Azure input_data', '{"input_data": {"columns": ["a"], "data": [[1.0]]}, "params": {"temperature": 1}}', 'json'],
  ['binary and datetime values', '{"dataframe_records": [{"float": "AAEC", "double": "2020-01-01T00:00:00"}]}', 'json'],
  ['not JSON', '{"inputs": [1, 2', 'json'],
  ['UTF-16 without a mark', Buffer.from('{"inputs": [1]}', 'utf16le'), 'json'],
  ['bad UTF-8 JSON', Buffer.concat([Buffer.from('{"inputs": ["'), Buffer.from([0xff]), Buffer.from('"]}')]), 'json'],
  ['CSV strings and gaps', 'sepal_length,sepal_width,petal_length,petal_width\n1,,x,007\n2,3,"a,b",\n', 'csv'],
  ['CSV not UTF-8', Buffer.concat([Buffer.from('sepal_length\n1\n'), Buffer.from([0xe9, 0x41]), Buffer.from('\n')]), 'csv'],
];

/**
 * What the model would get from `input` read on the main thread: predict's enforcement of it, or
 * the error enforcement gives; from the thread (`enforced`), the input as it came, which predict
 * passes on as it is (checked), or the refusal it carries.
 */
function asPredicted(input: unknown, model: BodyModel, enforced: boolean): unknown {
  const schema = model.inputSchema;
  if (!schema) return input;
  const refusal = (err: unknown): unknown => {
    if (!(err instanceof MlflowError)) throw err;
    return { refused: [err.errorCode, err.message] };
  };
  if (enforced) {
    if (input instanceof RefusedInput) return refusal(input.error);
    expect(enforceOnce(input, schema)).toBe(input);
    return input;
  }
  try {
    return enforceSchema(input, schema);
  } catch (err) {
    return refusal(err);
  }
}

const predicted = (read: ReadBody, model: BodyModel, enforced: boolean): unknown =>
  read.ok ? { ...read, parsed: { ...read.parsed, input: asPredicted(read.parsed.input, model, enforced) } } : read;

/** isDeepStrictEqual tells -0 from 0, Float32Array from Float64Array and a Frame from a plain object. */
function expectStrictlyEqual(there: unknown, here: unknown, what: string): void {
  if (!isDeepStrictEqual(there, here)) expect(there, what).toStrictEqual(here);
  expect(isDeepStrictEqual(there, here), what).toBe(true);
}

async function expectSameReading(body: string | Buffer, format: 'json' | 'csv', model: BodyModel, what: string): Promise<void> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const here = predicted(readBody(bytes, format, model), model, false);
  const there = predicted(await readLargeBody(bytes, format, model), model, true);
  expectStrictlyEqual(there, here, what);
}

/** A V2 reading's outcome: the request and the model's input, or the error answered (V2Error) or thrown (anything else). */
async function v2Outcome(read: () => ReturnType<typeof readV2Body> | Promise<ReturnType<typeof readV2Body>>, model: BodyModel, enforced: boolean): Promise<unknown> {
  try {
    const { request, input } = await read();
    return { request, input: asPredicted(input, model, enforced) };
  } catch (err) {
    if (err instanceof V2Error) return { status: err.status, error: err.message };
    return { failed: err instanceof Error ? err.message : String(err) };
  }
}

async function expectSameV2Reading(body: Buffer, headers: Record<string, string>, model: BodyModel, what: string): Promise<void> {
  const header = headers['inference-header-content-length'];
  const here = await v2Outcome(() => readV2Body(header, body, model.inputSchema), model, false);
  const notStarted = (): never => {
    throw new Error('the large-body thread did not start');
  };
  const there = await v2Outcome(() => readLargeV2Body(Buffer.from(body), header, model, notStarted), model, true);
  expectStrictlyEqual(there, here, what);
}

const V2_HAND_WRITTEN: [string, string | Buffer, Record<string, string>][] = [
  ['iris columns', `{"id": "r1", "inputs": [${IRIS.map((n) => `{"name": "${n}", "datatype": "FP32", "shape": [2, 1], "data": [[1.5], [-0.0]]}`).join(', ')}]}`, {}],
  ['one tensor, outputs asked', '{"inputs": [{"name": "x", "datatype": "FP64", "shape": [2, 4], "data": [1, 2, 3, 4, 5, 6, 7, NaN]}], "outputs": [{"name": "y", "parameters": {"binary_data": true}}]}', {}],
  ['named int64 and strings, params', '{"inputs": [{"name": "a", "datatype": "INT64", "shape": [2], "data": [1, 9007199254740993]}, {"name": "b", "datatype": "BYTES", "shape": [2], "data": ["x", "y"]}], "parameters": {"temperature": 0.5, "content_type": "dict"}}', {}],
  ['pd content type asked', '{"inputs": [{"name": "sepal_length", "datatype": "BOOL", "shape": [1], "data": [true]}], "parameters": {"content_type": "pd", "binary_data_output": true}}', {}],
  ['shape mismatch', '{"inputs": [{"name": "x", "datatype": "FP64", "shape": [3], "data": [1, 2]}]}', {}],
  ['no inputs', '{"inputs": []}', {}],
  ['not JSON', '{"inputs": [', {}],
  ['header past the end', '{"inputs": []}', { 'inference-header-content-length': '999' }],
  ['binary without a size', '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "parameters": {"binary_data_size": 4}}]}', { 'inference-header-content-length': '5' }],
  withBinary('binary FP16 and leftover bytes', '{"inputs":[{"name":"x","datatype":"FP16","shape":[2],"parameters":{"binary_data_size":4}}]}', [0, 60, 0, 188, 1]),
  withBinary('binary BYTES cut short', '{"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":6}}]}', [9, 0, 0, 0, 97, 98]),
];

function withBinary(what: string, json: string, bytes: number[]): [string, Buffer, Record<string, string>] {
  return [what, Buffer.concat([Buffer.from(json), Buffer.from(bytes)]), { 'inference-header-content-length': String(Buffer.byteLength(json)) }];
}

describe('a body read in the large-body thread reads exactly as on the main thread', () => {
  it('long lists of strings reach a Python-bridge model as UTF-8 bytes, read as the same strings; other models get plain arrays', async () => {
    const strings = Array.from({ length: 40_000 }, (_, i) => (i % 3 === 0 ? `é${i}` : `s${i}`));
    const body = JSON.stringify({ inputs: strings, params: { tags: strings.slice(0, 20_000) } });
    for (const kind of ['python', 'native'] as const) {
      const read = await readLargeBody(Buffer.from(body), 'json', bodyModel(undefined, undefined, kind));
      if (!read.ok) throw new Error(read.message);
      const input = read.parsed.input as { data: string[] };
      const tags = (read.parsed.params as { tags: string[] }).tags;
      expect(listSourceOf(input.data) !== undefined, kind).toBe(kind === 'python');
      expect(listSourceOf(tags) !== undefined, kind).toBe(kind === 'python');
      expect([...input.data]).toEqual(strings);
      expect(JSON.stringify(tags)).toBe(JSON.stringify(strings.slice(0, 20_000)));
    }
  });

  it.each(MODELS)('%s: the worst bodies of each format at 300 kB (several pieces each), hand-written bodies', async (name, model) => {
    for (const [what, body, contentType] of worstBodies(300_000)) {
      await expectSameReading(body, contentType.endsWith('csv') ? 'csv' : 'json', model, `${name}: ${what}`);
    }
    for (const [what, body, format] of HAND_WRITTEN) await expectSameReading(body, format, model, `${name}: ${what}`);
  }, 600_000);

  it.each(MODELS)('%s: 200 seeded mutations of requests', async (name, model) => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const examples = HAND_WRITTEN.filter(([, b, f]) => f === 'json' && typeof b === 'string').map(([, b]) => b as string);
    examples.push(readFileSync(repoPath('examples/iris-sklearn/serving_input_example.json'), 'utf8'));
    for (let i = 0; i < 200; i++) {
      const body = mutate(examples[i % examples.length], rand);
      await expectSameReading(body, 'json', model, `${name}: mutation ${i}: ${body.slice(0, 200)}`);
    }
  }, 120_000);
});

describe('a V2 inference request read in the large-body thread reads exactly as on the main thread', () => {
  it.each(MODELS)('%s: the worst V2 bodies at 300 kB, hand-written bodies, 200 seeded mutations', async (name, model) => {
    for (const [what, body, headers] of worstV2Bodies(300_000)) await expectSameV2Reading(body, headers, model, `${name}: ${what}`);
    for (const [what, body, headers] of V2_HAND_WRITTEN) {
      await expectSameV2Reading(Buffer.isBuffer(body) ? body : Buffer.from(body), headers, model, `${name}: ${what}`);
    }
    let seed = 11;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const examples = V2_HAND_WRITTEN.filter(([, b, h]) => typeof b === 'string' && Object.keys(h).length === 0).map(([, b]) => b as string);
    for (let i = 0; i < 200; i++) {
      const body = mutate(examples[i % examples.length], rand);
      await expectSameV2Reading(Buffer.from(body), {}, model, `${name}: mutation ${i}: ${body.slice(0, 200)}`);
    }
  }, 600_000);
});

describe('the scoring server reads a body over 1 MiB in the thread', () => {
  it('answers a 2 MB table as it answers the same rows sent in small bodies', async () => {
    const server = createScoringServer(await loadPredictor(repoPath('examples/iris-sklearn')), { logger: createServeLogger('silent') });
    const port = (await server.listen(0)).port;
    try {
      const rows = Array.from({ length: 60_000 }, (_, i) => `[${(i % 80) / 10}, ${(i % 45) / 10}, ${(i % 70) / 10}, ${(i % 25) / 10}]`);
      const body = (r: string[]): string => `{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [${r.join(',')}]}}`;
      const large = await send(port, 'POST', '/invocations', { contentType: 'application/json', body: body(rows) });
      expect(Buffer.byteLength(body(rows))).toBeGreaterThan(2 ** 20);
      expect(large.status).toBe(200);
      const parts: unknown[] = [];
      for (let i = 0; i < rows.length; i += 20_000) {
        const small = await send(port, 'POST', '/invocations', { contentType: 'application/json', body: body(rows.slice(i, i + 20_000)) });
        parts.push(...(JSON.parse(small.body) as { predictions: unknown[] }).predictions);
      }
      expect(large.body).toBe(JSON.stringify({ predictions: parts }).replace(/,/g, ', ').replace(':', ': '));
    } finally {
      await server.close();
    }
  });

  it('names the byte offset where a CSV body stops being UTF-8, as models predict does', async () => {
    const server = createScoringServer(await loadPredictor(repoPath('examples/iris-sklearn')), { logger: createServeLogger('silent') });
    const port = (await server.listen(0)).port;
    try {
      const head = `${IRIS.join(',')}\n1,2,3,4\n`;
      for (const filler of [0, 2 ** 21]) {
        const body = Buffer.concat([Buffer.from(head + '1,2,3,4\n'.repeat(filler / 8)), Buffer.from([0x31, 0xe9, 0x2c]), Buffer.from('2,3,4\n')]);
        const answer = await send(port, 'POST', '/invocations', { contentType: 'text/csv', body });
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body)).toEqual({
          error_code: 'BAD_REQUEST',
          message: `Invalid input. The request body is not valid UTF-8 text (byte offset ${head.length + filler + 1}).`,
        });
      }
    } finally {
      await server.close();
    }
  });

  it('answers a 2 MB V2 request as it answers the same rows sent in small requests', async () => {
    const server = createScoringServer(await loadPredictor(repoPath('examples/iris-sklearn')), { logger: createServeLogger('silent'), modelName: 'iris-sklearn' });
    const port = (await server.listen(0)).port;
    try {
      const request = (n: number, from: number): string => `{"id": "same", "inputs": [${IRIS.map((name, j) => `{"name": "${name}", "datatype": "FP64", "shape": [${n}], "data": [${Array.from({ length: n }, (_, i) => ((from + i) * (j + 3)) % 71 / 10).join(', ')}]}`).join(', ')}]}`;
      const n = 80_000;
      expect(Buffer.byteLength(request(n, 0))).toBeGreaterThan(2 ** 20);
      const large = await send(port, 'POST', '/v2/models/iris-sklearn/infer', { contentType: 'application/json', body: request(n, 0) });
      expect(large.status).toBe(200);
      const parts: unknown[] = [];
      for (let i = 0; i < n; i += 20_000) {
        const small = await send(port, 'POST', '/v2/models/iris-sklearn/infer', { contentType: 'application/json', body: request(20_000, i) });
        parts.push(...(JSON.parse(small.body) as { outputs: { data: unknown[] }[] }).outputs[0].data);
      }
      const answer = JSON.parse(large.body) as { outputs: { data: unknown[]; shape: number[] }[] };
      expect(answer.outputs[0].shape).toEqual([n, 1]);
      expect(answer.outputs[0].data).toEqual(parts);
    } finally {
      await server.close();
    }
  });

  it('answers 503 (no request data in it) when the thread dies while reading the body; the next large body gets a new thread', { timeout: 300_000 }, async () => {
    const server = createScoringServer(await loadPredictor(repoPath('examples/iris-sklearn')), { logger: createServeLogger('silent'), modelName: 'iris-sklearn' });
    const port = (await server.listen(0)).port;
    try {
      const secret = 'alice@example.com';
      const rows = `[1, 2, 3, "${secret}"],`.repeat(200_000);
      const invocations = `{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [${rows}[1, 2, 3, 4]]}}`;
      const v2 = `{"inputs": [{"name": "x", "datatype": "BYTES", "shape": [200001], "data": [${`"${secret}",`.repeat(200_000)}"a"]}]}`;
      for (const [path, body, expected] of [
        ['/invocations', invocations, { error_code: 'TEMPORARILY_UNAVAILABLE', message: THREAD_STOPPED }],
        ['/v2/models/iris-sklearn/infer', v2, { error: THREAD_STOPPED }],
      ] as const) {
        const answer = send(port, 'POST', path, { contentType: 'application/json', body });
        // Stopped as soon as it has a body to read.
        while (!bodyThreadForTests()?.reading) await new Promise((r) => setImmediate(r));
        await bodyThreadForTests()!.worker.terminate();
        const got = await answer;
        expect(got.status, path).toBe(503);
        expect(JSON.parse(got.body), path).toEqual(expected);
        expect(got.body).not.toContain(secret);
      }
      // A new thread reads the next one.
      const again = await send(port, 'POST', '/invocations', { contentType: 'application/json', body: invocations.replaceAll(`"${secret}"`, '4') });
      expect(again.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

// Issue #18 item 3: a body over 1 MiB is read (decoded, parsed, cast to the schema) in a worker
// thread and sent back in pieces. Whatever the body, the result must be exactly what the main
// thread's reading gives: the same table or tensors (dtypes, NaN, -0, key order), the same
// params, the same error code and message.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Schema } from '../../src/model/index.js';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger } from '../../src/serve/index.js';
import { readLargeBody } from '../../src/serve/large-body.js';
import { bodyModel, readBody, type BodyModel } from '../../src/serve/read-body.js';
import { send } from './http-client.js';
import { mutate } from './mutate-request.js';
import { IRIS, worstBodies } from './worst-bodies.js';

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

async function expectSameReading(body: string | Buffer, format: 'json' | 'csv', model: BodyModel, what: string): Promise<void> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const here = readBody(bytes, format, model);
  const there = await readLargeBody(bytes, format, model);
  // isDeepStrictEqual tells -0 from 0, Float32Array from Float64Array and a Frame from a plain object.
  if (!isDeepStrictEqual(there, here)) expect(there, what).toStrictEqual(here);
  expect(isDeepStrictEqual(there, here), what).toBe(true);
}

describe('a body read in the large-body thread reads exactly as on the main thread', () => {
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
});

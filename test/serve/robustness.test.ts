// The scoring server against a corpus of malformed requests: hand-written cases plus a few
// hundred seeded mutations of the models' own serving_input_example.json. Every answer must be
// MLflow's (400/413/415 with {"error_code", "message"}), never a 500, a hang or a crash, and the
// server must keep answering afterwards.
//
// The rest of the hostile-input corpus of issue #18 lives beside the code it attacks:
// the worst body of each format at the size limit, with /ping polled meanwhile
// (test/serve/event-loop.test.ts); runs:/ and models:/ URIs that climb out of the store
// (test/store/file-store.test.ts, test/store/model-uri.test.ts); decompression bombs
// (test/formats/pickle/bombs.test.ts); malicious pickles (test/formats/pickle/malicious.test.ts);
// oversized Python-bridge replies (test/flavors/python_function/wire.test.ts); SIGTERM while busy
// (test/cli/models-serve-predict.test.ts); bad batch files (test/serve/batch-predict-errors.test.ts).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatusOf, type ErrorCode } from '../../src/errors.js';
import { registerFlavor, unregisterFlavor } from '../../src/flavors/registry.js';
import { isFrame } from '../../src/frame/index.js';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger, type ScoringServer } from '../../src/serve/index.js';
import { errorCodeOf, send, type Answer } from './http-client.js';
import { seededRandom } from '../seeded-random.js';
import { mutate } from './mutate-request.js';

const repoPath = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const silent = createServeLogger('silent');
const JSON_CT = 'application/json';
const LIMIT = 256 * 1024;

const MODELS = {
  'iris-js': repoPath('examples/iris-js'),
  'iris-sklearn': repoPath('examples/iris-sklearn'),
  'iris-tensor': repoPath('test/fixtures/serve/iris-tensor'),
} as const;
type ModelName = keyof typeof MODELS;

const EXAMPLES: Record<ModelName, string> = {
  'iris-js': readFileSync(join(MODELS['iris-js'], 'serving_input_example.json'), 'utf8'),
  'iris-sklearn': readFileSync(join(MODELS['iris-sklearn'], 'serving_input_example.json'), 'utf8'),
  'iris-tensor': '{"inputs": [[5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3]]}',
};

const IRIS_CSV_HEADER = 'sepal_length,sepal_width,petal_length,petal_width';

/** The checks every answer to a bad (or possibly good) request must pass. */
function expectMlflowAnswer(answer: Answer, what: string, allowed: number[] = [200, 400, 413, 415]): void {
  expect(allowed, `${what} -> ${answer.status} ${answer.body.slice(0, 300)}`).toContain(answer.status);
  if (answer.status === 200) {
    expect(() => JSON.parse(answer.body) as unknown, what).not.toThrow();
    return;
  }
  if (answer.status === 415) {
    expect(answer.body, what).toMatch(/content type|UTF-8/);
    return;
  }
  const body = JSON.parse(answer.body) as { error_code: ErrorCode; message: string };
  expect(Object.keys(body), what).toEqual(['error_code', 'message']);
  expect(typeof body.message, what).toBe('string');
  expect(body.message.length, what).toBeGreaterThan(0);
  if (answer.status !== 413) expect(httpStatusOf(body.error_code), what).toBe(answer.status);
}

/** `contentType` null: no Content-Type header at all. */
const post = (port: number, body: string | Buffer, contentType: string | null = JSON_CT): Promise<Answer> =>
  send(port, 'POST', '/invocations', { contentType: contentType ?? undefined, body });

describe('the scoring server answers every malformed request as MLflow would', () => {
  const servers = new Map<ModelName, { server: ScoringServer; port: number }>();
  const rejections: unknown[] = [];
  /** What each model answers to its valid example, before any bad request. */
  const baseline = new Map<ModelName, string>();
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    for (const name of Object.keys(MODELS) as ModelName[]) {
      const server = createScoringServer(await loadPredictor(MODELS[name]), { logger: silent, maxBodyBytes: LIMIT, timeoutSeconds: 1 });
      const port = (await server.listen(0)).port;
      servers.set(name, { server, port });
      baseline.set(name, (await post(port, EXAMPLES[name])).body);
    }
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    for (const { server } of servers.values()) await server.close();
  });

  const portOf = (name: ModelName): number => servers.get(name)!.port;

  async function stillAlive(name: ModelName): Promise<void> {
    const port = portOf(name);
    expect((await send(port, 'GET', '/ping')).status).toBe(200);
    const ok = await post(port, EXAMPLES[name]);
    expect(ok.status, ok.body).toBe(200);
    expect(ok.body).toBe(baseline.get(name));
    expect(rejections).toEqual([]);
  }

  it('the valid examples score', () => {
    expect(baseline.get('iris-js')).toBe('{"predictions": [0, 2]}');
    expect(baseline.get('iris-tensor')).toBe('{"predictions": [0, 2]}');
    expect(baseline.get('iris-sklearn')).toBe('{"predictions": [0, 0, 0]}');
  });

  it.each(Object.keys(MODELS) as ModelName[])('%s: 300 seeded mutations of serving_input_example.json', async (name) => {
    const rand = seededRandom(0x5eed + name.length);
    const example = JSON.stringify(JSON.parse(EXAMPLES[name]));
    for (let i = 0; i < 300; i++) {
      let body = mutate(example, rand);
      if (rand() < 0.3) body = mutate(body, rand);
      expectMlflowAnswer(await post(portOf(name), body), `mutation ${i}: ${body.slice(0, 200)}`);
    }
    await stillAlive(name);
  });

  const SPLIT = (columns: string, data: string): string => `{"dataframe_split": {"columns": ${columns}, "data": ${data}}}`;
  const IRIS_COLUMNS = '["sepal_length","sepal_width","petal_length","petal_width"]';
  const HAND_WRITTEN: [string, string | Buffer, string | null][] = [
    ['empty body', '', JSON_CT],
    ['whitespace body', '   \n', JSON_CT],
    ['truncated JSON', '{"dataframe_split": {"columns": ["a"', JSON_CT],
    ['not JSON', 'hello', JSON_CT],
    ['a JSON list', '[[5.1, 3.5, 1.4, 0.2]]', JSON_CT],
    ['a JSON string', '"x"', JSON_CT],
    ['a JSON null', 'null', JSON_CT],
    ['wrong top-level key', '{"data": [[1, 2, 3, 4]]}', JSON_CT],
    ['two keys at once', `{"dataframe_split": {"columns": ${IRIS_COLUMNS}, "data": [[1,2,3,4]]}, "inputs": [[1,2,3,4]]}`, JSON_CT],
    ['all four keys', '{"dataframe_split": {}, "dataframe_records": [], "instances": [], "inputs": []}', JSON_CT],
    ['fewer columns than data', SPLIT('["sepal_length","sepal_width"]', '[[1,2,3,4]]'), JSON_CT],
    ['more columns than data', SPLIT(IRIS_COLUMNS, '[[1,2]]'), JSON_CT],
    ['ragged rows', SPLIT(IRIS_COLUMNS, '[[1,2,3,4],[1,2]]'), JSON_CT],
    ['index longer than data', `{"dataframe_split": {"columns": ${IRIS_COLUMNS}, "index": [0,1,2], "data": [[1,2,3,4],[1,2,3,4]]}}`, JSON_CT],
    ['index not a list', `{"dataframe_split": {"columns": ${IRIS_COLUMNS}, "index": 3, "data": [[1,2,3,4]]}}`, JSON_CT],
    ['data not a list', SPLIT(IRIS_COLUMNS, '{"a": 1}'), JSON_CT],
    ['columns a string', SPLIT('"sepal_length"', '[[1,2,3,4]]'), JSON_CT],
    ['duplicate columns', SPLIT('["a","a","b","c"]', '[[1,2,3,4]]'), JSON_CT],
    ['nested garbage in a cell', SPLIT(IRIS_COLUMNS, '[[{"x": [[[{}]]]}, 2, 3, 4]]'), JSON_CT],
    ['a list in a cell', SPLIT(IRIS_COLUMNS, '[[[1,2], 2, 3, 4]]'), JSON_CT],
    ['huge numbers', SPLIT(IRIS_COLUMNS, '[[1e308, -1e308, 1e999, 123456789012345678901234567890]]'), JSON_CT],
    ['NaN and Infinity tokens', SPLIT(IRIS_COLUMNS, '[[NaN, Infinity, -Infinity, 1]]'), JSON_CT],
    ['strings for numbers', SPLIT(IRIS_COLUMNS, '[["a", "b", "1.5", ""]]'), JSON_CT],
    ['null row', SPLIT(IRIS_COLUMNS, '[null]'), JSON_CT],
    ['null rows among rows', SPLIT(IRIS_COLUMNS, '[[1,2,3,4], null]'), JSON_CT],
    ['null cells', SPLIT(IRIS_COLUMNS, '[[null, null, null, null]]'), JSON_CT],
    ['no rows', SPLIT(IRIS_COLUMNS, '[]'), JSON_CT],
    ['records with a null record', '{"dataframe_records": [null, {"sepal_length": 1}]}', JSON_CT],
    ['records of mixed shapes', '{"dataframe_records": [{"a": 1}, [1, 2], 3]}', JSON_CT],
    ['records a dict', '{"dataframe_records": {"a": 1}}', JSON_CT],
    ['instances ragged', '{"instances": [[1,2,3,4],[1,2,3]]}', JSON_CT],
    ['instances of strings', '{"instances": [["a","b","c","d"]]}', JSON_CT],
    ['inputs a scalar', '{"inputs": 5}', JSON_CT],
    ['inputs null', '{"inputs": null}', JSON_CT],
    ['inputs mixed records', '{"inputs": [{"a": 1}, 5]}', JSON_CT],
    ['params a list', `{"inputs": [[1,2,3,4]], "params": [1, 2]}`, JSON_CT],
    ['params a string', `{"inputs": [[1,2,3,4]], "params": "x"}`, JSON_CT],
    ['a very long string', SPLIT(IRIS_COLUMNS, `[["${'x'.repeat(200_000)}", 1, 2, 3]]`), JSON_CT],
    ['a very long column name', SPLIT(`["${'c'.repeat(100_000)}"]`, '[[1]]'), JSON_CT],
    ['100k open brackets', `{"inputs": ${'['.repeat(100_000)}`, JSON_CT],
    ['100k nested objects', `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`, JSON_CT],
    ['lone surrogate escape', SPLIT(IRIS_COLUMNS, '[["\\ud800", 1, 2, 3]]'), JSON_CT],
    ['invalid UTF-8 bytes', Buffer.concat([Buffer.from('{"inputs": ["'), Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]), Buffer.from('"]}')]), JSON_CT],
    ['a UTF-8 BOM before JSON', `\ufeff${'{"inputs": [[5.1, 3.5, 1.4, 0.2]]}'}`, JSON_CT],
    ['__proto__ keys', '{"__proto__": {"inputs": 1}, "dataframe_records": [{"__proto__": 1, "constructor": 2}]}', JSON_CT],
    ['no Content-Type', EXAMPLES['iris-js'], null],
    ['a wrong Content-Type', EXAMPLES['iris-js'], 'text/plain'],
    ['a Content-Type with format=pandas-split', EXAMPLES['iris-js'], 'application/json; format=pandas-split'],
    ['charset latin-1', EXAMPLES['iris-js'], 'application/json; charset=latin-1'],
    ['a junk Content-Type', EXAMPLES['iris-js'], ';;;==;'],
    ['CSV with ragged rows', `${IRIS_CSV_HEADER}\n1,2,3,4\n1,2\n1,2,3,4,5,6\n`, 'text/csv'],
    ['CSV with an open quote', `${IRIS_CSV_HEADER}\n"1,2,3,4\n`, 'text/csv'],
    ['CSV with quotes in a number', `${IRIS_CSV_HEADER}\n"1""",2,3,4\n`, 'text/csv'],
    ['CSV with only a header', `${IRIS_CSV_HEADER}\n`, 'text/csv'],
    ['an empty CSV', '', 'text/csv'],
    ['CSV of text', `${IRIS_CSV_HEADER}\na,b,c,d\n`, 'text/csv'],
    ['CSV with a wrong header', 'a,b,c,d\n1,2,3,4\n', 'text/csv'],
    ['CSV with duplicate header names', 'a,a,a,a\n1,2,3,4\n', 'text/csv'],
    ['CSV with huge integers', `${IRIS_CSV_HEADER}\n123456789012345678901234567890,2,3,4\n`, 'text/csv'],
    ['CSV with NUL bytes', `${IRIS_CSV_HEADER}\n1\u0000,2,3,4\n`, 'text/csv'],
    ['CSV with only newlines', '\n\n\n', 'text/csv'],
  ];

  it.each(Object.keys(MODELS) as ModelName[])('%s: hand-written malformed requests', async (name) => {
    for (const [what, body, contentType] of HAND_WRITTEN) {
      expectMlflowAnswer(await post(portOf(name), body, contentType), `${name}: ${what}`);
    }
    await stillAlive(name);
  });

  it('a UTF-8 BOM before CSV is read as pandas reads it', async () => {
    const answer = await post(portOf('iris-js'), `\ufeff${IRIS_CSV_HEADER}\n5.1,3.5,1.4,0.2\n`, 'text/csv');
    expect(answer.status, answer.body).toBe(200);
    expect(answer.body).toBe('{"predictions": [0]}');
  });

  it('a CSV header of one name repeated 40,000 times is renamed in linear time and answered (issue #18)', async () => {
    const answer = await post(portOf('iris-js'), `${'a,'.repeat(39_999)}a\n${'1,'.repeat(39_999)}1\n`, 'text/csv');
    expectMlflowAnswer(answer, 'repeated header', [400]);
    expect(errorCodeOf(answer.body)).toBe('INVALID_PARAMETER_VALUE');
    await stillAlive('iris-js');
  });

  it('a CSV header of more than 100,000 columns gets a 400 naming the limit', async () => {
    const answer = await post(portOf('iris-js'), `${'a,'.repeat(100_000)}a\n`, 'text/csv');
    expectMlflowAnswer(answer, 'too many columns', [400]);
    expect(answer.body).toContain('at most 100000 columns');
    await stillAlive('iris-js');
  });

  it('records with ever new keys build only the columns the signature reads (issue #18)', async () => {
    const iris = '"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2';
    const records = Array.from({ length: 1000 }, (_, r) => `{${iris}, ${Array.from({ length: 10 }, (_, k) => `"k${r}_${k}": 1`).join(', ')}}`);
    const answer = await post(portOf('iris-js'), `{"dataframe_records": [${records.join(',')}]}`);
    expect(answer.status, answer.body.slice(0, 300)).toBe(200);
    expect((JSON.parse(answer.body) as { predictions: number[] }).predictions).toEqual(new Array(1000).fill(0));
    const onlyNew = Array.from({ length: 1500 }, (_, r) => `{${Array.from({ length: 10 }, (_, k) => `"k${r}_${k}": 1`).join(', ')}}`);
    expectMlflowAnswer(await post(portOf('iris-js'), `{"dataframe_records": [${onlyNew.join(',')}]}`), 'distinct keys', [400]);
    await stillAlive('iris-js');
  });

  it('a Content-Type with charset=utf-8 (any case, quoted) is accepted', async () => {
    for (const ct of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'Application/JSON; Charset=utf-8']) {
      expect((await post(portOf('iris-js'), EXAMPLES['iris-js'], ct)).status, ct).toBe(200);
    }
  });

  it('the error names the column or value at fault', async () => {
    const strings = await post(portOf('iris-js'), SPLIT(IRIS_COLUMNS, '[["a", 1, 2, 3]]'));
    expect(strings.status).toBe(400);
    expect(strings.body).toContain('sepal_length');
    const missing = await post(portOf('iris-js'), SPLIT('["sepal_length","sepal_width","petal_length"]', '[[1, 2, 3]]'));
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('petal_width');
  });

  it('a body over the size limit gets a 413 (or the connection is cut) and the server goes on', async () => {
    const huge = `{"inputs": [${'1,'.repeat(LIMIT)}1]}`;
    const answer = await post(portOf('iris-js'), huge).catch(() => undefined);
    if (answer) expectMlflowAnswer(answer, 'oversized', [413]);
    await stillAlive('iris-js');
  });

  it('a slow-loris body that never finishes is timed out, and the server answers others meanwhile', async () => {
    const port = portOf('iris-js');
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(`POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inp`);
    const drip = setInterval(() => socket.writable && socket.write(' '), 100);
    try {
      // Served while the slow upload is pending.
      expect((await send(port, 'GET', '/ping')).status).toBe(200);
      expect((await post(port, EXAMPLES['iris-js'])).status).toBe(200);
      await closed;
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    const text = Buffer.concat(received).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 504/);
    expect(text).toContain('"error_code": "DEADLINE_EXCEEDED"');
    await stillAlive('iris-js');
  });

  it('a request whose headers never finish is dropped and the server stays responsive', async () => {
    const port = portOf('iris-js');
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Ty');
    try {
      expect((await send(port, 'GET', '/ping')).status).toBe(200);
    } finally {
      socket.destroy();
    }
    await stillAlive('iris-js');
  });

  it('200 concurrent bad requests all get their 400, then the server goes on', async () => {
    const rand = seededRandom(42);
    const example = JSON.stringify(JSON.parse(EXAMPLES['iris-js']));
    const bodies = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? mutate(example, rand) : HAND_WRITTEN[i % HAND_WRITTEN.length][1]));
    const answers = await Promise.all(bodies.map((b) => post(portOf('iris-js'), b)));
    answers.forEach((a, i) => expectMlflowAnswer(a, `concurrent ${i}`));
    await stillAlive('iris-js');
  });
});

describe('params and int64 columns', () => {
  let dir: string;
  let server: ScoringServer;
  let port: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'serve-robust-'));
    // Echoes its input table's column `id` and the param `k`, so a wrong value would show.
    registerFlavor({
      name: 'robust_echo',
      kind: 'native',
      async loadPredictor() {
        return {
          predict(input, params) {
            if (!isFrame(input)) throw new Error('robust_echo scores a table');
            const values = (name: string): unknown[] | undefined => {
              const c = input.column(name);
              return c && Array.from(c.data.values as ArrayLike<unknown>);
            };
            const extra = Object.fromEntries(['x', 'zip'].filter((n) => input.column(n)).map((n) => [n, values(n)]));
            return { ids: values('id'), ...extra, k: params?.k ?? null };
          },
        };
      },
    });
    await mkdir(join(dir, 'echo'));
    await writeFile(
      join(dir, 'echo', 'MLmodel'),
      [
        'flavors:',
        '  robust_echo: {}',
        'mlflow_version: 2.22.1',
        'signature:',
        `  inputs: '[{"type": "long", "name": "id", "required": true}, {"type": "double", "name": "x", "required": false}, {"type": "string", "name": "zip", "required": false}]'`,
        `  outputs: null`,
        `  params: '[{"name": "k", "type": "long", "default": 1, "shape": null}]'`,
        '',
      ].join('\n'),
    );
    server = createScoringServer(await loadPredictor(join(dir, 'echo')), { logger: silent });
    port = (await server.listen(0)).port;
  });
  afterAll(async () => {
    await server.close();
    unregisterFlavor('robust_echo');
    await rm(dir, { recursive: true, force: true });
  });

  it('params of the wrong type get a 400 naming the param', async () => {
    for (const k of ['"abc"', '[1, 2]', '{"a": 1}', '1.5']) {
      const answer = await post(port, `{"dataframe_split": {"columns": ["id"], "data": [[1]]}, "params": {"k": ${k}}}`);
      expectMlflowAnswer(answer, `k=${k}`, [400]);
      expect(answer.body, k).toContain("'k'");
    }
    const ok = await post(port, '{"dataframe_split": {"columns": ["id"], "data": [[1]]}, "params": {"k": 7}}');
    expect(JSON.parse(ok.body)).toEqual({ predictions: { ids: [1], k: 7 } });
  });

  it('an int64 beyond 2^53 is refused with a 400 naming the value and the column, never rounded', async () => {
    for (const [contentType, body, literal, where] of [
      [JSON_CT, '{"dataframe_split": {"columns": ["id"], "data": [[9007199254740993]]}}', '9007199254740993', "column 'id'"],
      [JSON_CT, '{"dataframe_records": [{"id": 1}, {"id": -9007199254740993}]}', '-9007199254740993', "column 'id'"],
      [JSON_CT, '{"input_data": {"columns": ["id"], "data": [[9007199254740993]]}}', '9007199254740993', "column 'id'"],
      [JSON_CT, '{"dataframe_split": {"columns": ["id"], "data": [[123456789012345678901234567890]]}}', '123456789012345678901234567890', "column 'id'"],
      [JSON_CT, '{"dataframe_split": {"columns": ["id"], "data": [["9007199254740993"]]}}', '9007199254740993', 'column id'],
      [JSON_CT, '{"dataframe_split": {"columns": ["id"], "data": [[1]]}, "params": {"k": 9007199254740993}}', '9007199254740993', "param 'k'"],
      ['text/csv', 'id\n1\n9007199254740993\n', '9007199254740993', "column 'id'"],
    ]) {
      const answer = await post(port, body, contentType);
      expectMlflowAnswer(answer, body, [400]);
      expect(JSON.parse(answer.body).error_code).toBe('BAD_REQUEST');
      expect(answer.body, body).toContain(`integer ${literal}`);
      expect(answer.body, body).toContain(where);
    }
  });

  it('an integer beyond 2^53 in a double column is rounded to the nearest double, as MLflow reads it', async () => {
    for (const [contentType, body] of [
      [JSON_CT, '{"dataframe_split": {"columns": ["id", "x"], "data": [[1, 9007199254740993]]}}'],
      [JSON_CT, '{"input_data": {"columns": ["id", "x"], "data": [[1, 9007199254740993]]}}'],
      ['text/csv', 'id,x\n1,9007199254740993\n'],
    ]) {
      const answer = await post(port, body, contentType);
      expect(answer.status, answer.body).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ predictions: { ids: [1], x: [9007199254740992], k: 1 } });
    }
  });

  it('a CSV string column stays text, as MLflow reads it with dtype=object: digits keep their zeros', async () => {
    const answer = await post(port, 'id,zip\n1,007\n2,9007199254740993\n3,\n', 'text/csv');
    expect(answer.status, answer.body).toBe(200);
    // The empty cell is pandas' NaN (read_csv's missing value), which json.dumps writes as NaN.
    expect(JSON.parse(answer.body.replace('NaN]', '"NaN"]'))).toEqual({ predictions: { ids: [1, 2, 3], zip: ['007', '9007199254740993', 'NaN'], k: 1 } });
  });

  it('an integer beyond 2^53 among floats is read as float64 and rounded, as pandas does', async () => {
    // pandas makes such a column float64 too; the long schema then refuses the 1.5.
    const answer = await post(port, '{"dataframe_split": {"columns": ["id"], "data": [[9007199254740993], [1.5]]}}');
    expectMlflowAnswer(answer, 'mixed', [400]);
    expect(answer.body).not.toContain('beyond 2^53');
  });

  it('integers up to 2^53 and the int64 edge are exact', async () => {
    const answer = await post(port, '{"dataframe_split": {"columns": ["id"], "data": [[9007199254740991], [-9007199254740991], [0]]}}');
    expect(JSON.parse(answer.body)).toEqual({ predictions: { ids: [9007199254740991, -9007199254740991, 0], k: 1 } });
  });
});

describe('a signal while the model loads (issue #18)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('models serve stops at once on %s, exit 0, before serving anything', async (signal) => {
    const dir = await mkdtemp(join(tmpdir(), 'serve-loading-'));
    try {
      // A model whose loader marks that it started, then takes a minute.
      const marker = join(dir, 'loading');
      await mkdir(join(dir, 'model', 'code'), { recursive: true });
      await writeFile(join(dir, 'model', 'MLmodel'), 'flavors:\n  js_function:\n    code: code\n    loader_module: slow.mjs\nmlflow_version: 2.22.1\n');
      await writeFile(
        join(dir, 'model', 'code', 'slow.mjs'),
        `import { writeFileSync } from 'node:fs';\nexport async function loadModel() {\n  writeFileSync(${JSON.stringify(marker)}, '');\n  await new Promise((r) => setTimeout(r, 60_000));\n  return { predict: () => [] };\n}\n`,
      );
      const cli = fileURLToPath(new URL('../cli/run-cli.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', cli, 'models', 'serve', '-m', join(dir, 'model'), '-p', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      child.stderr.on('data', (c: Buffer) => (log += c.toString()));
      const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (code, sig) => resolve([code, sig])));
      for (let i = 0; i < 1200 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(marker)).toBe(true);
      const sent = Date.now();
      child.kill(signal);
      expect(await exited).toEqual([0, null]);
      // Well before the loader's minute is up.
      expect(Date.now() - sent).toBeLessThan(30_000);
      expect(log).toContain('stopping while the model loads');
      expect(log).not.toContain('scoring server listening');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

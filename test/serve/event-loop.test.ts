// Issue #18 item 3: whatever a request makes the server compute is bounded by the request size
// limit, so /ping keeps answering meanwhile. For each body format the server accepts, the most
// expensive bodies we know of at the limit (many tiny columns or rows, ever new names, deep
// nesting, long strings, duplicate header names, float literals that take the exact parser) are
// sent while /ping is polled every 20 ms; every /ping must answer within 100 ms. On a loaded
// machine the bound grows with the time JSON.parse takes for a plain body of the limit's size,
// measured in the same run, so what is caught is work out of proportion to the body, not a slow
// machine.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFlavor, unregisterFlavor } from '../../src/flavors/registry.js';
import { isFrame, makeTensor } from '../../src/frame/index.js';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger, type ScoringServer } from '../../src/serve/index.js';
import { send } from './http-client.js';

const LIMIT = 256 * 1024;
const repoPath = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const IRIS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const JSON_CT = 'application/json';

/** `prefix` + as many units as fit in LIMIT bytes + `suffix`. */
function atLimit(prefix: string, unit: (i: number) => string, separator: string, suffix: string): string {
  const parts: string[] = [];
  let length = prefix.length + suffix.length;
  for (let i = 0; ; i++) {
    const u = unit(i);
    if (length + u.length + separator.length > LIMIT) break;
    parts.push(u);
    length += u.length + separator.length;
  }
  return prefix + parts.join(separator) + suffix;
}

const WORST: [string, string | Buffer, string][] = [
  ['split: many rows', atLimit(`{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [`, () => '[1,2,3,4]', ',', ']}}'), JSON_CT],
  ['split: many columns, no rows', atLimit('{"dataframe_split": {"columns": [', (i) => `"c${i}"`, ',', '], "data": []}}'), JSON_CT],
  ['split: one wide row', atLimit('{"dataframe_split": {"data": [[', () => '1', ',', ']]}}'), JSON_CT],
  ['split: float literals', atLimit(`{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [`, () => '[1.0,2.0,3.0,4.0]', ',', ']}}'), JSON_CT],
  ['split: records as rows', atLimit(`{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [`, (i) => `{"k${i}": 1}`, ',', ']}}'), JSON_CT],
  ['records: many rows', atLimit('{"dataframe_records": [', () => '{"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_width":4}', ',', ']}'), JSON_CT],
  ['records: one record of many keys', atLimit('{"dataframe_records": [{', (i) => `"k${i}":1`, ',', '}]}'), JSON_CT],
  ['records: distinct keys', atLimit('{"dataframe_records": [', (i) => `{"k${i}":1}`, ',', ']}'), JSON_CT],
  ['records: duplicate keys', atLimit('{"dataframe_records": [{', () => '"a":1', ',', '}]}'), JSON_CT],
  ['instances: many rows', atLimit('{"instances": [', () => '[1,2,3,4]', ',', ']}'), JSON_CT],
  ['instances: many scalars', atLimit('{"instances": [', () => '1', ',', ']}'), JSON_CT],
  ['instances: named lists', atLimit('{"instances": {', (i) => `"k${i}":[1]`, ',', '}}'), JSON_CT],
  ['inputs: named lists', atLimit('{"inputs": {', (i) => `"k${i}":[1]`, ',', '}}'), JSON_CT],
  ['inputs: nested lists', atLimit('{"inputs": [', () => '[[[[1]]]]', ',', ']}'), JSON_CT],
  ['inputs: ragged nesting', atLimit('{"inputs": [', (i) => (i % 2 ? '[1]' : '[[1]]'), ',', ']}'), JSON_CT],
  ['inputs: deep nesting', `{"inputs": ${'['.repeat(999)}1${']'.repeat(999)}}`, JSON_CT],
  ['inputs: records', atLimit('{"inputs": [', (i) => `{"k${i % 5000}":1}`, ',', ']}'), JSON_CT],
  ['inputs: long string', `{"inputs": ["${'x'.repeat(LIMIT - 20)}"]}`, JSON_CT],
  ['inputs: escapes', `{"inputs": ["${'\\u00e9'.repeat(Math.floor((LIMIT - 20) / 6))}"]}`, JSON_CT],
  ['inputs: NaN tokens', atLimit('{"inputs": [', () => 'NaN', ',', ']}'), JSON_CT],
  ['params: a large value', atLimit('{"inputs": [[1,2,3,4]], "params": {"k": [', () => '1', ',', ']}}'), JSON_CT],
  ['unified LLM body', atLimit('{"messages": [', () => '{"role":"user","content":"x"}', ',', ']}'), JSON_CT],
  ['input_data (Azure ML)', atLimit(`{"input_data": {"columns": ${JSON.stringify(IRIS)}, "data": [`, () => '[1,2,3,4]', ',', ']}}'), JSON_CT],
  ['JSON in UTF-16', Buffer.from(`\ufeff${atLimit('{"inputs": [', () => '1', ',', ']}').slice(0, LIMIT / 2 - 10).replace(/,?1?$/, '')}]}`, 'utf16le'), JSON_CT],
  ['CSV: many rows', atLimit(`${IRIS.join(',')}\n`, () => '1,2,3,4', '\n', '\n'), 'text/csv'],
  ['CSV: one column', atLimit('a\n', () => '1', '\n', '\n'), 'text/csv'],
  ['CSV: distinct header names', atLimit('', (i) => `c${i}`, ',', '\n1\n'), 'text/csv'],
  ['CSV: duplicate header names', atLimit('', () => 'a', ',', '\n'), 'text/csv'],
  ['CSV: quoted fields', atLimit(`${IRIS.join(',')}\n`, () => '"1","2","3","4"', '\n', '\n'), 'text/csv'],
  ['CSV: ragged rows', atLimit(`${IRIS.join(',')}\n`, (i) => (i % 2 ? '1' : '1,2,3,4'), '\n', '\n'), 'text/csv'],
  ['CSV: a long field', `${IRIS.join(',')}\n${'x'.repeat(LIMIT - 100)},1,2,3\n`, 'text/csv'],
  ['CSV: many blank lines', `${IRIS.join(',')}\n${'\n'.repeat(LIMIT - 100)}1,2,3,4\n`, 'application/csv'],
];

/** The slowest /ping answer while `request` is in flight, polling every 20 ms. */
async function slowestPing(port: number, request: () => Promise<unknown>): Promise<number> {
  let done = false;
  let slowest = 0;
  const poll = (async () => {
    while (!done) {
      const t = performance.now();
      expect((await send(port, 'GET', '/ping')).status).toBe(200);
      slowest = Math.max(slowest, performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  // The first /ping goes out before the request does.
  await new Promise((r) => setTimeout(r, 5));
  try {
    await request();
  } finally {
    done = true;
    await poll;
  }
  return slowest;
}

/** Median time JSON.parse takes for a plain body of LIMIT bytes, here and now. */
function referenceParseMs(): number {
  const plain = atLimit('{"inputs": [', () => '1', ',', ']}');
  const times = [0, 1, 2, 3, 4].map(() => {
    const t = performance.now();
    JSON.parse(plain);
    return performance.now() - t;
  });
  return times.sort((a, b) => a - b)[2];
}

describe.each([
  ['iris-sklearn (named columns)', 'examples/iris-sklearn'],
  ['iris-tensor (a tensor signature)', 'test/fixtures/serve/iris-tensor'],
])('%s: the worst body of each format at the size limit leaves /ping answering', (_name, model) => {
  let server: ScoringServer;
  let port: number;
  beforeAll(async () => {
    server = createScoringServer(await loadPredictor(repoPath(model)), { logger: createServeLogger('silent'), maxBodyBytes: LIMIT });
    port = (await server.listen(0)).port;
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(WORST)('%s', async (what, body, contentType) => {
    expect(Buffer.byteLength(body), what).toBeLessThanOrEqual(LIMIT);
    let status = 0;
    const attempt = async (): Promise<number> => {
      const reference = referenceParseMs();
      const slowest = await slowestPing(port, async () => {
        status = (await send(port, 'POST', '/invocations', { contentType, body })).status;
      });
      return slowest / Math.max(10, reference, referenceParseMs());
    };
    // A machine shared with other jobs can stall any process for a moment: the better of two
    // attempts counts, each relative to the reference parse measured around it.
    let ratio = await attempt();
    if (ratio > 10) ratio = Math.min(ratio, await attempt());
    expect([200, 400], what).toContain(status);
    expect(ratio, `${what}: /ping took ${ratio.toFixed(1)} times a reference parse of ${LIMIT} bytes (at least 10 ms)`).toBeLessThan(10);
  });
});

describe('a large table scored by a native model is predicted in blocks of rows, the event loop turning between them', () => {
  let dir: string;
  /** Rows of each predict call, and whether the event loop had turned since the previous call. */
  const calls: { rows: number; turned: boolean }[] = [];
  let turned = true;
  let reduce = false;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'serve-blocks-'));
    // Predicts 2 * x per row, or (`reduce`) one sum for the whole table, which is not row-wise.
    registerFlavor({
      name: 'blocks_probe',
      kind: 'native',
      async loadPredictor() {
        return {
          predict(input) {
            if (!isFrame(input)) throw new Error('blocks_probe scores a table');
            calls.push({ rows: input.numRows, turned });
            turned = false;
            setImmediate(() => (turned = true));
            const x = input.column('x')!.data.values as Float64Array;
            if (reduce) return makeTensor({ dtype: 'float64', shape: [1], data: Float64Array.of(x.reduce((a, b) => a + b, 0)) });
            return makeTensor({ dtype: 'float64', shape: [x.length], data: x.map((v) => 2 * v) });
          },
        };
      },
    });
    await mkdir(join(dir, 'm'));
    await writeFile(join(dir, 'm', 'MLmodel'), 'flavors:\n  blocks_probe: {}\nmlflow_version: 2.22.1\n');
  });
  afterAll(async () => {
    unregisterFlavor('blocks_probe');
    await rm(dir, { recursive: true, force: true });
  });

  it('answers exactly what one predict of the whole table answers; a model that is not row-wise gets the whole table', async () => {
    const server = createScoringServer(await loadPredictor(join(dir, 'm')), { logger: createServeLogger('silent') });
    const port = (await server.listen(0)).port;
    try {
      const n = 50_000;
      const body = `{"dataframe_split": {"columns": ["x"], "data": [${Array.from({ length: n }, (_, i) => `[${i}]`).join(',')}]}}`;
      const answer = await send(port, 'POST', '/invocations', { contentType: JSON_CT, body });
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(`{"predictions": [${Array.from({ length: n }, (_, i) => `${2 * i}.0`).join(', ')}]}`);
      expect(calls.length).toBeGreaterThan(1);
      expect(calls.reduce((a, c) => a + c.rows, 0)).toBe(n);
      expect(calls.slice(1).every((c) => c.turned)).toBe(true);

      calls.length = 0;
      reduce = true;
      const sum = await send(port, 'POST', '/invocations', { contentType: JSON_CT, body });
      expect(sum.body).toBe(`{"predictions": [${((n * (n - 1)) / 2).toFixed(1)}]}`);
      // The first block, then the whole table.
      expect(calls.map((c) => c.rows)).toEqual([4096, n]);
    } finally {
      await server.close();
    }
  });
});

// Issue #18 item 3 through the Python bridge: a body at the 16 MB limit scored by a Python worker
// (string columns, records and lists in; a 2M-row predict_proba, millions of strings, and a dict
// or list of dicts holding lists of millions of values out) leaves /ping answering within the
// bound of ping-bound.ts: the request's JSON is written for the worker a slice per event-loop
// turn, the worker's reply is read in place (numbers) or parsed a piece per turn (other values,
// and each long list inside a JSON reply), long lists of strings stay UTF-8 bytes both ways
// (frame/lazy-list.ts: millions of live strings cost the collector's long pauses), and the
// answer's JSON is made a block of rows, or a slice of a long list, per turn. The same rows sent as small bodies (none of that slicing) answer
// the same bytes, and a JSON reply's answer is the one-go serialization of the value expected.
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictionsToJson } from '../../src/frame/index.js';
import type { Predictor } from '../../src/pyfunc/index.js';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger, type ScoringServer } from '../../src/serve/index.js';
import { MODELS } from '../flavors/python_function/helpers.js';
import { writeCustomModel } from '../flavors/python_function/custom-model.js';
import { pythonReady } from '../flavors/python_function/python-available.js';
import { DICT_OF_LISTS, ECHO } from './bridge-models.js';
import { send, sendCounted } from './http-client.js';
import { expectPingWithinBound } from './ping-bound.js';
import { IRIS, worstBodies } from './worst-bodies.js';

const LIMIT = 16 * 1024 * 1024;


async function serve(model: string): Promise<{ server: ScoringServer; port: number; predictor: Predictor }> {
  const predictor = await loadPredictor(model, { runtime: 'python', workers: 1 });
  const server = createScoringServer(predictor, { logger: createServeLogger('silent'), maxBodyBytes: LIMIT, timeoutSeconds: 600, modelName: 'model' });
  return { server, port: (await server.listen(0)).port, predictor };
}

describe.skipIf(!pythonReady)('bodies at a 16 MB limit scored through the Python bridge leave /ping answering', () => {
  const served: { server: ScoringServer }[] = [];
  let echoDir: string;
  let listsDir: string;
  let proba: number;
  let echo: number;
  let lists: number;
  beforeAll(async () => {
    echoDir = await writeCustomModel({ loaderSource: ECHO });
    listsDir = await writeCustomModel({ loaderSource: DICT_OF_LISTS });
    const a = await serve(`${MODELS}/iris_logreg_proba`);
    const b = await serve(echoDir);
    const c = await serve(listsDir);
    served.push(a, b, c);
    proba = a.port;
    echo = b.port;
    lists = c.port;
  }, 300_000);
  afterAll(async () => {
    for (const s of served) await s.server.close();
    await rm(echoDir, { recursive: true, force: true });
    await rm(listsDir, { recursive: true, force: true });
  });

  it.each([
    // 2M rows: a 132 MB predict_proba answer.
    ['iris_logreg_proba', 'CSV: many rows'],
    ['echo', 'split: strings'],
    ['echo', 'records: strings'],
    ['echo', 'inputs: strings'],
    ['echo', 'instances: many rows'],
  ])('%s: %s', async (model, what) => {
    const [[, text, contentType]] = worstBodies(LIMIT, [what]);
    const body = Buffer.from(text);
    const port = model === 'echo' ? echo : proba;
    let status = 0;
    let head = '';
    await expectPingWithinBound(
      port,
      what,
      async () => {
        ({ status, head } = await sendCounted(port, '/invocations', contentType, body));
      },
    );
    expect(status, head).toBe(200);
  }, 900_000);

  it.each([
    ['a dict holding', undefined],
    ['a list of dicts holding', 'dicts'],
  ])('a Python model answering %s two lists of 1.5M values', async (_, mode) => {
    // {"inputs": ["s0", "s1", ...]} up to the limit.
    const [[, text]] = worstBodies(LIMIT - 50, ['inputs: strings']);
    const strings = (JSON.parse(text as string) as { inputs: string[] }).inputs;
    const body = Buffer.from(`${(text as string).slice(0, -1)}, "params": ${JSON.stringify(mode ? { mode } : {})}}`);
    const lengths = strings.map((v) => v.length);
    const expected = mode ? [{ values: strings }, { lengths, n: strings.length }] : { values: strings, lengths };
    let answer = { status: 0, bytes: 0, sha256: '', head: '' };
    const what = `${mode ?? 'dict'} of lists`;
    await expectPingWithinBound(
      lists,
      what,
      async () => {
        answer = await sendCounted(lists, '/invocations', 'application/json', body);
      },
    );
    expect(answer.status, answer.head).toBe(200);
    expect(answer.bytes).toBeGreaterThan(LIMIT);
    expect(answer.sha256).toBe(createHash('sha256').update(predictionsToJson(expected)).digest('hex'));
  }, 900_000);

  it.each([
    ['iris_logreg_proba', 'CSV', 200_000, (i: number) => `${(i % 80) / 10},${(i % 45) / 10},${(i % 70) / 10},${(i % 25) / 10}`],
    ['echo', 'dataframe_split of strings', 100_000, (i: number) => `["s${i}","é${i % 7}",null,"${'x'.repeat(i % 5)}"]`],
  ])('%s, %s of %i rows: the same bytes as the same rows in small bodies', async (model, format, n, row) => {
    const port = model === 'echo' ? echo : proba;
    const csv = format === 'CSV';
    const bodyOf = (from: number, to: number): string => {
      const rows = Array.from({ length: to - from }, (_, k) => row(from + k));
      if (csv) return `${IRIS.join(',')}\n${rows.join('\n')}\n`;
      if (format.startsWith('dataframe_split')) return `{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [${rows.join(',')}]}}`;
      return `{"inputs": [${rows.join(',')}]}`;
    };
    const contentType = csv ? 'text/csv' : 'application/json';
    const large = Buffer.from(bodyOf(0, n));
    expect(large.length).toBeGreaterThan(1 << 20);
    const whole = await send(port, 'POST', '/invocations', { contentType, body: large });
    expect(whole.status, whole.body.slice(0, 300)).toBe(200);
    // Small bodies (under 64 KiB: read, sent and answered whole, no pieces, slices or blocks).
    const step = 1500;
    const items: string[] = [];
    for (let from = 0; from < n; from += step) {
      const body = bodyOf(from, Math.min(n, from + step));
      expect(body.length).toBeLessThan(64 * 1024);
      const part = await send(port, 'POST', '/invocations', { contentType, body });
      expect(part.status, part.body.slice(0, 300)).toBe(200);
      expect(part.body.startsWith('{"predictions": [') && part.body.endsWith(']}')).toBe(true);
      items.push(part.body.slice('{"predictions": ['.length, -2));
    }
    expect(whole.body).toBe(`{"predictions": [${items.join(', ')}]}`);
  }, 900_000);
});

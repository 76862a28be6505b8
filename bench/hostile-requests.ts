// Hostile request bodies (issue #18 items 1-3): how long mlflow-ts takes to read them, beside
// pandas 1.5.3 (Debian's /usr/bin/python3) reading the same CSV text in the same run; and the
// longest /ping wait while the server scores large bodies (BENCH_BODY_MB, default 8; /invocations
// and V2 /infer) and the process's CPU for the request, beside the wait before bodies over 1 MiB
// went to the large-body thread: reading and enforcing the same body on the main thread
// (readBody or readV2Body + enforceSchema, measured in the same run), and JSON.parse of a plain
// body of the same size.
//   node --import tsx bench/hostile-requests.ts
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { MlflowError } from '../src/errors.js';
import { parseCsvRequest, parseJsonRequest } from '../src/frame/index.js';
import { enforceSchema, loadPredictor } from '../src/pyfunc/index.js';
import { createScoringServer, createServeLogger } from '../src/serve/index.js';
import { readV2Body } from '../src/serve/open-inference/read-v2-body.js';
import { bodyModel, readBody } from '../src/serve/read-body.js';
import { send } from '../test/serve/http-client.js';
import { worstV2Bodies } from '../test/serve/worst-bodies.js';

const PYTHON = '/usr/bin/python3';

function ms(run: () => unknown): { ms: number; outcome: string } {
  const t = performance.now();
  let outcome = 'read';
  try {
    run();
  } catch (e) {
    outcome = e instanceof MlflowError ? `400 ${e.errorCode}` : `error: ${(e as Error).message}`;
  }
  return { ms: performance.now() - t, outcome };
}

/** pandas' read_csv time (ms) on the header, or undefined without pandas. */
function pandasMs(text: string): number | undefined {
  const code = 'import io, sys, time, pandas as pd\ns = sys.stdin.read()\nt = time.perf_counter()\npd.read_csv(io.StringIO(s))\nprint((time.perf_counter() - t) * 1000)';
  const r = spawnSync(PYTHON, ['-c', code], { input: text, encoding: 'utf8', maxBuffer: 1 << 20 });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

export function benchHostileRequests(): string {
  const rows = ['| request | mlflow-ts | outcome | pandas 1.5.3 read_csv |', '|---|---|---|---|'];
  for (const n of [1_000, 10_000, 40_000]) {
    const text = `${'a,'.repeat(n - 1)}a\n${'1,'.repeat(n - 1)}1\n`;
    const ours = ms(() => parseCsvRequest(text));
    const ref = pandasMs(text);
    rows.push(`| CSV header: one name x ${n.toLocaleString('en')} | ${ours.ms.toFixed(1)} ms | ${ours.outcome} | ${ref === undefined ? 'n/a' : `${ref.toFixed(1)} ms`} |`);
  }
  const records = Array.from({ length: 8000 }, (_, r) => `{${Array.from({ length: 10 }, (_, k) => `"k${r}_${k}": 1`).join(', ')}}`);
  const body = `{"dataframe_records": [${records.join(',')}]}`;
  const open = ms(() => parseJsonRequest(body));
  rows.push(`| 8,000 records x 10 new keys (${(body.length / 1e6).toFixed(1)} MB), no signature | ${open.ms.toFixed(1)} ms | ${open.outcome} | |`);
  const kept = ms(() => parseJsonRequest(body, { keepsColumn: (name) => name === 'x' }));
  rows.push(`| the same, signature reads one column | ${kept.ms.toFixed(1)} ms | ${kept.outcome} | |`);
  return rows.join('\n');
}

const IRIS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

function bodyOf(bytes: number, prefix: string, unit: (i: number) => string, suffix: string): string {
  const parts: string[] = [];
  let length = prefix.length + suffix.length;
  for (let i = 0; length + unit(i).length + 1 <= bytes; i++) {
    parts.push(unit(i));
    length += unit(i).length + 1;
  }
  return prefix + parts.join(prefix.endsWith('\n') ? '\n' : ',') + suffix;
}

/** The longest /ping wait (polled every 20 ms) while the sklearn iris model scores each body. */
export async function benchEventLoop(megabytes = Number(process.env.BENCH_BODY_MB ?? 8)): Promise<string> {
  const bytes = Math.round(megabytes * 1024 * 1024);
  const model = fileURLToPath(new URL('../examples/iris-sklearn', import.meta.url));
  const predictor = await loadPredictor(model);
  const server = createScoringServer(predictor, { logger: createServeLogger('silent'), maxBodyBytes: bytes, timeoutSeconds: 600, modelName: 'iris' });
  const schema = predictor.metadata.getInputSchema();
  /** What predict enforces after reading: part of the main thread's work before. */
  const enforce = (input: unknown): void => {
    try {
      if (schema) enforceSchema(input, schema);
    } catch {
      // refused: the time is what counts
    }
  };
  const reading = bodyModel(predictor.metadata.getInputSchema(), predictor.metadata.getParamsSchema());
  const port = (await server.listen(0)).port;
  const bodies: [string, string | Buffer, string, Record<string, string>?][] = [
    ['dataframe_split, 4 columns', bodyOf(bytes, `{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [`, () => '[1,2,3,4]', ']}}'), 'application/json'],
    ['dataframe_split, 4 string columns', bodyOf(bytes, `{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [`, () => '["a","b","c","d"]', ']}}'), 'application/json'],
    ['dataframe_records, 4 keys', bodyOf(bytes, '{"dataframe_records": [', () => '{"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_width":4}', ']}'), 'application/json'],
    ['inputs: named lists (new names)', bodyOf(bytes, '{"inputs": {', (i) => `"k${i}":[1]`, '}}'), 'application/json'],
    ['inputs: strings', bodyOf(bytes, '{"inputs": [', (i) => `"s${i}"`, ']}'), 'application/json'],
    ['unified LLM body (messages)', bodyOf(bytes, '{"messages": [', () => '{"role":"user","content":"x"}', ']}'), 'application/json'],
    ['CSV, 4 columns', bodyOf(bytes, `${IRIS.join(',')}\n`, () => '1,2,3,4', '\n'), 'text/csv'],
    ['CSV header of new names (100k cap)', `${bodyOf(Math.min(bytes, 900_000), '', (i) => `c${i}`, '')}\n1\n`, 'text/csv'],
    ['instances: many scalars', bodyOf(bytes, '{"instances": [', () => '1', ']}'), 'application/json'],
    ...worstV2Bodies(bytes, ['v2: FP64 columns', 'v2: FP64 nested columns', 'v2: BYTES columns', 'v2: binary INT64 columns'])
      .map(([what, body, headers]): [string, Buffer, string, Record<string, string>] => [`${what} (V2 /infer)`, body, 'application/json', headers]),
  ];
  const plain = bodyOf(bytes, '{"inputs": [', () => '1', ']}');
  const rows = [
    `| body (${megabytes} MB limit) | status | total | process CPU | longest /ping wait | main-thread read + enforcement (the wait before) | JSON.parse of ${megabytes} MB |`,
    '|---|---|---|---|---|---|---|',
  ];
  try {
    for (const [what, body, contentType, headers] of bodies) {
      let t = performance.now();
      JSON.parse(plain);
      const reference = performance.now() - t;
      const bodyBytes = Buffer.from(body);
      t = performance.now();
      if (headers) {
        try {
          enforce(readV2Body(headers['inference-header-content-length'], bodyBytes, schema).input);
        } catch {
          // a V2 refusal
        }
      } else {
        const read = readBody(bodyBytes, contentType === 'text/csv' ? 'csv' : 'json', reading);
        if (read.ok) enforce(read.parsed.input);
      }
      const mainRead = performance.now() - t;
      let done = false;
      let slowest = 0;
      const poll = (async () => {
        while (!done) {
          const p = performance.now();
          await send(port, 'GET', '/ping');
          slowest = Math.max(slowest, performance.now() - p);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      t = performance.now();
      const cpu = process.cpuUsage();
      const answer = await send(port, 'POST', headers ? '/v2/models/iris/infer' : '/invocations', { contentType, body: bodyBytes, headers });
      const total = performance.now() - t;
      const used = process.cpuUsage(cpu);
      done = true;
      await poll;
      rows.push(`| ${what} | ${answer.status} | ${total.toFixed(0)} ms | ${((used.user + used.system) / 1000).toFixed(0)} ms | ${slowest.toFixed(0)} ms | ${mainRead.toFixed(0)} ms | ${reference.toFixed(0)} ms |`);
    }
  } finally {
    await server.close();
  }
  return rows.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${benchHostileRequests()}\n\n${await benchEventLoop()}\n`);
}

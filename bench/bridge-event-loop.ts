// Issue #18 item 3 through the Python bridge: the longest the server's event loop is held while
// it scores its largest bodies through Python workers, the slowest /ping meanwhile, the server's
// CPU time for the request, and the answer's size and SHA-256 (to compare before and after a
// change: the bytes must not move).
//   node --import tsx bench/bridge-event-loop.ts [case ...]
// Cases: csv-proba (a 16 MB CSV to iris_logreg_proba: 2M rows, a 138 MB predict_proba answer),
// split-proba (16 MB dataframe_split to the same), dict (16 MB of strings to a model answering a
// dict of two lists as long), dicts (the same answered as a list of two dicts), echo-strings (16 MB
// of strings, {"inputs": [...]}, to a model answering its input: test/serve/bridge-event-loop.test.ts's
// thinnest case before session 11: two lists of 1.6M strings, now kept as UTF-8 bytes, frame/lazy-list.ts). BENCH_RUNS (default
// 3) runs each. The longest block is given in wall time and in the server's main-thread CPU time
// (the second holds on a loaded machine). To find what a block is: BENCH_CPU_PROF=DIR writes the
// server's V8 CPU profiles to DIR when it stops, and BENCH_LOOP_LOG=FILE lists each long block's
// start and end in the profiles' clock.
import { rm } from 'node:fs/promises';
import { MODELS } from '../test/flavors/python_function/helpers.js';
import { writeCustomModel } from '../test/flavors/python_function/custom-model.js';
import { DICT_OF_LISTS, ECHO } from '../test/serve/bridge-models.js';
import { sendCounted } from '../test/serve/http-client.js';
import { slowestPing } from '../test/serve/ping-bound.js';
import { worstBodies } from '../test/serve/worst-bodies.js';
import { serverStats, startServer, stopServer } from './server-process.js';

process.env.MLFLOW_TS_PYTHON ??= '/usr/bin/python3';
// The server child watches its event loop (loop-blocks.ts).
process.env.BENCH_LOOP_BLOCKS = '1';
const LIMIT = 16 * 1024 * 1024;

/** A 16 MB `{"inputs": ["s0", ...], "params": ...}` body. */
function stringsBody(params: string): Buffer {
  const [[, text]] = worstBodies(LIMIT - params.length - 20, ['inputs: strings']);
  return Buffer.from(params ? `${(text as string).slice(0, -1)}, "params": ${params}}` : (text as string));
}

const CASES: Record<string, { model: 'proba' | 'dict' | 'echo'; body: () => Buffer; contentType: string }> = {
  'csv-proba': { model: 'proba', body: () => Buffer.from(worstBodies(LIMIT, ['CSV: many rows'])[0][1]), contentType: 'text/csv' },
  'split-proba': { model: 'proba', body: () => Buffer.from(worstBodies(LIMIT, ['split: many rows'])[0][1]), contentType: 'application/json' },
  dict: { model: 'dict', body: () => stringsBody(''), contentType: 'application/json' },
  dicts: { model: 'dict', body: () => stringsBody('{"mode": "dicts"}'), contentType: 'application/json' },
  'echo-strings': { model: 'echo', body: () => Buffer.from(worstBodies(LIMIT, ['inputs: strings'])[0][1]), contentType: 'application/json' },
};

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CASES);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const dictDir = await writeCustomModel({ loaderSource: DICT_OF_LISTS });
const echoDir = await writeCustomModel({ loaderSource: ECHO });
try {
  console.log('| case | body MB | answer MB | answer SHA-256 | longest loop block, wall ms | most main-thread CPU in one block, ms | slowest /ping ms | server CPU s |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const name of names) {
    const c = CASES[name];
    if (!c) throw new Error(`no case ${name}: ${Object.keys(CASES).join(', ')}`);
    const modelDir = c.model === 'proba' ? `${MODELS}/iris_logreg_proba` : c.model === 'dict' ? dictDir : echoDir;
    const server = await startServer({ kind: 'serve', modelDir, runtime: 'python', workers: 1 }, { cpuProfDir: process.env.BENCH_CPU_PROF });
    try {
      const body = c.body();
      for (let run = 0; run < runs; run++) {
        const before = await serverStats(server);
        let answer = { status: 0, bytes: 0, sha256: '', head: '' };
        const ping = await slowestPing(server.port, async () => {
          answer = await sendCounted(server.port, '/invocations', c.contentType, body);
        });
        const after = await serverStats(server);
        if (answer.status !== 200) throw new Error(`${name}: ${answer.status} ${answer.head}`);
        console.log(`| ${name} | ${(body.length / 2 ** 20).toFixed(1)} | ${(answer.bytes / 2 ** 20).toFixed(1)} | ${answer.sha256.slice(0, 16)} | ` +
          `${after.loop?.wallMs.toFixed(0)} | ${after.loop?.cpuMs.toFixed(0)} | ${ping.toFixed(0)} | ${((after.cpu - before.cpu) / 1e6).toFixed(2)} |`);
      }
    } finally {
      await stopServer(server);
    }
  }
} finally {
  await rm(dictDir, { recursive: true, force: true });
  await rm(echoDir, { recursive: true, force: true });
}

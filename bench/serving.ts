// Serving: mlflow-ts's scoring server on three models (examples/iris-js, a js_function model;
// examples/iris-sklearn, MLflow 2.22.1's iris LogisticRegression scored natively; the iris
// RandomForest fixture, scored natively) against a bare node:http server measured in the same run,
// on 1-row and 1000-row requests (wrk when on PATH, else autocannon; 16 connections), and the LogisticRegression's server
// again on V2's /v2/models/model/infer with the same rows as named 1-D tensors. The servers log at
// info (the access log, into /dev/null) and keep their Prometheus metrics, as `models serve` does.
// Each server runs in a child process (so RSS is its own), and they are measured in alternating
// rounds, so that a change in the machine's load hits all alike. Server CPU time per request is
// reported too: unlike req/s it barely depends on what else the machine runs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { irisPayload, irisV2Payload } from './iris.js';
import { CONNECTIONS, loadGeneratorNote, loadServer, serverStats, startServer, stopServer, type ServerProcess } from './server-process.js';
import { benchServingWorkers } from './server-workers.js';

const ROUNDS = 5;

interface Target {
  label: string;
  /** A model directory for `mlflow-ts serve`; null for the bare node:http server. */
  modelDir: string | null;
  /** Scored through V2's /infer instead of /invocations (on the same server as the /invocations row). */
  v2?: boolean;
  /** MLflow 2.22.1's published 1-row req/s for this model on a machine like this one (not measured here). */
  publishedOneRow?: number;
}

const TARGETS: Target[] = [
  { label: 'bare node:http', modelDir: null },
  { label: 'serve iris-js (js_function)', modelDir: fileURLToPath(new URL('../examples/iris-js', import.meta.url)) },
  {
    label: 'serve iris_logreg (sklearn, native)',
    modelDir: fileURLToPath(new URL('../examples/iris-sklearn', import.meta.url)),
    publishedOneRow: 200,
  },
  {
    label: 'serve iris_logreg V2 /infer',
    modelDir: fileURLToPath(new URL('../examples/iris-sklearn', import.meta.url)),
    v2: true,
  },
  {
    label: 'serve iris_rf (sklearn, native)',
    modelDir: fileURLToPath(new URL('../test/fixtures/sklearn/mlflow-2.22.1/iris_rf', import.meta.url)),
    publishedOneRow: 50,
  },
];

interface Server extends ServerProcess { target: Target }

interface Tally { requests: number; seconds: number; p50s: number[]; p99s: number[]; cpuMicros: number; errors: number }

interface Cell { target: Target; rows: number; reqPerSec: number; p50: number; p99: number; cpuPerReq: number; rssMb: number; errors: number }

/** A server per model; a V2 row shares the server of its model's /invocations row. */
async function start(target: Target, started: Server[]): Promise<Server> {
  const same = started.find((s) => s.target.modelDir === target.modelDir);
  const proc = same ?? (await startServer(target.modelDir === null ? { kind: 'bare' } : { kind: 'serve', modelDir: target.modelDir }));
  return { child: proc.child, port: proc.port, target };
}

function load(server: Server, rows: number, seconds: number) {
  return server.target.v2
    ? loadServer(server, irisV2Payload(rows), seconds, CONNECTIONS, '/v2/models/model/infer')
    : loadServer(server, irisPayload(rows), seconds);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(servers: Server[], rows: number, seconds: number): Promise<Cell[]> {
  const tallies = new Map<Server, Tally>();
  for (const server of servers) {
    await load(server, rows, 2); // warm-up (JIT)
    tallies.set(server, { requests: 0, seconds: 0, p50s: [], p99s: [], cpuMicros: 0, errors: 0 });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of servers) {
      const before = await serverStats(server);
      const r = await load(server, rows, seconds / ROUNDS);
      const after = await serverStats(server);
      const t = tallies.get(server)!;
      t.requests += r.requests.total;
      t.seconds += r.duration;
      t.p50s.push(r.latency.p50);
      t.p99s.push(r.latency.p99);
      t.cpuMicros += after.cpu - before.cpu;
      t.errors += r.errors + r.non2xx + r.timeouts;
    }
  }
  const cells: Cell[] = [];
  for (const server of servers) {
    const t = tallies.get(server)!;
    const { rss } = await serverStats(server);
    cells.push({
      target: server.target,
      rows,
      reqPerSec: t.requests / t.seconds,
      p50: median(t.p50s),
      p99: median(t.p99s),
      cpuPerReq: t.cpuMicros / Math.max(1, t.requests),
      rssMb: rss / 2 ** 20,
      errors: t.errors,
    });
  }
  return cells;
}

/** Runs the serving benchmark, `seconds` per server and request size; returns its tables (markdown). */
export async function benchServing(seconds: number): Promise<string> {
  const servers: Server[] = [];
  const cells: Cell[] = [];
  try {
    for (const target of TARGETS) servers.push(await start(target, servers));
    for (const rows of [1, 1000]) cells.push(...(await measure(servers, rows, seconds)));
  } finally {
    await Promise.all(servers.filter((s) => !s.target.v2).map(stopServer));
  }

  const lines = [
    `${CONNECTIONS} connections, ${seconds} s per server and size in ${ROUNDS} alternating rounds, node ${process.version}; ${loadGeneratorNote()}`,
    '',
    '| server | rows/request | req/s | p50 ms | p99 ms | server CPU µs/req | server RSS MB | req/s vs bare | errors |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of cells) {
    const bare = cells.find((b) => b.rows === c.rows && b.target.modelDir === null)!;
    lines.push(
      `| ${c.target.label} | ${c.rows} | ${c.reqPerSec.toFixed(0)} | ${c.p50} | ${c.p99} | ${c.cpuPerReq.toFixed(0)} | ` +
        `${c.rssMb.toFixed(1)} | ${((100 * c.reqPerSec) / bare.reqPerSec).toFixed(0)}% | ${c.errors} |`,
    );
  }
  lines.push(
    '',
    'Against MLflow 2.22.1 `mlflow models serve` (1-row requests). The MLflow figures are published reference',
    'figures for this kind of machine, NOT measured here (no mlflow is installed):',
    '',
    '| model | mlflow-ts req/s (measured) | mlflow-ts p99 ms (measured) | MLflow 2.22.1 req/s (published reference) | ratio |',
    '|---|---|---|---|---|',
  );
  for (const c of cells) {
    if (c.rows !== 1 || c.target.publishedOneRow === undefined) continue;
    lines.push(
      `| ${c.target.label} | ${c.reqPerSec.toFixed(0)} | ${c.p99} | ~${c.target.publishedOneRow} | ` +
        `${(c.reqPerSec / c.target.publishedOneRow).toFixed(1)}x |`,
    );
  }
  lines.push('', '`models serve -w 1` vs `-w 2` (the CLI, node:cluster):', '', await benchServingWorkers(seconds));
  return lines.join('\n');
}

// Alone: BENCH_DURATION=5 node --import tsx bench/serving.ts
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`## Serving\n\n${await benchServing(Number(process.env.BENCH_DURATION ?? 10))}\n`);
}

// H2O MOJO scoring: a GBM MOJO with 50 trees (h2o-3's gbm_variable_importance.zip, prostate,
// binomial) saved with `h2o save` as an h2o_mojo_pojo model.
//   1. serving: `mlflow-ts serve` on it vs the bare node:http reference, 1-row requests (target
//      >= 5,000 req/s), each server in its own process, in alternating rounds;
//   2. batch: 1M rows (BENCH_H2O_ROWS) through predictFrame (PredictCsv's per-cell conversion and
//      output columns) vs score0 alone on the same rows, in a child process, with its peak RSS.
// Runnable alone: node --import tsx bench/h2o.ts
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { saveH2OMojo } from '../src/flavors/h2o/index.js';
import { CONNECTIONS, loadServer, serverStats, startServer, stopServer, type ServerProcess } from './server-process.js';

const MOJO = fileURLToPath(new URL('../test/fixtures/h2o/h2o-3/h2o-genmodel/src/test/resources/hex/genmodel/algos/gbm/gbm_variable_importance.zip', import.meta.url));
const ROUNDS = 5;
const ROW = { AGE: 65.0, RACE: 1.0, DPROS: 2.0, DCAPS: 1.0, PSA: 1.4, VOL: 0.0, GLEASON: 6.0 };
const PAYLOAD = JSON.stringify({ dataframe_split: { columns: Object.keys(ROW), data: [Object.values(ROW).map((v) => v + 0.5)] } });

interface Tally { requests: number; seconds: number; p50s: number[]; p99s: number[]; errors: number; cpuMicros: number }

async function serving(modelDir: string, seconds: number): Promise<string> {
  const servers: [string, ServerProcess][] = [];
  try {
    servers.push(['bare node:http (reference)', await startServer({ kind: 'bare' })]);
    servers.push(['serve MOJO GBM 50 trees (h2o_mojo_pojo, native)', await startServer({ kind: 'serve', modelDir, runtime: 'native' })]);
    const tallies = servers.map((): Tally => ({ requests: 0, seconds: 0, p50s: [], p99s: [], errors: 0, cpuMicros: 0 }));
    for (const [, s] of servers) await loadServer(s, PAYLOAD, 2);
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < servers.length; i++) {
        const before = await serverStats(servers[i][1]);
        const r = await loadServer(servers[i][1], PAYLOAD, seconds / ROUNDS);
        const after = await serverStats(servers[i][1]);
        const t = tallies[i];
        t.cpuMicros += after.cpu - before.cpu;
        t.requests += r.requests.total;
        t.seconds += r.duration;
        t.p50s.push(r.latency.p50);
        t.p99s.push(r.latency.p99);
        t.errors += r.errors + r.non2xx + r.timeouts;
      }
    }
    const lines = [
      `1-row requests, ${CONNECTIONS} connections, ${seconds} s per server in ${ROUNDS} alternating rounds`,
      '',
      '| server | req/s | p50 ms | p99 ms | server CPU µs/req | server RSS MB | errors |',
      '|---|---|---|---|---|---|---|',
    ];
    for (let i = 0; i < servers.length; i++) {
      const t = tallies[i];
      const { rss } = await serverStats(servers[i][1]);
      const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const cpu = t.cpuMicros / Math.max(1, t.requests);
      lines.push(`| ${servers[i][0]} | ${(t.requests / t.seconds).toFixed(0)} | ${med(t.p50s)} | ${med(t.p99s)} | ${cpu.toFixed(0)} | ${(rss / 2 ** 20).toFixed(1)} | ${t.errors} |`);
    }
    lines.push('', 'Server CPU per request barely depends on the machine\'s load; 1e6 / (CPU µs/req) is the req/s one core could serve.');
    return lines.join('\n');
  } finally {
    await Promise.all(servers.map(([, s]) => stopServer(s)));
  }
}

async function batch(rows: number): Promise<string> {
  const child = fileURLToPath(new URL('./h2o-batch.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, MOJO, String(rows)], { maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout) as { rows: number; frameSeconds: number; score0Seconds: number; peakRssMb: number; baseRssMb: number };
  return [
    `${r.rows.toLocaleString('en-US')} rows, 7 numeric columns, one process`,
    '',
    '| path | seconds | rows/s |',
    '|---|---|---|',
    `| predictFrame (table in, PredictCsv columns out) | ${r.frameSeconds.toFixed(2)} | ${Math.round(r.rows / r.frameSeconds).toLocaleString('en-US')} |`,
    `| score0 loop alone (reference) | ${r.score0Seconds.toFixed(2)} | ${Math.round(r.rows / r.score0Seconds).toLocaleString('en-US')} |`,
    '',
    `peak RSS ${r.peakRssMb.toFixed(0)} MB (process at start: ${r.baseRssMb.toFixed(0)} MB; the 1M-row input table alone is 56 MB)`,
  ].join('\n');
}

/** Both H2O benchmarks as markdown tables. */
export async function benchH2O(seconds: number, rows: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-bench-h2o-'));
  try {
    const modelDir = path.join(dir, 'gbm');
    await saveH2OMojo(modelDir, { mojo: MOJO });
    return `### Serving\n\n${await serving(modelDir, seconds)}\n\n### Batch\n\n${await batch(rows)}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.env.BENCH_DURATION ?? 10);
  const rows = Number(process.env.BENCH_H2O_ROWS ?? 1_000_000);
  process.stdout.write(`## H2O MOJO scoring\n\n${await benchH2O(seconds, rows)}\n`);
}

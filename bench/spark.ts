// The spark flavor: `mlflow-ts serve` and `models predict` on a Spark RandomForest pipeline
// (StringIndexer + VectorAssembler + RandomForestClassificationModel with 100 trees, the Audit
// data). Spark cannot run on this machine, so the model is test/fixtures/spark/generated/
// rf100-audit: 100 trees fitted by scikit-learn and written in Spark 3.5's PipelineModel layout by
// make_rf100_audit.py (see there). The reference measured in the same run is a bare node:http
// server (parse the JSON body, answer a constant). MLflow itself would serve this model through a
// local SparkContext; with no JVM here that is not measured.
//   node --import tsx bench/spark.ts   (BENCH_DURATION seconds per serving cell, BENCH_ROWS batch rows)
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CONNECTIONS, loadServer, serverStats, startServer, stopServer, type ServerProcess } from './server-process.js';

const MODEL = fileURLToPath(new URL('../test/fixtures/spark/generated/rf100-audit', import.meta.url));
const ROUNDS = 5;
const COLUMNS = ['Age', 'Income', 'Hours', 'Employment'];
const SAMPLES: [number, number, number, string][] = [
  [38, 81838, 72, 'Private'],
  [35, 72099, 30, 'Private'],
  [32, 154676.74, 40, 'Private'],
  [45, 27743.82, 55, 'SelfEmp'],
  [60, 7568.23, 40, 'PSFederal'],
];

function payload(rows: number): string {
  return JSON.stringify({ dataframe_split: { columns: COLUMNS, data: Array.from({ length: rows }, (_, i) => SAMPLES[i % SAMPLES.length]) } });
}

interface Cell { label: string; reqPerSec: number; p50: number; p99: number; cpuPerReq: number; rssMb: number; errors: number }

async function serving(seconds: number): Promise<Cell[]> {
  const servers: [string, ServerProcess][] = [];
  try {
    servers.push(['bare node:http', await startServer({ kind: 'bare' })]);
    servers.push(['serve rf100-audit (spark, native)', await startServer({ kind: 'serve', modelDir: MODEL, runtime: 'native' })]);
    const body = payload(1);
    const tally = servers.map(() => ({ requests: 0, seconds: 0, p50: [] as number[], p99: [] as number[], errors: 0, cpuMicros: 0 }));
    for (const [, s] of servers) await loadServer(s, body, 2); // warm-up (JIT)
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < servers.length; k++) {
        const before = await serverStats(servers[k][1]);
        const r = await loadServer(servers[k][1], body, seconds / ROUNDS);
        tally[k].cpuMicros += (await serverStats(servers[k][1])).cpu - before.cpu;
        tally[k].requests += r.requests.total;
        tally[k].seconds += r.duration;
        tally[k].p50.push(r.latency.p50);
        tally[k].p99.push(r.latency.p99);
        tally[k].errors += r.errors + r.non2xx + r.timeouts;
      }
    }
    const cells: Cell[] = [];
    for (let k = 0; k < servers.length; k++) {
      const { rss } = await serverStats(servers[k][1]);
      const t = tally[k];
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      cells.push({ label: servers[k][0], reqPerSec: t.requests / t.seconds, p50: median(t.p50), p99: median(t.p99), cpuPerReq: t.cpuMicros / Math.max(1, t.requests), rssMb: rss / 2 ** 20, errors: t.errors });
    }
    return cells;
  } finally {
    await Promise.all(servers.map(([, s]) => stopServer(s)));
  }
}

interface Batch { loadSeconds: number; predictSeconds: number; predictCpuSeconds: number; rows: number; maxRssMb: number }

async function batch(rows: number): Promise<Batch> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-bench-spark-'));
  try {
    const input = path.join(dir, 'rows.csv');
    const lines = [COLUMNS.join(',')];
    for (let i = 0; i < rows; i++) lines.push(SAMPLES[i % SAMPLES.length].join(','));
    await writeFile(input, `${lines.join('\n')}\n`);
    const child = fileURLToPath(new URL('./spark-batch-child.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, MODEL, input, path.join(dir, 'out.csv')], { maxBuffer: 1 << 20 });
    return JSON.parse(stdout) as Batch;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the spark benchmark; returns its tables (markdown). */
export async function benchSpark(seconds: number, rows: number): Promise<string> {
  const cells = await serving(seconds);
  const b = await batch(rows);
  const bare = cells[0];
  const lines = [
    `1-row requests, ${CONNECTIONS} connections, ${seconds} s per server in ${ROUNDS} alternating rounds, node ${process.version}`,
    '',
    '| server | req/s | p50 ms | p99 ms | server CPU µs/req | server RSS MB | req/s vs bare | errors |',
    '|---|---|---|---|---|---|---|---|',
    ...cells.map((c) => `| ${c.label} | ${c.reqPerSec.toFixed(0)} | ${c.p50} | ${c.p99} | ${c.cpuPerReq.toFixed(0)} | ${c.rssMb.toFixed(1)} | ${((100 * c.reqPerSec) / bare.reqPerSec).toFixed(0)}% | ${c.errors} |`),
    '',
    `\`models predict\` (native, csv in, csv out, default batch size) on ${b.rows.toLocaleString('en-US')} rows:`,
    '',
    '| model load s | predict s | rows/s | CPU s | rows per CPU-second | peak RSS MB |',
    '|---|---|---|---|---|---|',
    `| ${b.loadSeconds.toFixed(2)} | ${b.predictSeconds.toFixed(2)} | ${(b.rows / b.predictSeconds).toFixed(0)} | ${b.predictCpuSeconds.toFixed(2)} | ${(b.rows / b.predictCpuSeconds).toFixed(0)} | ${b.maxRssMb.toFixed(0)} |`,
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.env.BENCH_DURATION ?? 10);
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  process.stdout.write(`${await benchSpark(seconds, rows)}\n`);
}

// The Python bridge on iris_logreg (scored by Debian's scikit-learn in Python workers): req/s and
// p99 with 1 and 2 workers, 1-row and 1000-row requests, through the Predictor directly and
// through the scoring server (autocannon). MLflow 2.22.1's own server on this machine: about
// 200 req/s (1 row) and 85 req/s (1000 rows).
//   MLFLOW_TS_PYTHON=/usr/bin/python3 node --import tsx bench/python-bridge.ts
// BENCH_DURATION (seconds per cell, default 5) shortens a run.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { Frame } from '../src/frame/frame.js';
import { loadPredictor, type Predictor } from '../src/pyfunc/index.js';
import { createScoringServer } from '../src/serve/index.js';

const MODEL = fileURLToPath(new URL('../test/fixtures/python_function/models/iris_logreg', import.meta.url));
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.2, 2.9, 4.3, 1.3],
  [7.7, 3.1, 6.1, 2.3],
];
const CONCURRENCY = 16;

export interface BridgeBenchRow {
  path: 'predictor' | 'server';
  workers: number;
  rows: number;
  reqPerSec: number;
  p99Ms: number;
  errors: number;
}

function rowsOf(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => ROWS[i % ROWS.length]);
}

function frameOf(n: number): Frame {
  const rows = rowsOf(n);
  return new Frame(FEATURES.map((name, j) => ({
    name,
    data: { kind: 'number', dtype: 'float64', values: Float64Array.from(rows, (r) => r[j]) },
  })));
}

function p99(latencies: number[]): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN;
}

/** CONCURRENCY callers predicting back to back for `seconds`. */
async function viaPredictor(predictor: Predictor, rows: number, seconds: number): Promise<Omit<BridgeBenchRow, 'workers'>> {
  const input = frameOf(rows);
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await predictor.predict(input);
        latencies.push(performance.now() - t);
      } catch {
        errors++;
      }
    }
  }));
  return { path: 'predictor', rows, reqPerSec: latencies.length / seconds, p99Ms: p99(latencies), errors };
}

async function viaServer(predictor: Predictor, rows: number, seconds: number): Promise<Omit<BridgeBenchRow, 'workers'>> {
  const server = createScoringServer(predictor, { logger: pino({ level: 'silent' }) });
  const { port } = await server.listen(0, '127.0.0.1');
  try {
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/invocations`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns: FEATURES, data: rowsOf(rows) } }),
      connections: CONCURRENCY,
      duration: seconds,
    });
    return {
      path: 'server',
      rows,
      reqPerSec: result.requests.average,
      p99Ms: result.latency.p99,
      errors: result.errors + result.non2xx + result.timeouts,
    };
  } finally {
    // The server's close() also closes the predictor; the caller closes it once more (a no-op).
    await server.server.close();
  }
}

export async function benchPythonBridge(seconds = Number(process.env.BENCH_DURATION ?? 5)): Promise<BridgeBenchRow[]> {
  process.env.MLFLOW_TS_PYTHON ??= '/usr/bin/python3';
  const out: BridgeBenchRow[] = [];
  for (const workers of [1, 2]) {
    const predictor = await loadPredictor(MODEL, { runtime: 'python', workers });
    try {
      await viaPredictor(predictor, 1, 1); // warm-up
      for (const rows of [1, 1000]) {
        out.push({ workers, ...(await viaPredictor(predictor, rows, seconds)) });
        out.push({ workers, ...(await viaServer(predictor, rows, seconds)) });
      }
    } finally {
      await predictor.close();
    }
  }
  return out;
}

export function formatBridgeTable(rows: BridgeBenchRow[]): string {
  const lines = ['| path | workers | rows/request | req/s | p99 ms | errors |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.path} | ${r.workers} | ${r.rows} | ${r.reqPerSec.toFixed(0)} | ${r.p99Ms.toFixed(1)} | ${r.errors} |`);
  }
  lines.push('', 'Reference: MLflow 2.22.1 `mlflow models serve` on this machine, about 200 req/s (1 row) and 85 req/s (1000 rows).');
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await benchPythonBridge();
  process.stdout.write(`${formatBridgeTable(rows)}\n`);
}

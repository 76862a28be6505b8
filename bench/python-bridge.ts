// The Python bridge on iris_logreg (scored by Debian's scikit-learn in Python workers): req/s and
// p99 with 1 and 2 workers, 1-row and 1000-row requests, through the Predictor directly (in this
// process) and through the scoring server (in a child process, under autocannon), beside the same
// model scored natively in the same run.
// MLflow 2.22.1's own server on this kind of machine (published figures, not measured here):
// about 200 req/s (1 row) and 85 req/s (1000 rows).
//   MLFLOW_TS_PYTHON=/usr/bin/python3 node --import tsx bench/python-bridge.ts
// BENCH_DURATION (seconds per cell, default 5) shortens a run.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Frame } from '../src/frame/frame.js';
import { loadPredictor, type Predictor } from '../src/pyfunc/index.js';
import { IRIS_FEATURES, irisPayload, irisRows } from './iris.js';
import { CONNECTIONS, loadServer, startServer, stopServer } from './server-process.js';

const MODEL = fileURLToPath(new URL('../test/fixtures/python_function/models/iris_logreg', import.meta.url));

export interface BridgeBenchRow {
  runtime: 'native' | 'python';
  path: 'predictor' | 'server';
  /** Python workers (0 for the native runtime). */
  workers: number;
  rows: number;
  reqPerSec: number;
  p99Ms: number;
  errors: number;
}

type Config = Pick<BridgeBenchRow, 'runtime' | 'workers'>;

const CONFIGS: Config[] = [
  { runtime: 'native', workers: 0 },
  { runtime: 'python', workers: 1 },
  { runtime: 'python', workers: 2 },
];

function frameOf(n: number): Frame {
  const rows = irisRows(n);
  return new Frame(IRIS_FEATURES.map((name, j) => ({
    name,
    data: { kind: 'number', dtype: 'float64', values: Float64Array.from(rows, (r) => r[j]) },
  })));
}

function p99(latencies: number[]): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN;
}

/** CONNECTIONS callers predicting back to back for `seconds`. */
async function viaPredictor(predictor: Predictor, config: Config, rows: number, seconds: number): Promise<BridgeBenchRow> {
  const input = frameOf(rows);
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
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
  return { ...config, path: 'predictor', rows, reqPerSec: latencies.length / seconds, p99Ms: p99(latencies), errors };
}

async function measureConfig(config: Config, seconds: number): Promise<BridgeBenchRow[]> {
  const out: BridgeBenchRow[] = [];
  const options = config.runtime === 'python' ? { runtime: config.runtime, workers: config.workers } : { runtime: config.runtime };
  const predictor = await loadPredictor(MODEL, options);
  try {
    await viaPredictor(predictor, config, 1, 1); // warm-up
    for (const rows of [1, 1000]) out.push(await viaPredictor(predictor, config, rows, seconds));
  } finally {
    await predictor.close();
  }
  const server = await startServer({ kind: 'serve', modelDir: MODEL, runtime: config.runtime, workers: Math.max(1, config.workers) });
  try {
    await loadServer(server, irisPayload(1), 1); // warm-up
    for (const rows of [1, 1000]) {
      const r = await loadServer(server, irisPayload(rows), seconds);
      out.push({
        ...config,
        path: 'server',
        rows,
        reqPerSec: r.requests.total / r.duration,
        p99Ms: r.latency.p99,
        errors: r.errors + r.non2xx + r.timeouts,
      });
    }
  } finally {
    await stopServer(server);
  }
  return out;
}

export async function benchPythonBridge(seconds = Number(process.env.BENCH_DURATION ?? 5)): Promise<BridgeBenchRow[]> {
  process.env.MLFLOW_TS_PYTHON ??= '/usr/bin/python3';
  const out: BridgeBenchRow[] = [];
  for (const config of CONFIGS) out.push(...(await measureConfig(config, seconds)));
  return out;
}

export function formatBridgeTable(rows: BridgeBenchRow[]): string {
  const lines = [
    `${CONNECTIONS} concurrent callers (predictor, in this process) or autocannon connections (server, in a child process)`,
    '',
    '| runtime | workers | path | rows/request | req/s | p99 ms | errors |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const runtime = r.runtime === 'python' ? 'Python bridge' : 'native (no Python)';
    lines.push(
      `| ${runtime} | ${r.runtime === 'python' ? r.workers : '-'} | ${r.path} | ${r.rows} | ${r.reqPerSec.toFixed(0)} | ` +
        `${r.p99Ms.toFixed(1)} | ${r.errors} |`,
    );
  }
  lines.push(
    '',
    'Published reference, NOT measured here (no mlflow installed): MLflow 2.22.1 `mlflow models serve` on this kind of',
    'machine serves this model at about 200 req/s (1 row) and 85 req/s (1000 rows).',
  );
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await benchPythonBridge();
  process.stdout.write(`${formatBridgeTable(rows)}\n`);
}

// Batch scoring through `mlflow-ts worker` (the Python package's spark_udf, Ray and Dask paths):
// rows/s and each worker's peak RSS directly over the protocol (one worker, from Python), through
// Ray Data with 1 and 2 actors and through Dask's multiprocessing scheduler with 1 and 2
// processes, beside the same model scored in this process (no IPC) in the same run. Every run is
// checked row for row against the in-process predictions. Needs .venv-py
// (scripts/install-python-test-deps.sh) and a build (`npm run build`; `npm run bench` builds).
//   node --import tsx bench/batch-workers.ts
// BENCH_ROWS (default 1,000,000) sets the row count.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableToIPC } from 'apache-arrow';
import { Frame } from '../src/frame/index.js';
import { frameToArrow } from '../src/arrow.js';
import { loadPredictor } from '../src/pyfunc/index.js';
import { predictionsToFrame } from '../src/serve/index.js';
import { IRIS_FEATURES } from './iris.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const MODEL = join(root, 'examples', 'iris-sklearn');
const PYTHON = join(root, '.venv-py', 'bin', 'python');

interface Measurement {
  engine: string;
  workers?: number;
  batch_rows?: number;
  rows?: number;
  seconds: number;
  start_seconds?: number;
  worker_peak_mb?: number;
  peak_mb?: number;
}

/** Iris-like rows spread over the feature ranges (deterministic), so every class occurs. */
function irisFrame(rows: number): Frame {
  const ranges = [[4, 8], [2, 4.5], [1, 7], [0.1, 2.5]];
  return new Frame(
    IRIS_FEATURES.map((name, j) => {
      const values = new Float64Array(rows);
      for (let i = 0; i < rows; i++) values[i] = ranges[j][0] + (ranges[j][1] - ranges[j][0]) * (((i * 7919 + j * 104729) % 10007) / 10007);
      return { name, data: { kind: 'number' as const, dtype: 'float64' as const, values } };
    }),
    rows,
  );
}

function runPython(args: string[]): Promise<Measurement[]> {
  const child = spawn(PYTHON, args, {
    env: {
      ...process.env,
      MLFLOW_TS_BIN: `${process.execPath} ${join(root, 'bin', 'mlflow-ts.js')}`,
      // bench/ for batch_workers_measured, test/python/ for local_ray.
      PYTHONPATH: [join(root, 'python'), join(root, 'bench'), join(root, 'test', 'python')].join(':'),
      RAY_USAGE_STATS_ENABLED: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`bench/batch_workers.py exited with ${code}:\n${err.slice(-3000)}`));
      else resolve(out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Measurement));
    }),
  );
}

export async function benchBatchWorkers(rows = Number(process.env.BENCH_ROWS ?? 1_000_000)): Promise<string> {
  if (!existsSync(PYTHON)) return `(skipped: no ${PYTHON}; run scripts/install-python-test-deps.sh)`;
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) return '(skipped: no build; run npm run build)';
  const dir = await mkdtemp(join(tmpdir(), 'mlflow-ts-bench-workers-'));
  try {
    const input = irisFrame(rows);
    const predictor = await loadPredictor(MODEL, { runtime: 'native' });
    await predictor.predict(input); // warm-up
    const started = performance.now();
    const expected = predictionsToFrame(await predictor.predict(input));
    const inProcessSeconds = (performance.now() - started) / 1000;
    await predictor.close();
    const inputPath = join(dir, 'input.arrow');
    const expectedPath = join(dir, 'expected.arrow');
    await writeFile(inputPath, tableToIPC(frameToArrow(input), 'file'));
    await writeFile(expectedPath, tableToIPC(frameToArrow(expected), 'file'));
    const results = await runPython([join(root, 'bench', 'batch_workers.py'), MODEL, inputPath, expectedPath]);
    return formatTable(rows, inProcessSeconds, results);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function formatTable(rows: number, inProcessSeconds: number, results: Measurement[]): string {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const lines = [
    `${fmt(rows)} rows of iris (examples/iris-sklearn, LogisticRegression, native); every run matched the in-process predictions.`,
    '',
    '| path | workers | rows per batch | rows/s | seconds | worker peak RSS |',
    '|---|---|---|---|---|---|',
    `| in-process predict (reference, no IPC) | - | ${fmt(rows)} | ${fmt(rows / inProcessSeconds)} | ${inProcessSeconds.toFixed(2)} | - |`,
  ];
  for (const r of results) {
    if (r.rows === undefined) continue;
    const start = r.start_seconds === undefined ? ' (incl. worker start)' : ` (start ${r.start_seconds.toFixed(1)} s apart)`;
    lines.push(
      `| ${r.engine} | ${r.workers} | ${fmt(r.batch_rows ?? 0)} | ${fmt(r.rows / r.seconds)} | ${r.seconds.toFixed(2)}${start} | ` +
        `${r.worker_peak_mb === undefined ? '-' : `${fmt(r.worker_peak_mb)} MB`} |`,
    );
  }
  const init = results.find((r) => r.engine === 'ray.init');
  const driver = results.find((r) => r.engine === 'driver');
  if (init) lines.push('', `ray.init(num_cpus=2): ${init.seconds.toFixed(1)} s (not in the Ray rows).`);
  if (driver?.peak_mb !== undefined) lines.push(`Python driver peak RSS: ${fmt(driver.peak_mb)} MB.`);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${await benchBatchWorkers()}\n`);
}

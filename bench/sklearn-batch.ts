// Native scikit-learn batch predict against Debian's scikit-learn 1.2.1 in-process predict,
// measured in the same run. bench/sklearn_batch.py trains LogisticRegression, RandomForest (100
// trees) and HistGradientBoosting on synthetic data (make_classification, 20 features, 3 classes),
// pickles them, and times model.predict on a numpy array of ROWS rows, single-threaded. Here the
// same pickles are read by loadSklearnEstimator and the same rows (a Float64Array) are predicted
// by callMethod; only the predict call is timed, and the predictions are checked to agree.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { callMethod, loadSklearnEstimator } from '../src/flavors/sklearn/index.js';
import { makeTensor } from '../src/frame/tensor.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./sklearn_batch.py', import.meta.url));
const FEATURES = 20;
const WARM_UP_ROWS = 10_000;
const WARM_UP_CALLS = 5;
const MODELS = [
  { name: 'logreg', label: 'LogisticRegression' },
  { name: 'rf', label: 'RandomForestClassifier (100 trees)' },
  { name: 'hgb', label: 'HistGradientBoostingClassifier' },
];

interface BatchRow { label: string; rows: number; pythonSeconds: number; oursSeconds: number; agree: number }

export async function readF64(file: string): Promise<Float64Array> {
  const buf = await readFile(file);
  // Copied (a Buffer may also sit in a pool at an unaligned offset): the copy is memory this
  // process has written, as Python's X is (made in memory). On this VM the first pass over
  // readFile's pages ran 3-4x slower than later ones, which timed LogisticRegression's first
  // predict (the first model) at a third of its speed.
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Python's side: trains, pickles and times predict; returns the predict seconds per model. */
async function runPython(dir: string, rows: number): Promise<Record<string, number>> {
  // Single-threaded BLAS and OpenMP, as our predict is; and without the OpenBLAS overrides this
  // machine's environment sets for other programs, which Debian's numpy does not expect.
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, dir, String(rows), ...MODELS.map((m) => m.name)], {
    env,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as Record<string, number>;
}

/** Runs the benchmark on `rows` rows; returns its table (markdown). */
export async function benchSklearnBatch(rows: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-bench-'));
  const out: BatchRow[] = [];
  try {
    const pythonSeconds = await runPython(dir, rows);
    const data = await readF64(path.join(dir, 'X.f64'));
    const x = makeTensor({ dtype: 'float64', shape: [rows, FEATURES], data });
    const warmRows = Math.min(WARM_UP_ROWS, rows);
    const warmUp = makeTensor({ dtype: 'float64', shape: [warmRows, FEATURES], data: data.subarray(0, warmRows * FEATURES) });
    for (const m of MODELS) {
      const est = await loadSklearnEstimator(path.join(dir, `${m.name}.pkl`));
      // Python's side warms up once; V8 needs a few calls before its optimizing compiler has
      // compiled every hot loop (a first call on 1M rows runs its loops unoptimized until then)
      for (let i = 0; i < WARM_UP_CALLS; i++) callMethod(est, 'predict', warmUp);
      const start = performance.now();
      const pred = callMethod(est, 'predict', x);
      const oursSeconds = (performance.now() - start) / 1000;
      const expected = await readF64(path.join(dir, `${m.name}.pred.f64`));
      let agree = 0;
      for (let i = 0; i < rows; i++) if (Number(pred.data[i]) === expected[i]) agree++;
      out.push({ label: m.label, rows, pythonSeconds: pythonSeconds[m.name], oursSeconds, agree });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const lines = [
    `${rows.toLocaleString('en-US')} rows x ${FEATURES} float64 features, predict only, single-threaded on both sides ` +
      '(Python: Debian scikit-learn 1.2.1, OMP_NUM_THREADS=1)',
    '',
    '| model | rows | scikit-learn rows/s | mlflow-ts rows/s | mlflow-ts vs scikit-learn | predictions agreeing |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of out) {
    const py = r.rows / r.pythonSeconds;
    const ours = r.rows / r.oursSeconds;
    lines.push(
      `| ${r.label} | ${r.rows} | ${py.toFixed(0)} | ${ours.toFixed(0)} | ${(ours / py).toFixed(2)}x | ${r.agree}/${r.rows} |`,
    );
  }
  return lines.join('\n');
}

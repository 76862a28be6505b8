// `npm run bench`: every benchmark in one run, each printed as a table beside the reference
// measured in the same run.
//   1. serving: mlflow-ts's scoring server (iris-js, iris_logreg, iris_rf) vs a bare node:http server
//   2. native scikit-learn batch predict vs Debian's scikit-learn 1.2.1 in-process predict
//   3. the Python bridge (1 and 2 workers) vs the native path, on iris_logreg
//   4. TensorFlow: dense and CNN SavedModels on tfjs's cpu and wasm backends vs tfjs
//      LayersModel.predict, and SavedModel load times, converted vs from the conversion cache
//   5. XGBoost / LightGBM native batch predict vs each library single-threaded (same rows, same
//      run), ONNX through the flavor vs onnxruntime-node directly, 1-row serving of each
// BENCH_DURATION (seconds per measured cell, default 10) shortens a run; it also sets the batch
// size of benchmark 2 (100,000 rows per second of BENCH_DURATION, at most 1,000,000), which
// BENCH_ROWS overrides. The defaults take about 5 minutes on a 2-core machine.
// Timings depend on the machine's load, so the load average is printed before and after.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchBoosters } from './boosters.js';
import { benchPythonBridge, formatBridgeTable } from './python-bridge.js';
import { benchServing } from './serving.js';
import { benchSklearnBatch } from './sklearn-batch.js';
import { benchTensorflow } from './tensorflow.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const BATCH_ROWS = Number(process.env.BENCH_ROWS ?? Math.min(1_000_000, Math.round(100_000 * DURATION)));

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function section(title: string, table: string): void {
  process.stdout.write(`\n## ${title}\n\n${table}\n`);
}

const started = performance.now();
process.stdout.write(
  `mlflow-ts benchmarks: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ` +
    `BENCH_DURATION=${DURATION}\nload average (1/5/15 min) at start: ${loadAverage()}\n`,
);

section('1. Serving: mlflow-ts serve vs bare node:http', await benchServing(DURATION));
process.stdout.write(`\nload average now: ${loadAverage()}\n`);

section('2. Native scikit-learn batch predict vs scikit-learn 1.2.1', await benchSklearnBatch(BATCH_ROWS));
process.stdout.write(`\nload average now: ${loadAverage()}\n`);

const bridgeSeconds = Math.max(1, Math.round(DURATION / 2));
section(
  `3. Python bridge vs native, iris_logreg (${bridgeSeconds} s per cell)`,
  formatBridgeTable(await benchPythonBridge(bridgeSeconds)),
);

process.stdout.write(`\nload average now: ${loadAverage()}\n`);

const tfSeconds = Math.max(0.5, DURATION / 5);
section(`4. TensorFlow SavedModels: cpu vs wasm backend, and load times (${tfSeconds} s per cell)`, await benchTensorflow(tfSeconds));

process.stdout.write(`\nload average now: ${loadAverage()}\n`);
section('5. XGBoost, LightGBM and ONNX: native vs the library, and 1-row serving', await benchBoosters(BATCH_ROWS, Math.max(1, DURATION / 2)));

process.stdout.write(
  `\nload average (1/5/15 min) at end: ${loadAverage()}; total ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);

// `npm run bench`: every benchmark in one run, each printed as a table beside the reference
// measured in the same run.
//   1. serving: mlflow-ts's scoring server (iris-js, iris_logreg, iris_rf) vs a bare node:http server
//   2. native scikit-learn batch predict vs scikit-learn's in-process predict (1.9.1 from
//      /work/venvs/sk191 if present, else Debian's 1.2.1), and models predict with 1 vs 2+ worker threads
//   3. the Python bridge (1 and 2 workers) vs the native path, on iris_logreg
//   4. TensorFlow: dense and CNN SavedModels on tfjs's cpu and wasm backends vs tfjs
//      LayersModel.predict, and SavedModel load times, converted vs from the conversion cache
//   5. the real Keras fixtures (dense, CNN, LSTM) vs TensorFlow 2.21's own predict, 1 thread
//      (needs MLFLOW_TS_TF_PYTHON, a Python with tensorflow; else ours only)
//   6. H2O: a 50-tree GBM MOJO served (1-row requests) vs bare node:http, and 1M-row batch scoring
//      (BENCH_H2O_ROWS) vs score0 alone, with peak RSS
//   7. spark: serve (1-row req/s) and models predict (rows/s, peak RSS) on a 100-tree Spark
//      RandomForest pipeline vs a bare node:http server
//   8. batch scoring through `mlflow-ts worker`: the protocol directly, Ray Data and Dask with 1
//      and 2 workers, vs in-process predict (needs .venv-py: scripts/install-python-test-deps.sh)
//   9. hostile request bodies (a CSV header repeating one name, records with ever new keys)
//      vs pandas 1.5.3 reading the same CSV; the longest /ping wait while large bodies are
//      scored vs JSON.parse of the same size
//  10. XGBoost / LightGBM native batch predict vs each library single-threaded (same rows, same
//      run), ONNX through the flavor vs onnxruntime-node directly, 1-row serving of each
// BENCH_DURATION (seconds per measured cell, default 10) shortens a run; it also sets the batch
// size of benchmark 2 (100,000 rows per second of BENCH_DURATION, at most 1,000,000), which
// BENCH_ROWS overrides. The defaults take about 5 minutes on a 2-core machine.
// Timings depend on the machine's load, so the load average is printed before and after.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchH2O } from './h2o.js';
import { benchBoosters } from './boosters.js';
import { benchPythonBridge, formatBridgeTable } from './python-bridge.js';
import { benchEventLoop, benchHostileRequests } from './hostile-requests.js';
import { benchServing } from './serving.js';
import { benchForestPredict } from './forest-predict.js';
import { benchSpark } from './spark.js';
import { benchSklearnBatch } from './sklearn-batch.js';
import { benchTensorflow } from './tensorflow.js';
import { benchBatchWorkers } from './batch-workers.js';
import { benchKerasVsTensorflow } from './keras-vs-tensorflow.js';
import { benchRnnSavedModels } from './tensorflow-rnn-savedmodel.js';
import { benchBatching } from './batching.js';
import { benchInstallSize } from './install-size.js';
import { benchStartup } from './startup.js';

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
section('1b. The iris RandomForest(100) in process: leaf-set layout vs the step walk', await benchForestPredict(5));
process.stdout.write(`\nload average now: ${loadAverage()}\n`);

section('2. Native scikit-learn batch predict vs scikit-learn (1.9.1 when /work/venvs/sk191 exists), and models predict --workers', await benchSklearnBatch(BATCH_ROWS));
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

section(`5. Keras models vs TensorFlow 2.21's own predict, single-threaded (${tfSeconds} s per cell)`, await benchKerasVsTensorflow(tfSeconds));
section(`5b. Keras 3 RNN SavedModels (model.export) vs TensorFlow 2.21's own signature, single-threaded (${tfSeconds} s per cell)`, await benchRnnSavedModels(tfSeconds));

process.stdout.write(`\nload average now: ${loadAverage()}\n`);

section('6. H2O MOJO scoring (GBM, 50 trees)', await benchH2O(DURATION, Number(process.env.BENCH_H2O_ROWS ?? 1_000_000)));
section('7. spark flavor: RandomForest pipeline (100 trees), serve and models predict', await benchSpark(DURATION, BATCH_ROWS));
section(`8. Batch scoring through mlflow-ts worker: Ray Data and Dask, 1 vs 2 workers (${BATCH_ROWS} rows)`, await benchBatchWorkers(BATCH_ROWS));
section('9. Hostile request bodies: read time vs pandas 1.5.3', `${benchHostileRequests()}\n\n${await benchEventLoop()}`);

process.stdout.write(`\nload average now: ${loadAverage()}\n`);
section('10. XGBoost, LightGBM and ONNX: native vs the library, and 1-row serving', await benchBoosters(BATCH_ROWS, Math.max(1, DURATION / 2)));
process.stdout.write(`\nload average now: ${loadAverage()}\n`);
section('11. Adaptive batching: 64 clients sending 1-row requests, with and without batching', await benchBatching(DURATION));

section('12. Install size per profile (npm pack, then installs from the npm cache)', await benchInstallSize());
section('13. Start-up: import, models predict, server ready vs node -e 0', await benchStartup());

process.stdout.write(
  `\nload average (1/5/15 min) at end: ${loadAverage()}; total ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);

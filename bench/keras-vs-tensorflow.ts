// Keras models scored natively vs TensorFlow 2.21's own CPU predict, single-threaded
// (tf.config.threading 1/1), both in this run: the real dense, CNN and LSTM fixtures
// (test/fixtures/tensorflow/real/keras/{dense_mlp,cnn2d,rnn}.keras) at batch 1 and 1000, rows per
// second, and the ratio to predict_on_batch per CPU-second of each process (what survives other
// jobs sharing the cores; equal to the wall-clock ratio on an idle machine). The reference needs a
// Python with tensorflow 2.21 and keras 3: MLFLOW_TS_TF_PYTHON (default /work/venvs/keras/bin/python);
// without it only our numbers are printed.
// Run alone: node --import tsx bench/keras-vs-tensorflow.ts  (BENCH_DURATION seconds per cell, default 5)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadKerasArchive } from '../src/flavors/tensorflow/keras3/index.js';
import { kerasFlavorModel } from '../src/flavors/tensorflow/keras-predictor.js';
import { isTensor, makeTensor, type Tensor } from '../src/frame/tensor.js';

const REAL = fileURLToPath(new URL('../test/fixtures/tensorflow/real/keras', import.meta.url));
const MODELS = ['dense_mlp', 'cnn2d', 'rnn'];
const PYTHON = process.env.MLFLOW_TS_TF_PYTHON ?? '/work/venvs/keras/bin/python';

/** The inputs keras_tensorflow_reference.py builds: the same formula. */
export function inputs(shape: number[], rows: number): Tensor {
  const size = rows * shape.reduce((a, b) => a * b, 1);
  return makeTensor({ dtype: 'float32', shape: [rows, ...shape], data: Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1000) / 1000) });
}

/** Rows per wall-clock second and per CPU-second of this process (steadier when other jobs share the cores). */
export async function rowsPerSecond(fn: () => Promise<unknown>, rows: number, seconds: number): Promise<{ wall: number; cpu: number }> {
  const warm = performance.now();
  while (performance.now() - warm < 500) await fn();
  let n = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - start < seconds * 1000) {
    await fn();
    n++;
  }
  const used = process.cpuUsage(cpu);
  return { wall: (n * rows) / ((performance.now() - start) / 1000), cpu: (n * rows) / Math.max((used.user + used.system) / 1e6, 1e-9) };
}

type Reference = Record<string, Record<string, { predict: number; on_batch: number; on_batch_cpu: number; sum: number }>>;

function reference(files: string[], seconds: number): Reference | undefined {
  if (!existsSync(PYTHON)) return undefined;
  const script = fileURLToPath(new URL('./keras_tensorflow_reference.py', import.meta.url));
  const out = execFileSync(PYTHON, [script, String(seconds), ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out.trim().split('\n').pop() as string) as Reference;
}

export async function benchKerasVsTensorflow(seconds: number): Promise<string> {
  const files = MODELS.map((m) => `${REAL}/${m}.keras`);
  const ref = reference(files, seconds);
  const rows = [
    '| model | batch | mlflow-ts rows/s | TF 2.21 `predict`, 1 thread | ratio | TF `predict_on_batch` | ratio | ratio per CPU-second | outputs agree |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [i, file] of files.entries()) {
    const layers = await loadKerasArchive(file);
    const shape = layers.inputs[0].shape.slice(1) as number[];
    const model = await kerasFlavorModel(layers);
    try {
      for (const batch of [1, 1000]) {
        const x = inputs(shape, batch);
        const y = await model.predict(x);
        const sum = isTensor(y) ? Array.from(y.data as Float32Array).reduce((a, b) => a + b, 0) : NaN;
        const ours = await rowsPerSecond(async () => model.predict(x), batch, seconds);
        const r = ref?.[file]?.[String(batch)];
        const agree = r === undefined ? '' : Math.abs(r.sum - sum) <= 1e-4 * Math.max(1, Math.abs(r.sum)) ? 'yes' : `no (${sum} vs ${r.sum})`;
        const cell = (v: number | undefined): string => (v === undefined ? 'n/a | ' : `${Math.round(v).toLocaleString('en-US')} | ${(ours.wall / v).toFixed(2)}x`);
        const perCpu = r === undefined ? 'n/a' : `${(ours.cpu / r.on_batch_cpu).toFixed(2)}x`;
        rows.push(`| ${MODELS[i]} | ${batch} | ${Math.round(ours.wall).toLocaleString('en-US')} | ${cell(r?.predict)} | ${cell(r?.on_batch)} | ${perCpu} | ${agree} |`);
      }
    } finally {
      await model.close?.();
    }
  }
  return rows.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${await benchKerasVsTensorflow(Number(process.env.BENCH_DURATION ?? 5))}\n`);
}

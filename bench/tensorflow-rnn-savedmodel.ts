// Keras 3 RNNs exported with model.export (TF 2.21 SavedModels whose LSTM/GRU/SimpleRNN layers are
// While loops over TensorLists: test/fixtures/tensorflow/real/savedmodel/{rnn,bidirectional}_export)
// scored natively on cpu and wasm vs TensorFlow 2.21's own serving signature, single-threaded, both
// in this run: rows per second at batch 1 and 100, and the ratio to TensorFlow per CPU-second of
// each process (what survives other jobs sharing the cores). The reference needs a Python with
// tensorflow 2.21: MLFLOW_TS_TF_PYTHON (default /work/venvs/keras/bin/python); without it only our
// numbers are printed.
// Run alone: node --import tsx bench/tensorflow-rnn-savedmodel.ts  (BENCH_DURATION seconds per cell, default 5)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TfBackend } from '../src/tfjs/backend.js';
import { runSignature } from '../src/flavors/tensorflow/run-signature.js';
import { loadSavedModelSignature } from '../src/flavors/tensorflow/saved-model.js';
import { inputs, rowsPerSecond } from './keras-vs-tensorflow.js';

const DIR = fileURLToPath(new URL('../test/fixtures/tensorflow/real/savedmodel', import.meta.url));
const MODELS = ['rnn_export', 'bidirectional_export'];
const PYTHON = process.env.MLFLOW_TS_TF_PYTHON ?? '/work/venvs/keras/bin/python';

type Reference = Record<string, Record<string, { rows: number; rows_cpu: number; sum: number }>>;

function reference(dirs: string[], seconds: number): Reference | undefined {
  if (!existsSync(PYTHON)) return undefined;
  const script = fileURLToPath(new URL('./tensorflow_rnn_savedmodel_reference.py', import.meta.url));
  const out = execFileSync(PYTHON, [script, String(seconds), ...dirs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out.trim().split('\n').pop() as string) as Reference;
}

export async function benchRnnSavedModels(seconds: number): Promise<string> {
  const dirs = MODELS.map((m) => `${DIR}/${m}`);
  const ref = reference(dirs, seconds);
  const rows = [
    '| SavedModel | backend | batch | mlflow-ts rows/s | TF 2.21 signature, 1 thread | ratio | ratio per CPU-second | outputs agree |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [i, dir] of dirs.entries()) {
    for (const backend of ['cpu', 'wasm'] as TfBackend[]) {
      const sig = await loadSavedModelSignature(dir, { backend, cacheDir: false });
      try {
        const spec = sig.inputs[0];
        for (const batch of [1, 100]) {
          const x = inputs((spec.shape as number[]).slice(1), batch);
          const out = await runSignature(sig, { [spec.key]: x });
          const sum = Object.values(out).reduce((s, t) => s + Array.from(t.data as Float32Array).reduce((a, b) => a + b, 0), 0);
          const ours = await rowsPerSecond(async () => runSignature(sig, { [spec.key]: x }), batch, seconds);
          const r = ref?.[dir]?.[String(batch)];
          const agree = r === undefined ? '' : Math.abs(r.sum - sum) <= 1e-4 * Math.max(1, Math.abs(r.sum)) ? 'yes' : `no (${sum} vs ${r.sum})`;
          const tfCell = r === undefined ? 'n/a | ' : `${Math.round(r.rows).toLocaleString('en-US')} | ${(ours.wall / r.rows).toFixed(2)}x`;
          const perCpu = r === undefined ? 'n/a' : `${(ours.cpu / r.rows_cpu).toFixed(2)}x`;
          rows.push(`| ${MODELS[i]} | ${sig.backend} | ${batch} | ${Math.round(ours.wall).toLocaleString('en-US')} | ${tfCell} | ${perCpu} | ${agree} |`);
        }
      } finally {
        sig.model.dispose();
      }
    }
  }
  return rows.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${await benchRnnSavedModels(Number(process.env.BENCH_DURATION ?? 5))}\n`);
}

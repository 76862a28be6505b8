// TensorFlow models scored natively: predictions per second on tfjs's pure-JS `cpu` backend and on
// its WebAssembly backend (tfjs-backend-wasm, XNNPACK), batch 1 and 1000, for a Keras-style dense
// network and a small CNN (bench/tensorflow-savedmodel.ts) loaded as MLflow models through the
// tensorflow flavor (SavedModel conversion, then the predictor every SavedModel gets); beside the
// reference: the same network's tfjs LayersModel.predict on the same backend, in the same run.
// Then the time to load each SavedModel fixture: converted from saved_model.pb, and read back
// from the converted-graph cache, as a restarted server does.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as tf from '../src/tfjs/tf.js';
import { makeTensor, type Tensor } from '../src/frame/tensor.js';
import { onTfBackend, type TfBackend } from '../src/tfjs/backend.js';
import { loadSavedModelSignature, readSavedModelProto, selectMetaGraph, signatureKeys } from '../src/flavors/tensorflow/saved-model.js';
import { loadPredictor } from '../src/pyfunc/index.js';
import { cnnModel, denseModel, writeSavedModel, type BenchModel } from './tensorflow-savedmodel.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/tensorflow', import.meta.url));
const BACKENDS: TfBackend[] = ['cpu', 'wasm'];
const BATCHES = [1, 1000];

/** Calls per second of `fn` over about `seconds` seconds, after a warm-up (JIT, tfjs's kernel caches). */
async function rate(fn: () => Promise<unknown>, seconds: number): Promise<number> {
  const warmUp = performance.now();
  for (let i = 0; i < 50 && performance.now() - warmUp < 500; i++) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

function inputs(model: BenchModel, rows: number): Float32Array {
  const size = rows * model.inputShape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1000) / 1000);
}

/** The reference: tfjs's own LayersModel.predict, the whole batch at once, on `backend`. */
function reference(model: BenchModel, backend: TfBackend, data: Float32Array, batch: number): Promise<tf.TypedArray> {
  return onTfBackend(backend, async () => {
    const t = tf.tensor(data, [batch, ...model.inputShape]);
    const y = model.layers.predict(t, { batchSize: batch }) as tf.Tensor;
    try {
      return (await y.data()) as tf.TypedArray;
    } finally {
      tf.dispose([t, y]);
    }
  });
}

interface PredictRow { label: string; backend: TfBackend; batch: number; ours: number; reference: number; maxDiff: number }

async function benchPredict(dir: string, seconds: number): Promise<PredictRow[]> {
  const out: PredictRow[] = [];
  const saved = process.env.MLFLOW_TS_TF_BACKEND;
  try {
    for (const model of [denseModel(), cnnModel()]) {
      const modelDir = path.join(dir, model.name);
      await writeSavedModel(model, modelDir);
      for (const backend of BACKENDS) {
        process.env.MLFLOW_TS_TF_BACKEND = backend;
        const predictor = await loadPredictor(modelDir, { runtime: 'native' });
        try {
          for (const batch of BATCHES) {
            const data = inputs(model, batch);
            const x: Tensor = makeTensor({ dtype: 'float32', shape: [batch, ...model.inputShape], data });
            const ours = (await predictor.predict(x)) as Tensor;
            const ref = await reference(model, backend, data, batch);
            let maxDiff = 0;
            for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - Number(ours.data[i])));
            const oursRate = await rate(() => Promise.resolve(predictor.predict(x)), seconds);
            const refRate = await rate(() => reference(model, backend, data, batch), seconds);
            out.push({ label: model.label, backend, batch, ours: oursRate, reference: refRate, maxDiff });
          }
        } finally {
          await predictor.close();
        }
      }
    }
  } finally {
    if (saved === undefined) delete process.env.MLFLOW_TS_TF_BACKEND;
    else process.env.MLFLOW_TS_TF_BACKEND = saved;
  }
  return out;
}

/** The SavedModels of test/fixtures/tensorflow (the LSTM unpacked), and the two bench networks. */
async function savedModels(dir: string): Promise<{ name: string; dir: string }[]> {
  const list: { name: string; dir: string }[] = [];
  const models = path.join(FIXTURES, 'models');
  for (const name of (await readdir(models)).sort()) {
    for (const sub of ['tf2model', 'tfmodel', 'data/model']) {
      const candidate = path.join(models, name, sub);
      if (existsSync(path.join(candidate, 'saved_model.pb'))) list.push({ name, dir: candidate });
    }
  }
  const lstm = path.join(dir, 'lstm_from_sequential');
  await mkdir(path.join(lstm, 'variables'), { recursive: true });
  await writeFile(path.join(lstm, 'saved_model.pb'), gunzipSync(await readFile(path.join(FIXTURES, 'lstm_from_sequential', 'saved_model.pb.gz'))));
  for (const f of ['variables.index', 'variables.data-00000-of-00001']) {
    await copyFile(path.join(FIXTURES, 'lstm_from_sequential', 'variables', f), path.join(lstm, 'variables', f));
  }
  list.push({ name: 'lstm_from_sequential', dir: lstm });
  for (const name of ['dense', 'cnn']) list.push({ name: `bench ${name}`, dir: path.join(dir, name, 'tfmodel') });
  return list;
}

interface LoadRow { name: string; signatureKey: string; cold: number; warm: number; backend: TfBackend }

/** serving_default, else the SavedModel's first signature. */
async function defaultSignature(dir: string): Promise<string> {
  const keys = signatureKeys(selectMetaGraph(await readSavedModelProto(dir), ['serve'], dir));
  return keys.includes('serving_default') ? 'serving_default' : keys[0];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function benchLoad(dir: string, repeats: number): Promise<LoadRow[]> {
  const cacheDir = path.join(dir, 'tf-graphs');
  const out: LoadRow[] = [];
  const time = async (modelDir: string, signatureKey: string, cache: string | false): Promise<{ ms: number; backend: TfBackend; fromCache: boolean }> => {
    const start = performance.now();
    const sig = await loadSavedModelSignature(modelDir, { signatureKey, cacheDir: cache });
    const ms = performance.now() - start;
    sig.model.dispose();
    return { ms, backend: sig.backend, fromCache: sig.fromCache };
  };
  for (const m of await savedModels(dir)) {
    const key = await defaultSignature(m.dir);
    const cold: number[] = [];
    const warm: number[] = [];
    let backend: TfBackend = 'cpu';
    for (let i = 0; i < repeats; i++) {
      const c = await time(m.dir, key, false);
      cold.push(c.ms);
      backend = c.backend;
    }
    await time(m.dir, key, cacheDir); // writes the entry
    for (let i = 0; i < repeats; i++) {
      const w = await time(m.dir, key, cacheDir);
      if (!w.fromCache) throw new Error(`bench: ${m.name} was not read from the cache`);
      warm.push(w.ms);
    }
    out.push({ name: m.name, signatureKey: key, cold: median(cold), warm: median(warm), backend });
  }
  return out;
}

/** Runs both parts, `seconds` per measured predict cell; returns the markdown tables. */
export async function benchTensorflow(seconds: number): Promise<string> {
  tf.enableProdMode(); // no console banner about tfjs-node
  const dir = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-bench-tf-'));
  // Every cache entry the run makes goes to its own folder, removed at the end.
  const savedCacheDir = process.env.MLFLOW_TS_CACHE_DIR;
  process.env.MLFLOW_TS_CACHE_DIR = dir;
  try {
    const predict = await benchPredict(dir, seconds);
    // Module loading and JIT warm-up are paid once, not by the first model timed.
    await benchLoad(dir, 1);
    const load = await benchLoad(dir, 9);
    const lines = [
      `Predictions per second, ${seconds} s per cell, one process, single-threaded. mlflow-ts: the model loaded as an MLflow ` +
        'model (tensorflow flavor, SavedModel) and called through Predictor.predict (tensors in and out, signature checks); ' +
        'reference: tfjs LayersModel.predict of the same network on the same backend. max |diff| compares their outputs.',
      '',
      '| model | backend | batch | mlflow-ts rows/s | tfjs reference rows/s | mlflow-ts vs reference | max abs diff |',
      '|---|---|---|---|---|---|---|',
      ...predict.map((r) =>
        `| ${r.label} | ${r.backend} | ${r.batch} | ${(r.ours * r.batch).toFixed(0)} | ${(r.reference * r.batch).toFixed(0)} | ` +
        `${(r.ours / r.reference).toFixed(2)}x | ${r.maxDiff.toExponential(1)} |`),
      '',
      'wasm vs cpu, mlflow-ts path:',
      '',
      '| model | batch | cpu rows/s | wasm rows/s | wasm vs cpu |',
      '|---|---|---|---|---|',
      ...predict.filter((r) => r.backend === 'cpu').map((c) => {
        const w = predict.find((r) => r.label === c.label && r.batch === c.batch && r.backend === 'wasm') as PredictRow;
        return `| ${c.label} | ${c.batch} | ${(c.ours * c.batch).toFixed(0)} | ${(w.ours * w.batch).toFixed(0)} | ${(w.ours / c.ours).toFixed(2)}x |`;
      }),
      '',
      'Loading a SavedModel signature (serving_default, else the first), median of 9: converted from saved_model.pb + variables/ ' +
        'against read from the converted-graph cache (what a restart does); both include tf.loadGraphModel.',
      '',
      '| SavedModel | signature | converted (ms) | from cache (ms) | speed-up | backend chosen |',
      '|---|---|---|---|---|---|',
      ...load.map((r) => `| ${r.name} | ${r.signatureKey} | ${r.cold.toFixed(1)} | ${r.warm.toFixed(1)} | ${(r.cold / r.warm).toFixed(1)}x | ${r.backend} |`),
    ];
    return lines.join('\n');
  } finally {
    if (savedCacheDir === undefined) delete process.env.MLFLOW_TS_CACHE_DIR;
    else process.env.MLFLOW_TS_CACHE_DIR = savedCacheDir;
    await rm(dir, { recursive: true, force: true });
  }
}

import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TensorBundle } from '../../../src/formats/tensorbundle/index.js';
import { isTensor, makeTensor } from '../../../src/frame/tensor.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/lstm_from_sequential');
let dir = '';

// The SavedModel is kept gzipped (755 kB -> 77 kB); the test unpacks it into an MLflow model dir.
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tf-lstm-'));
  const sm = path.join(dir, 'tf2model');
  await mkdir(path.join(sm, 'variables'), { recursive: true });
  await writeFile(path.join(sm, 'saved_model.pb'), gunzipSync(await readFile(path.join(SRC, 'saved_model.pb.gz'))));
  for (const f of ['variables.index', 'variables.data-00000-of-00001']) await copyFile(path.join(SRC, 'variables', f), path.join(sm, 'variables', f));
  await writeFile(
    path.join(dir, 'MLmodel'),
    'flavors:\n  tensorflow:\n    model_type: tf2-module\n    saved_model_dir: tf2model\nmlflow_version: 2.22.1\n',
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Keras' LSTM (gates i, f, c, o; tanh / sigmoid) then Dense(1, sigmoid), in float64. */
function reference(x: Float32Array, steps: number, w: Float32Array, u: Float32Array, b: Float32Array, k: Float32Array, kb: number): number {
  const units = 32;
  let h = new Float64Array(units);
  const c = new Float64Array(units);
  for (let t = 0; t < steps; t++) {
    const z = Float64Array.from(b);
    for (let j = 0; j < 4 * units; j++) {
      for (let i = 0; i < 3; i++) z[j] += x[t * 3 + i] * w[i * 4 * units + j];
      for (let i = 0; i < units; i++) z[j] += h[i] * u[i * 4 * units + j];
    }
    const next = new Float64Array(units);
    for (let j = 0; j < units; j++) {
      c[j] = sigmoid(z[units + j]) * c[j] + sigmoid(z[j]) * Math.tanh(z[2 * units + j]);
      next[j] = sigmoid(z[3 * units + j]) * Math.tanh(c[j]);
    }
    h = next;
  }
  let y = kb;
  for (let j = 0; j < units; j++) y += h[j] * k[j];
  return sigmoid(y);
}

describe('tensorflow flavor: control flow (StatelessWhile)', () => {
  it('runs a TF 2.11 Keras LSTM SavedModel (TensorFlow.NET) and matches the LSTM equations', async () => {
    const p = await loadPredictor(dir, { runtime: 'native' });
    try {
      const x = Float32Array.from({ length: 2 * 5 * 3 }, (_, i) => ((i * 7) % 11) / 11 - 0.4);
      const out = await p.predict(makeTensor({ dtype: 'float32', shape: [2, 5, 3], data: x }));
      if (!isTensor(out)) throw new Error('expected a tensor');
      expect(out.shape).toEqual([2, 1]);

      const bundle = await TensorBundle.open(path.join(dir, 'tf2model', 'variables', 'variables'));
      const v = async (key: string): Promise<Float32Array> => (await bundle.read(`${key}/.ATTRIBUTES/VARIABLE_VALUE`)).values as Float32Array;
      const [w, u, b, k, kb] = await Promise.all(['variables/0', 'variables/1', 'variables/2', 'layer_with_weights-1/kernel', 'layer_with_weights-1/bias'].map(v));
      for (let row = 0; row < 2; row++) {
        const want = reference(x.subarray(row * 15, row * 15 + 15), 5, w, u, b, k, kb[0]);
        expect(Math.abs((out.data as Float32Array)[row] - want)).toBeLessThan(1e-5);
      }
    } finally {
      await p.close();
    }
  });
});

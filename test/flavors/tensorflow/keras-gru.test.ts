import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '../../../src/tfjs/tf.js';
import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { loadKerasH5 } from '../../../src/flavors/tensorflow/keras-h5.js';

const FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/keras/conv1d_gru_reset_after.keras');

async function weights(): Promise<Record<string, Float32Array>> {
  await h5wasm.ready;
  const f = new h5wasm.File(FILE, 'r');
  try {
    const get = (p: string): Float32Array => Float32Array.from((f.get(`model_weights/${p}`) as InstanceType<typeof h5wasm.Dataset>).value as Float32Array);
    return {
      convK: get('conv1d/conv1d/kernel:0'), convB: get('conv1d/conv1d/bias:0'),
      k: get('gru/gru/gru_cell/kernel:0'), rk: get('gru/gru/gru_cell/recurrent_kernel:0'), b: get('gru/gru/gru_cell/bias:0'),
    };
  } finally {
    f.close();
  }
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Conv1D(16, k=3, same) + ReLU + GRU(16, reset_after=true) as Keras defines them, in float64. */
function reference(x: Float32Array, w: Record<string, Float32Array>): Float64Array {
  const T = 32, C = 3, F = 16, U = 16;
  const seq: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const row = new Float64Array(F);
    for (let f = 0; f < F; f++) {
      let s = w.convB[f];
      for (let k = 0; k < 3; k++) {
        const src = t + k - 1;
        if (src < 0 || src >= T) continue;
        for (let c = 0; c < C; c++) s += x[src * C + c] * w.convK[(k * C + c) * F + f];
      }
      row[f] = Math.max(0, s);
    }
    seq.push(row);
  }
  let h = new Float64Array(U);
  for (const xt of seq) {
    const mx = new Float64Array(3 * U);
    const mh = new Float64Array(3 * U);
    for (let j = 0; j < 3 * U; j++) {
      mx[j] = w.b[j];
      mh[j] = w.b[3 * U + j];
      for (let i = 0; i < F; i++) mx[j] += xt[i] * w.k[i * 3 * U + j];
      for (let i = 0; i < U; i++) mh[j] += h[i] * w.rk[i * 3 * U + j];
    }
    const next = new Float64Array(U);
    for (let j = 0; j < U; j++) {
      const z = sigmoid(mx[j] + mh[j]);
      const r = sigmoid(mx[U + j] + mh[U + j]);
      const cand = Math.tanh(mx[2 * U + j] + r * mh[2 * U + j]);
      next[j] = z * h[j] + (1 - z) * cand;
    }
    h = next;
  }
  return h;
}

describe('Keras GRU with reset_after=true (TF2 default; tfjs-layers lacks it)', () => {
  it('loads and matches the GRU equations evaluated on the weights in the file', async () => {
    const model = await loadKerasH5(FILE);
    const x = Float32Array.from({ length: 32 * 3 }, (_, i) => ((i * 5) % 13) / 13 - 0.5);
    const got = (model.predict(tf.tensor(x, [1, 32, 3])) as tf.Tensor).dataSync();
    const want = reference(x, await weights());
    expect(got.length).toBe(16);
    for (let j = 0; j < 16; j++) expect(Math.abs(got[j] - want[j])).toBeLessThan(1e-5);
    model.dispose();
  });
});

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKerasH5 } from '../../../src/flavors/tensorflow/keras-h5.js';
import { Frame, isFrame } from '../../../src/frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow');
const open: Predictor[] = [];

afterAll(async () => {
  for (const p of open) await p.close();
});

/** The input and what Keras predicted, from dl4j's `<case>_inputs_and_outputs.h5`. */
async function recorded(name: string): Promise<{ x: Tensor; y: { shape: number[]; data: Float32Array } }> {
  await h5wasm.ready;
  const f = new h5wasm.File(path.join(FIXTURES, 'keras', `${name}_inputs_and_outputs.h5`), 'r');
  try {
    const first = (group: string): InstanceType<typeof h5wasm.Dataset> => {
      const g = f.get(group) as InstanceType<typeof h5wasm.Group>;
      return g.get(g.keys()[0]) as InstanceType<typeof h5wasm.Dataset>;
    };
    const x = first('inputs');
    const y = first('predictions');
    return {
      x: makeTensor({ dtype: 'float32', shape: x.shape ?? [], data: Float32Array.from(x.value as Float32Array) }),
      y: { shape: y.shape ?? [], data: Float32Array.from(y.value as Float32Array) },
    };
  } finally {
    f.close();
  }
}

function expectClose(got: unknown, want: { shape: number[]; data: Float32Array }, tol: number): void {
  if (!isTensor(got)) throw new Error('expected a tensor');
  expect(got.shape).toEqual(want.shape);
  const data = got.data as Float32Array;
  for (let i = 0; i < want.data.length; i++) expect(Math.abs(data[i] - want.data[i])).toBeLessThan(tol);
}

describe('tensorflow flavor: Keras 2 .h5 models (dl4j examples with recorded Keras predictions)', () => {
  it.each([
    ['keras_mlp', 'mlp', 1e-6],
    ['keras_conv1d', 'conv1d', 1e-6],
    // channels_first: tfjs-layers has no such Conv1D; the loader wraps it in two Permutes.
    ['keras_conv1d_cf', 'conv1d_cf', 1e-6],
    ['keras_simple_rnn', 'simple_rnn', 1e-4],
  ])('%s predicts what Keras predicted', async (model, io, tol) => {
    const p = await loadPredictor(path.join(FIXTURES, 'models', model), { runtime: 'native' });
    open.push(p);
    const { x, y } = await recorded(io);
    expectClose(await p.predict(x), y, tol);
  });

  it('loads an MLflow 1.x `keras` flavor model the same way', async () => {
    const p = await loadPredictor(path.join(FIXTURES, 'models', 'mlflow1_keras'), { runtime: 'native' });
    open.push(p);
    expect(p.flavor).toBe('keras');
    const { x, y } = await recorded('mlp');
    expectClose(await p.predict(x), y, 1e-6);
  });

  it('a table in gives a table out, columns 0..n-1, as pandas.DataFrame(model.predict(df.values))', async () => {
    const p = await loadPredictor(path.join(FIXTURES, 'models', 'keras_mlp'), { runtime: 'native' });
    open.push(p);
    const { x, y } = await recorded('mlp');
    const [rows, cols] = x.shape;
    const xs = x.data as Float32Array;
    const frame = new Frame(
      Array.from({ length: cols }, (_, j) => ({
        name: `f${j}`,
        data: { kind: 'number' as const, dtype: 'float32' as const, values: Float32Array.from({ length: rows }, (_, i) => xs[i * cols + j]) },
      })),
    );
    const out = await p.predict(frame);
    if (!isFrame(out)) throw new Error('expected a table');
    expect(out.columnNames).toEqual(['0', '1', '2']);
    const col1 = out.column('1')?.data.values as Float32Array;
    for (let i = 0; i < rows; i++) expect(Math.abs(col1[i] - y.data[i * 3 + 1])).toBeLessThan(1e-6);
  });

  it('loads an HDF5 file saved under the .keras name (found by its magic bytes)', async () => {
    const p = await loadPredictor(path.join(FIXTURES, 'models', 'keras_dot_keras_hdf5'), { runtime: 'native' });
    open.push(p);
    const out = await p.predict(makeTensor({ dtype: 'float32', shape: [3, 8], data: new Float32Array(24).fill(0.5) }));
    if (!isTensor(out)) throw new Error('expected a tensor');
    expect(out.shape).toEqual([3, 2]);
  });

  it('refuses Lambda layers and weights-only files, saying why', async () => {
    await expect(loadKerasH5(path.join(FIXTURES, 'keras', 'lambda_space_to_depth.h5'))).rejects.toThrow(
      /layer 'space_to_depth_x2' is a Lambda layer, whose body is Python bytecode/,
    );
    await expect(loadKerasH5(path.join(FIXTURES, 'keras', 'weights_only.h5'))).rejects.toThrow(/holds weights only \(no model_config\)/);
  });
});

/** Keras 1's LSTM step in float64, from its own per-gate weights (W_*, U_*, b_*), hard_sigmoid gates. */
function keras1Lstm(xs: number[][], g: Record<string, Float32Array>, units: number, backwards: boolean): number[][] {
  const hardSigmoid = (v: number): number => Math.min(1, Math.max(0, 0.2 * v + 0.5));
  const gate = (name: string, x: number[], h: number[], j: number): number => {
    let s = g[`b_${name}`][j];
    x.forEach((v, i) => (s += v * g[`W_${name}`][i * units + j]));
    h.forEach((v, i) => (s += v * g[`U_${name}`][i * units + j]));
    return s;
  };
  let h = new Array<number>(units).fill(0);
  let c = new Array<number>(units).fill(0);
  const steps = backwards ? [...xs].reverse() : xs;
  const out = steps.map((x) => {
    const hPrev = h;
    const next = Array.from({ length: units }, (_, j) => {
      const i = hardSigmoid(gate('i', x, hPrev, j));
      const f = hardSigmoid(gate('f', x, hPrev, j));
      const cj = f * c[j] + i * Math.tanh(gate('c', x, hPrev, j));
      const o = hardSigmoid(gate('o', x, hPrev, j));
      return { c: cj, h: o * Math.tanh(cj) };
    });
    c = next.map((n) => n.c);
    h = next.map((n) => n.h);
    return h;
  });
  return backwards ? out.reverse() : out;
}

describe('Keras 1.x and Theano .h5 files are read as Keras 2 reads them', () => {
  it('a Theano-backend file: convolution kernels flipped back, predicting what Keras predicted', async () => {
    const { x, y } = await recorded('conv1d');
    const { kerasFlavorModel } = await import('../../../src/flavors/tensorflow/keras-predictor.js');
    const m = await kerasFlavorModel(await loadKerasH5(path.join(FIXTURES, 'keras', 'conv1d_theano.h5')));
    try {
      expectClose(await m.predict(x), y, 1e-6);
    } finally {
      await m.close?.();
    }
  });

  it('a Keras 1.2.2 Bidirectional LSTM (output_dim, inner_activation, per-gate weights) matches the LSTM equations on its weights', async () => {
    const file = path.join(FIXTURES, 'keras', 'keras1_bidirectional_lstm.h5');
    await h5wasm.ready;
    const f = new h5wasm.File(file, 'r');
    const weights: Record<string, Record<string, Float32Array>> = { forward: {}, backward: {} };
    try {
      const g = f.get('model_weights/bidirectional_1') as InstanceType<typeof h5wasm.Group>;
      for (const dir of ['forward', 'backward']) {
        for (const part of ['W', 'U', 'b']) {
          for (const gate of ['i', 'f', 'c', 'o']) {
            const ds = g.get(`${dir}_lstm_1_${part}_${gate}:0`) as InstanceType<typeof h5wasm.Dataset>;
            weights[dir][`${part}_${gate}`] = Float32Array.from(ds.value as Float32Array);
          }
        }
      }
    } finally {
      f.close();
    }
    const model = await loadKerasH5(file);
    try {
      const xs = Array.from({ length: 4 }, (_, t) => Array.from({ length: 10 }, (_, i) => Math.sin(t * 10 + i) * 0.8));
      const { kerasFlavorModel } = await import('../../../src/flavors/tensorflow/keras-predictor.js');
      const m = await kerasFlavorModel(model);
      const out = await m.predict(makeTensor({ dtype: 'float32', shape: [1, 4, 10], data: Float32Array.from(xs.flat()) }));
      if (!isTensor(out)) throw new Error('expected a tensor');
      expect(out.shape).toEqual([1, 4, 20]);
      const fwd = keras1Lstm(xs, weights.forward, 10, false);
      const bwd = keras1Lstm(xs, weights.backward, 10, true);
      const want = fwd.flatMap((h, t) => [...h, ...bwd[t]]);
      const got = out.data as Float32Array;
      want.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-5));
    } finally {
      model.dispose();
    }
  });
});

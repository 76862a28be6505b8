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

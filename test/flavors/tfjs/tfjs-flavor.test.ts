import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '../../../src/tfjs/tf.js';
import { afterAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../../src/flavors/tfjs/index.js';
import { Frame, isFrame } from '../../../src/frame/frame.js';
import { isTensor, makeTensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger } from '../../../src/serve/index.js';
import { send } from '../../serve/http-client.js';

const MODELS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/models');
const open: Predictor[] = [];
afterAll(async () => {
  for (const p of open) await p.close();
});

function data(x: unknown): number[] {
  if (!isTensor(x)) throw new Error('expected a tensor');
  return Array.from(x.data as Float32Array);
}

// Expected values: tfjs e2e/integration_tests (load_predict_data), recorded in EXPECTED.md.
describe('tfjs flavor', () => {
  it('loads the tfjs e2e layers model (Embedding + GRU) and predicts what tfjs recorded', async () => {
    const p = await loadPredictor(path.join(MODELS, 'tfjs_layers'), { runtime: 'native' });
    open.push(p);
    const x = makeTensor({ dtype: 'float32', shape: [1, 10], data: Float32Array.from([86, 11, 62, 40, 36, 75, 82, 94, 67, 75]) });
    const want = [-0.003578941337764263, 0.0028922036290168762, -0.002957976423203945, 0.00955402385443449];
    data(await p.predict(x)).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });

  it('loads the tfjs e2e graph model: ones [2,2] -> recorded values', async () => {
    const p = await loadPredictor(path.join(MODELS, 'tfjs_graph'), { runtime: 'native' });
    open.push(p);
    const out = data(await p.predict(makeTensor({ dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 1, 1, 1]) })));
    const want = [0.7567615509033203, -0.18349379301071167, 0.7567615509033203, -0.18349379301071167];
    out.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });

  it('saves a LayersModel trained in Node as an MLflow model and loads it back, predicting the same', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2], activation: 'relu' }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const xs = tf.tensor2d([[0, 0], [0, 1], [1, 0], [1, 1]]);
    await model.fit(xs, tf.tensor2d([[0], [1], [1], [2]]), { epochs: 3, verbose: 0 });
    const want = Array.from((model.predict(xs) as tf.Tensor).dataSync());
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tfjs-flavor-'));
    try {
      await saveModel(model, path.join(dir, 'm'));
      const mlmodel = await readFile(path.join(dir, 'm', 'MLmodel'), 'utf8');
      expect(mlmodel).toMatch(/tfjs:\n\s+model_dir: model\n\s+model_format: layers-model/);
      const p = await loadPredictor(path.join(dir, 'm'), { runtime: 'native' });
      open.push(p);
      const got = data(await p.predict(makeTensor({ dtype: 'float32', shape: [4, 2], data: Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]) })));
      expect(got).toEqual(want);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A two-column table of float64 values. */
function table(rows: number[][]): Frame {
  return new Frame(
    ['a', 'b'].map((name, j) => ({ name, data: { kind: 'number' as const, dtype: 'float64' as const, values: Float64Array.from(rows, (r) => r[j]) } })),
    rows.length,
  );
}

/** Dense(2) with kernel [[1, 2], [3, 4]] and bias [0.5, -0.5]: [1, 1] -> [4.5, 5.5], [2, 0] -> [2.5, 3.5]. */
function fixedDense(): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], name: 'out' })] });
  model.layers[0].setWeights([tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([0.5, -0.5])]);
  return model;
}

describe('tfjs flavor: what a table in gives out (as the TensorFlow pyfunc of MLflow answers a DataFrame)', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function saved(name: string, model: tf.LayersModel): Promise<Predictor> {
    dir ??= await mkdtemp(path.join(os.tmpdir(), 'tfjs-output-'));
    await saveModel(model, path.join(dir, name));
    const p = await loadPredictor(path.join(dir, name), { runtime: 'native' });
    open.push(p);
    return p;
  }

  it('one 2-D output: a table with columns 0..n-1; a tensor in still gives a tensor', async () => {
    const p = await saved('dense', fixedDense());
    const out = await p.predict(table([[1, 1], [2, 0]]));
    if (!isFrame(out)) throw new Error('expected a table');
    expect(out.columnNames).toEqual(['0', '1']);
    expect(Array.from((out.column('0')?.data as { values: Float32Array }).values)).toEqual([4.5, 2.5]);
    expect(Array.from((out.column('1')?.data as { values: Float32Array }).values)).toEqual([5.5, 3.5]);
    const t = await p.predict(makeTensor({ dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 1, 2, 0]) }));
    if (!isTensor(t)) throw new Error('expected a tensor');
    expect(t.shape).toEqual([2, 2]);
    expect(Array.from(t.data as Float32Array)).toEqual([4.5, 5.5, 2.5, 3.5]);
  });

  it('several outputs: one column per output, numbers for one value a row, lists for more', async () => {
    const x = tf.input({ shape: [2] });
    const one = tf.layers.dense({ units: 1, name: 'score', kernelInitializer: 'ones', biasInitializer: 'zeros' }).apply(x) as tf.SymbolicTensor;
    const two = tf.layers.dense({ units: 2, name: 'pair', kernelInitializer: 'ones', biasInitializer: 'ones' }).apply(x) as tf.SymbolicTensor;
    const p = await saved('two_outputs', tf.model({ inputs: x, outputs: [one, two] }));
    const out = await p.predict(table([[1, 2], [3, 4]]));
    if (!isFrame(out)) throw new Error('expected a table');
    expect(out.columnNames).toEqual(['score', 'pair']);
    expect(out.column('score')?.data).toEqual({ kind: 'number', dtype: 'float32', values: Float32Array.from([3, 7]) });
    expect(out.column('pair')?.data).toEqual({ kind: 'object', values: [[4, 4], [8, 8]] });
    const named = await p.predict(makeTensor({ dtype: 'float32', shape: [1, 2], data: Float32Array.from([1, 2]) }));
    expect(Object.keys(named as object)).toEqual(['score', 'pair']);
  });

  it('served over HTTP: a dataframe_split answers records, an inputs body answers a nested list', async () => {
    const p = await saved('served', fixedDense());
    const server = createScoringServer(p, { logger: createServeLogger('silent') });
    const { port } = await server.listen(0);
    try {
      const split = await send(port, 'POST', '/invocations', {
        contentType: 'application/json',
        body: '{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 1], [2, 0]]}}',
      });
      expect(split.status).toBe(200);
      expect(split.body).toBe('{"predictions": [{"0": 4.5, "1": 5.5}, {"0": 2.5, "1": 3.5}]}');
      const inputs = await send(port, 'POST', '/invocations', { contentType: 'application/json', body: '{"inputs": [[1, 1], [2, 0]]}' });
      expect(inputs.body).toBe('{"predictions": [[4.5, 5.5], [2.5, 3.5]]}');
    } finally {
      await server.close();
    }
  });
});

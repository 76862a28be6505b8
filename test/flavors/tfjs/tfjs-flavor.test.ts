import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../../src/flavors/tfjs/index.js';
import { isTensor, makeTensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';

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

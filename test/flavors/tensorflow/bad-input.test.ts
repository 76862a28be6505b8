import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REAL_DIR, refusal } from './real-fixtures.js';
import { makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';
import { loadKerasArchive } from '../../../src/flavors/tensorflow/keras3/index.js';
import { kerasFlavorModel } from '../../../src/flavors/tensorflow/keras-predictor.js';
import type { FlavorModel } from '../../../src/flavors/flavor.js';

const zeros = (shape: number[]): Tensor => makeTensor({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
const strings = (shape: number[]): Tensor => makeTensor({ dtype: 'string', shape, data: new Array<string>(shape.reduce((a, b) => a * b, 1)).fill('a') });

const open: (FlavorModel | Predictor)[] = [];
afterAll(async () => {
  for (const m of open) await m.close?.();
});

async function keras(name: string): Promise<FlavorModel> {
  const m = await kerasFlavorModel(await loadKerasArchive(path.join(REAL_DIR, 'layers', `${name}.keras`)));
  open.push(m);
  return m;
}

describe('a request the model cannot take is a 400 naming the input and the shapes, never a JS error', () => {
  it('Keras: wrong rank, wrong dimension, strings, a missing input, unequal batches, no rows', async () => {
    const m = await keras('multi_head_attention');
    const cases: [unknown, RegExp][] = [
      [{ tokens: zeros([2, 4]), memory: zeros([2, 5, 6]) }, /^Input 'tokens' expects shape \[None, 4, 6\] but received shape \[2, 4\]$/],
      [{ tokens: zeros([2, 4, 6]), memory: zeros([2, 5, 7]) }, /^Input 'memory' expects shape \[None, 5, 6\] but received shape \[2, 5, 7\]$/],
      [{ tokens: strings([2, 4, 6]), memory: zeros([2, 5, 6]) }, /^Input 'tokens': expects numbers, got string$/],
      [{ tokens: zeros([2, 4, 6]) }, /'memory' is missing/],
      [zeros([2, 4, 6]), /takes 2 inputs \('tokens', 'memory'\)/],
      [{ tokens: zeros([2, 4, 6]), memory: zeros([3, 5, 6]) }, /^Data cardinality is ambiguous.*'tokens' sizes: 2, 'memory' sizes: 3$/],
      [{ tokens: zeros([0, 4, 6]), memory: zeros([0, 5, 6]) }, /batch_outputs/],
    ];
    for (const [input, message] of cases) {
      const err = await refusal(Promise.resolve().then(() => m.predict(input)));
      expect(err.httpStatus).toBe(400);
      expect(err.message).toMatch(message);
      expect(err.message).not.toMatch(/TypeError|Cannot read properties|undefined/);
    }
  });

  it('SavedModel: a shape the graph cannot compute with is named with the declared shape', async () => {
    const p = await loadPredictor(path.join(REAL_DIR, 'mlflow', 'keras3_conv1d_causal_exported'), { runtime: 'native' });
    open.push(p);
    const err = await refusal(p.predict(zeros([2, 3])));
    expect(err.httpStatus).toBe(400);
    expect(err.message).toBe("Input 'signal' of signature 'serving_default' expects shape [None, 12, 3] but received shape [2, 3]");
    const bad = await refusal(p.predict(strings([2, 12, 3])));
    expect(bad.httpStatus).toBe(400);
    expect(bad.message).toMatch(/Input 'signal' of signature 'serving_default': expects FLOAT values, got string/);
  });
});

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import '../../../src/flavors/index.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { expectClose } from '../../boosters/close.js';

const FIX = join(import.meta.dirname, '../../fixtures/boosters/lightgbm');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Case {
  input: { shape: [number, number]; data: (number | null)[][] };
  outputs: Record<string, { dtype: string; shape: number[]; value: unknown[] }>;
}
const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v === null ? NaN : v]);

/** A model directory laid out as mlflow.lightgbm.save_model writes it (MLmodel's lightgbm section). */
function modelDir(src: string, data: string, modelClass: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlflow-ts-lgb-'));
  dirs.push(dir);
  copyFileSync(src, join(dir, data));
  writeFileSync(join(dir, 'MLmodel'), [
    'flavors:',
    '  lightgbm:', '    code: null', `    data: ${data}`, '    lgb_version: 4.7.0', `    model_class: ${modelClass}`,
    '  python_function:', `    data: ${data}`, '    loader_module: mlflow.lightgbm', '    python_version: 3.11.2',
    'mlflow_version: 2.22.1', '',
  ].join('\n'));
  return dir;
}

function input(c: Case): Tensor {
  return makeTensor({ dtype: 'float64', shape: c.input.shape, data: Float64Array.from(flat(c.input.data) as number[]) });
}

describe('lightgbm flavor', () => {
  it('a Booster (model.lgb) predicts as Booster.predict', async () => {
    for (const name of ['binary', 'multiclass', 'linear_tree']) {
      const c = JSON.parse(readFileSync(join(FIX, name, 'case.json'), 'utf8')) as Case;
      const p = await loadPredictor(modelDir(join(FIX, name, 'model.txt'), 'model.lgb', 'lightgbm.basic.Booster'), { runtime: 'native' });
      const got = (await p.predict(input(c))) as Tensor;
      expect([...got.shape]).toEqual(c.outputs.predict.shape);
      expectClose(got.data as Float64Array, flat(c.outputs.predict.value) as number[], 1e-6, 1e-9);
      await p.close();
    }
  });

  for (const [name, cls] of [
    ['classifier_binary', 'lightgbm.sklearn.LGBMClassifier'],
    ['classifier_multiclass_strings', 'lightgbm.sklearn.LGBMClassifier'],
    ['regressor', 'lightgbm.sklearn.LGBMRegressor'],
  ]) {
    it(`a pickled ${name} predicts as its predict`, async () => {
      const c = JSON.parse(readFileSync(join(FIX, 'sklearn', `${name}.json`), 'utf8')) as Case;
      const p = await loadPredictor(modelDir(join(FIX, 'sklearn', `${name}.pkl`), 'model.pkl', cls), { runtime: 'native' });
      const got = (await p.predict(input(c))) as Tensor;
      const want = c.outputs.predict;
      expect(got.dtype).toBe(want.dtype.startsWith('<U') || want.dtype === 'object' ? 'string' : want.dtype);
      if (want.dtype === 'float64') expectClose(got.data as Float64Array, flat(want.value) as number[], 1e-6, 1e-9);
      else expect(Array.from(got.data as ArrayLike<unknown>)).toEqual(flat(want.value));
      await p.close();
    });
  }

  it('refuses the wrong number of features naming both counts', async () => {
    const p = await loadPredictor(modelDir(join(FIX, 'binary', 'model.txt'), 'model.lgb', 'lightgbm.basic.Booster'), { runtime: 'native' });
    await expect(p.predict(makeTensor({ dtype: 'float64', shape: [1, 3], data: new Float64Array(3) }))).rejects.toThrow('(3) is not the same as it was in training data (30)');
    await p.close();
  });

  it('names the file of a corrupt model', async () => {
    const dir = modelDir(join(FIX, 'binary', 'model.txt'), 'model.lgb', 'lightgbm.basic.Booster');
    writeFileSync(join(dir, 'model.lgb'), readFileSync(join(FIX, 'binary', 'model.txt'), 'utf8').slice(0, 3000));
    await expect(loadPredictor(dir, { runtime: 'native' })).rejects.toThrow('model.lgb');
  });
});

import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Frame } from '../../../src/frame/frame.js';
import { makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import '../../../src/flavors/index.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { loadXGBoostFlavor } from '../../../src/flavors/xgboost/index.js';
import { Model } from '../../../src/model/index.js';
import { expectClose } from '../../boosters/close.js';

const ROOT = join(import.meta.dirname, '../../fixtures/boosters/xgboost-more/mlflow');

interface Expected {
  model_class: string;
  input: { shape: [number, number]; data: number[][] };
  predict: { dtype: string; shape: number[]; value: unknown[] };
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v === null ? NaN : (v as number)]);

describe('xgboost flavor (model dirs as mlflow.xgboost.save_model writes them)', () => {
  for (const name of readdirSync(ROOT)) {
    it(name, async () => {
      const e = JSON.parse(readFileSync(join(ROOT, name, 'expected.json'), 'utf8')) as Expected;
      const p = await loadPredictor(join(ROOT, name), { runtime: 'native' });
      const x = makeTensor({ dtype: 'float64', shape: e.input.shape, data: Float64Array.from(flat(e.input.data)) });
      const got = (await p.predict(x)) as Tensor;
      expect(got.dtype).toBe(e.predict.dtype);
      expect([...got.shape]).toEqual(e.predict.shape);
      if (e.predict.dtype === 'float32') expectClose(got.data as Float32Array, flat(e.predict.value));
      else expect(Array.from(got.data as Float64Array)).toEqual(flat(e.predict.value));
      await p.close();
    });
  }

  it('passes params to Booster.predict and refuses unknown ones by name', async () => {
    const dir = join(ROOT, 'booster_multi_softprob_xgb');
    const model = await Model.load(dir);
    const p = await loadXGBoostFlavor({ modelDir: dir, model, conf: model.flavors.xgboost as Record<string, unknown>, options: {} });
    const x = makeTensor({ dtype: 'float64', shape: [1, 4], data: Float64Array.of(5.1, 3.5, 1.4, 0.2) });
    const margin = (await p.predict(x, { output_margin: true })) as Tensor;
    expect(margin.shape).toEqual([1, 3]);
    const leaves = (await p.predict(x, { pred_leaf: true, iteration_range: [0, 2] })) as Tensor;
    expect(leaves.shape).toEqual([1, 6]);
    expect(() => p.predict(x, { pred_contribs: true })).toThrow("'pred_contribs' is not supported natively");
    expect(() => p.predict(makeTensor({ dtype: 'float64', shape: [1, 3], data: new Float64Array(3) }))).toThrow('expected: 4, got 3');
  });

  it('checks a table\'s columns against the booster\'s feature names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlflow-ts-xgb-'));
    try {
      cpSync(join(import.meta.dirname, '../../fixtures/boosters/xgboost/multi_softprob_iris'), dir, { recursive: true });
      writeFileSync(join(dir, 'MLmodel'), [
        'flavors:', '  xgboost:', '    data: model.ubj', '    model_class: xgboost.core.Booster', '    model_format: ubj', '    xgb_version: 1.7.4', '',
      ].join('\n'));
      const p = await loadPredictor(dir, { runtime: 'native' });
      const names = ['sepal_length_(cm)', 'sepal_width_(cm)', 'petal_length_(cm)', 'petal_width_(cm)'];
      const frame = (cols: string[]): Frame => new Frame(cols.map((name, j) => ({
        name, data: { kind: 'number', dtype: 'float64', values: Float64Array.of([4.6, 3.1, 1.5, 0.2][j]) },
      })));
      const got = (await p.predict(frame(names))) as Tensor;
      expectClose(got.data as Float32Array, [0.867033839225769, 0.06796388328075409, 0.06500229984521866]);
      await expect(p.predict(frame([names[1], names[0], names[2], names[3]]))).rejects.toThrow('feature_names mismatch');
      await p.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

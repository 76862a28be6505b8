import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { callMethod, loadSklearnEstimator } from '../../../src/flavors/sklearn/index.js';
import { expectClose } from '../../boosters/close.js';

const FIX = join(import.meta.dirname, '../../fixtures/boosters');

interface Case {
  input: { shape: [number, number]; data: (number | null)[][] };
  outputs: Record<string, { dtype: string; shape: number[]; value: unknown[] }>;
}
const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v === null ? NaN : v]);

const CASES = [
  'xgboost-more/sklearn/xgb_classifier_binary',
  'xgboost-more/sklearn/xgb_regressor_early_stopping',
  'xgboost-more/sklearn/pipeline_xgb_classifier_multi',
  'lightgbm/sklearn/classifier_binary',
  'lightgbm/sklearn/classifier_multiclass_strings',
  'lightgbm/sklearn/regressor',
];

describe('XGBoost and LightGBM sklearn-API estimators in pickles', () => {
  for (const name of CASES) {
    it(name, async () => {
      const c = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as Case;
      const est = await loadSklearnEstimator(join(FIX, `${name}.pkl`));
      const x = makeTensor({ dtype: 'float64', shape: c.input.shape, data: Float64Array.from(flat(c.input.data) as number[]) });
      for (const [method, want] of Object.entries(c.outputs)) {
        const got = callMethod(est, method as 'predict', x) as Tensor;
        expect([...got.shape], method).toEqual(want.shape);
        if (want.dtype.startsWith('float')) expectClose(got.data as Float64Array, flat(want.value) as number[], 1e-6, 1e-7);
        else expect(Array.from(got.data as ArrayLike<unknown>), method).toEqual(flat(want.value));
        expect(got.dtype, method).toBe(want.dtype.startsWith('<U') ? 'string' : want.dtype);
      }
    });
  }
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTensor, type Tensor } from '../../../src/frame/tensor.js';
// Not the flavor's index.ts (which loads the wrappers' builders at once): the modules the flavor
// registry loads, as `models predict` and loadPredictor do.
import { buildEstimator } from '../../../src/flavors/sklearn/build.js';
import { loadSklearnEstimator } from '../../../src/flavors/sklearn/load.js';
import { callMethod } from '../../../src/flavors/sklearn/methods.js';
import { MlflowError } from '../../../src/errors.js';
import type { PyInstance } from '../../../src/formats/pickle/types.js';

const FIX = join(import.meta.dirname, '../../fixtures/boosters');
const IRIS = join(import.meta.dirname, '../../../examples/iris-sklearn/model.pkl');
const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v === null ? NaN : v]);

/** Issue #16 item 7: the XGBoost/LightGBM wrapper code loads only for a pickle that holds one. */
describe('the XGBoost/LightGBM sklearn wrappers, loaded on first need', () => {
  it('a plain scikit-learn pickle does not load them; a pickle with XGBClassifier does, and scores as XGBoost did', async () => {
    await loadSklearnEstimator(IRIS);
    const unfitted: PyInstance = { kind: 'instance', module: 'xgboost.sklearn', name: 'XGBClassifier', args: [], state: {} };
    const err = (() => {
      try {
        buildEstimator(unfitted);
      } catch (e) {
        return e as MlflowError;
      }
    })();
    expect(err).toBeInstanceOf(MlflowError);
    expect(err?.errorCode).toBe('INTERNAL_ERROR');

    const name = 'xgboost-more/sklearn/xgb_classifier_binary';
    const c = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as {
      input: { shape: [number, number]; data: (number | null)[][] };
      outputs: { predict: { shape: number[]; value: unknown[] } };
    };
    const est = await loadSklearnEstimator(join(FIX, `${name}.pkl`));
    const x = makeTensor({ dtype: 'float64', shape: c.input.shape, data: Float64Array.from(flat(c.input.data) as number[]) });
    const got = callMethod(est, 'predict', x) as Tensor;
    expect([...got.shape]).toEqual(c.outputs.predict.shape);
    expect(Array.from(got.data as ArrayLike<unknown>)).toEqual(flat(c.outputs.predict.value));
  });
});

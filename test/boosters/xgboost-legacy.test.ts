import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readXGBoostModel } from '../../src/boosters/xgboost/index.js';
import { readLibsvm, readNumbers } from './libsvm.js';
import { expectClose } from './close.js';

const DIR = join(import.meta.dirname, '../fixtures/boosters');
const read = (p: string): Buffer => readFileSync(join(DIR, p));
const numbers = (p: string): number[] => readNumbers(read(p).toString());

describe('legacy binary XGBoost models (< 1.0) from leaves', () => {
  const agaricus = readLibsvm(read('leaves/agaricus_test.libsvm').toString(), 127, NaN);
  it('gbtree binary:logistic', () => {
    const m = readXGBoostModel(read('leaves/xgagaricus.model'));
    expect(m.version[0]).toBe(0);
    expectClose(m.predict(agaricus.rows, agaricus.n, 127).data, numbers('leaves/xgagaricus_true_predictions.txt'), 1e-6, 1e-7);
  });
  it('margins of the first 10 rounds (iteration_range)', () => {
    const m = readXGBoostModel(read('leaves/xg_dart_agaricus.model'));
    const got = m.predict(agaricus.rows, agaricus.n, 127, { outputMargin: true, iterationRange: [0, 10] });
    expectClose(got.data, numbers('leaves/xg_dart_agaricus_true_predictions.txt'));
  });
  it('gblinear', () => {
    const m = readXGBoostModel(read('leaves/xgblin_agaricus.model'));
    expect(m.booster).toBe('gblinear');
    expectClose(m.predict(agaricus.rows, agaricus.n, 127, { outputMargin: true }).data, numbers('leaves/xgblin_agaricus_true_raw_predictions.txt'));
    expectClose(m.predict(agaricus.rows, agaricus.n, 127).data, numbers('leaves/xgblin_agaricus_true_predictions.txt'));
  });
  it('multi:softmax margins', () => {
    const m = readXGBoostModel(read('leaves/xgdermatology.model'));
    const x = readLibsvm(read('leaves/dermatology_test.libsvm').toString(), 33, 0);
    const got = m.predict(x.rows, x.n, 33, { outputMargin: true });
    expect(got.shape).toEqual([x.n, 6]);
    expectClose(got.data, numbers('leaves/xgdermatology_true_predictions.txt'));
  });
});

describe('XGBoost models from treelite', () => {
  it('legacy binary:logistic (mushroom)', () => {
    const m = readXGBoostModel(read('treelite/mushroom/mushroom.model'));
    const x = readLibsvm(read('treelite/mushroom/agaricus.test').toString(), 127, NaN);
    expectClose(m.predict(x.rows, x.n, 127, { outputMargin: true }).data, numbers('treelite/mushroom/agaricus.test.margin'), 1e-6, 1e-6);
    expectClose(m.predict(x.rows, x.n, 127).data, numbers('treelite/mushroom/agaricus.test.prob'), 1e-6, 1e-7);
  });
  it('legacy multi:softprob (dermatology)', () => {
    const m = readXGBoostModel(read('treelite/dermatology/dermatology.model'));
    const x = readLibsvm(read('treelite/dermatology/dermatology.test').toString(), 33, NaN);
    expectClose(m.predict(x.rows, x.n, 33, { outputMargin: true }).data, numbers('treelite/dermatology/dermatology.test.margin'));
    expectClose(m.predict(x.rows, x.n, 33).data, numbers('treelite/dermatology/dermatology.test.prob'));
  });
  it('JSON 1.4 with categorical splits', () => {
    const m = readXGBoostModel(read('treelite/xgb_toy_categorical/xgb_toy_categorical_model.json'));
    const x = readLibsvm(read('treelite/xgb_toy_categorical/xgb_toy_categorical.test').toString(), 2, NaN);
    expectClose(m.predict(x.rows, x.n, 2).data, numbers('treelite/xgb_toy_categorical/xgb_toy_categorical.test.pred'));
  });
});

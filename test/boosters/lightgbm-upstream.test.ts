import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLightGBMModel } from '../../src/boosters/lightgbm/index.js';
import { expectClose } from './close.js';
import { readLibsvm, readNumbers } from './libsvm.js';

const DIR = join(import.meta.dirname, '../fixtures/boosters');
const text = (p: string): string => readFileSync(join(DIR, p), 'utf8');
const numbers = (p: string): number[] => readNumbers(text(p));
/** Dense rows separated by newlines, values by tabs or spaces. */
function dense(p: string, dropFirst = false): { rows: Float64Array; n: number; cols: number } {
  const lines = text(p).split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/).map(Number));
  const rows = lines.map((l) => (dropFirst ? l.slice(1) : l));
  return { rows: Float64Array.from(rows.flat()), n: rows.length, cols: rows[0].length };
}

describe('LightGBM models from leaves', () => {
  it('binary v3: pred_leaf', () => {
    const m = readLightGBMModel(text('leaves/lg_breast_cancer.txt'));
    const x = dense('leaves/lg_breast_cancer_data.txt');
    const got = m.predict(x.rows, x.n, x.cols, { predLeaf: true });
    expect(got.shape).toEqual([57, 39]);
    expect(Array.from(got.data)).toEqual(numbers('leaves/lg_breast_cancer_data_pred_leaves.txt'));
  });
  it('dart binary', () => {
    const m = readLightGBMModel(text('leaves/lg_dart_breast_cancer.model'));
    const x = dense('leaves/breast_cancer_test.tsv');
    expectClose(m.predict(x.rows, x.n, x.cols).data, numbers('leaves/lg_dart_breast_cancer_true_predictions.txt'));
  });
  it('multiclass with categorical features: raw scores', () => {
    const m = readLightGBMModel(text('leaves/lg_kddcup99.model'));
    const x = dense('leaves/kddcup99_test.tsv');
    const got = m.predict(x.rows, x.n, x.cols, { rawScore: true });
    expect(got.shape).toEqual([504, 13]);
    expectClose(got.data, numbers('leaves/lg_kddcup99_true_predictions.txt'));
  });
  it('multiclass softmax and raw', () => {
    const m = readLightGBMModel(text('leaves/lgmulticlass.model'));
    const x = dense('leaves/multiclass_test.tsv', true);
    expectClose(m.predict(x.rows, x.n, x.cols).data, numbers('leaves/lgmulticlass_true_predictions.txt'));
    expectClose(m.predict(x.rows, x.n, x.cols, { rawScore: true }).data, numbers('leaves/lgmulticlass_true_raw_predictions.txt'));
  });
  it('random forest (average_output): LightGBM 2.x predicted the average of the trees', () => {
    // LightGBM 2.x's predict averaged an rf model's trees without the sigmoid; LightGBM 4 (what
    // we answer as, checked by the rf fixtures of lightgbm.test.ts) applies it, and its raw_score is the sum
    const m = readLightGBMModel(text('leaves/lg_rf_iris.model'));
    const x = readLibsvm(text('leaves/iris_test.libsvm'), 4, 0);
    const sums = m.predict(x.rows, x.n, 4, { rawScore: true }).data;
    expectClose(sums.map((s) => s / m.numIterations), numbers('leaves/lg_rf_iris_true_predictions.txt'));
  });
  for (const k of ['poisson_Frequency', 'gamma_AvgClaimAmount', 'tweedie_PurePremium']) {
    it(`genlin ${k}`, () => {
      const m = readLightGBMModel(text(`leaves/genlin_fmtp_${k}.model`));
      const x = dense(`leaves/genlin_fmtp_${k}_features.tsv`);
      expectClose(m.predict(x.rows, x.n, x.cols).data, numbers(`leaves/genlin_fmtp_${k}_true_predictions.txt`));
    });
  }
});

describe('LightGBM models from lleaves and treelite', () => {
  it('pure categorical: unseen, negative, NaN and Inf categories exactly', () => {
    const m = readLightGBMModel(text('lleaves/pure_categorical.txt'));
    const cases = (JSON.parse(text('lleaves/pure_categorical.json')) as { cases: { input: (number | string)[]; expected: number }[] }).cases;
    for (const c of cases) {
      const row = Float64Array.from(c.input, Number);
      expect(m.predict(row, 1, 3).data[0], JSON.stringify(c.input)).toBe(c.expected);
    }
  });
  it('toy categorical', () => {
    const m = readLightGBMModel(text('treelite/toy_categorical/toy_categorical_model.txt'));
    const x = readLibsvm(text('treelite/toy_categorical/toy_categorical.test'), 2, NaN);
    expectClose(m.predict(x.rows, x.n, 2, { rawScore: true }).data, numbers('treelite/toy_categorical/toy_categorical.test.pred'));
  });
  it('sparse categorical (large bitsets, NaN in categorical splits)', () => {
    const m = readLightGBMModel(text('treelite/sparse_categorical/sparse_categorical_model.txt'));
    const x = readLibsvm(text('treelite/sparse_categorical/sparse_categorical.test'), m.numFeature, NaN);
    expectClose(m.predict(x.rows, x.n, m.numFeature, { rawScore: true }).data, numbers('treelite/sparse_categorical/sparse_categorical.test.margin'));
  });
  it('a constant (single-leaf) tree loads', () => {
    const m = readLightGBMModel(text('treelite/lightgbm_constant_tree/model_with_constant_tree.txt'));
    expect(m.text.trees.map((t) => t.numLeaves).includes(1)).toBe(true);
    expect(m.numIterations).toBe(2);
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNotSupportedNatively } from '../../../src/errors.js';
import type { SklearnMethod } from '../../../src/flavors/sklearn/estimator.js';
import { makeTensor } from '../../../src/frame/tensor.js';
import { loadSklearnEstimator } from '../../../src/flavors/sklearn/load.js';
import { callMethod } from '../../../src/flavors/sklearn/methods.js';
import { readCaseJson } from './case-input.js';

/**
 * Inputs refused row by row where scikit-learn's answer rests on what we do not reproduce: each
 * row of these fixtures is refused by name or agrees with scikit-learn to 1e-9, and both happen
 * (versions.test.ts's NOT_NATIVE sees the whole input refused).
 * - s10w_kernel_ridge_poly_cancelling_diabetes: a degree 2 poly kernel with a large, nearly
 *   constant feature; the odd rows' kernel terms are 1e6 times their predictions and cancel
 *   (BLAS's summation order decides their last digits), the even rows' 7e3 times.
 * - s10w_kneighbors_cosine_ties: cosine neighbours among scaled copies of six directions (seven
 *   copies of four, six of two): near one of the four, equal distances straddle the 6th nearest
 *   (numpy's argpartition chooses among them).
 * - s10w_spline_complement_nb_huge_iris: a linearly extrapolating spline before ComplementNB, the
 *   odd rows with a value of +-1e308: X @ feature_log_prob_.T adds terms of both signs whose
 *   sizes overflow (BLAS's order and fused multiply-adds decide between NaN, inf and a number).
 * - s10w_kneighbors_brute_iris: brute-force euclidean neighbours (distance weights), whose
 *   distances scikit-learn takes as |x|^2 - 2 x.y + |y|^2: iris's equal distances come apart
 *   by its rounding, and the odd rows' +-1e308 overflow it.
 * - s11s_nearest_centroid_huge_iris: NearestCentroid's pairwise_distances_argmin takes the same
 *   expansion; the odd rows' +-1e308 overflow it (inf - inf is NaN for some centroids).
 */
const ROOT = join(import.meta.dirname, '../../fixtures/sklearn/versions');
const CASES: [string, SklearnMethod][] = [
  ['s10w_kernel_ridge_poly_cancelling_diabetes', 'predict'],
  ['s10w_kneighbors_cosine_ties', 'predict_proba'],
  ['s10w_spline_complement_nb_huge_iris', 'predict_proba'],
  ['s10w_kneighbors_brute_iris', 'predict_proba'],
  ['s11s_nearest_centroid_huge_iris', 'predict'],
];

describe('rows refused by name where scikit-learn rests on rounding or tie order', () => {
  for (const [name, method] of CASES) {
    for (const version of ['1.2.1', '1.6.1', '1.9.1']) {
      it(`${name} ${version}: each row is refused by name or agrees with scikit-learn to 1e-9, and both happen`, async () => {
        const dir = join(ROOT, `v${version}`, name);
        const c = readCaseJson(join(dir, 'case.json'));
        const est = await loadSklearnEstimator(join(dir, c.files.pickle_protocol4));
        const expected = c.outputs[method].value as (number | number[])[];
        const rows = c.input.data as number[][];
        let refused = 0;
        let agreed = 0;
        rows.forEach((row, i) => {
          const x = makeTensor({ dtype: 'float64', shape: [1, row.length], data: Float64Array.from(row) });
          let got: number[];
          try {
            got = Array.from(callMethod(est, method, x).data as ArrayLike<number | bigint>, Number);
          } catch (e) {
            expect(isNotSupportedNatively(e), String(e)).toBe(true);
            refused++;
            return;
          }
          const want = [expected[i]].flat();
          want.forEach((w, j) => {
            expect(Math.abs(got[j] - w), `row ${i}: ${got[j]} vs ${w}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w)));
          });
          agreed++;
        });
        expect(refused).toBeGreaterThan(0);
        expect(agreed).toBeGreaterThan(0);
      });
    }
  }
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNotSupportedNatively } from '../../../src/errors.js';
import { makeTensor } from '../../../src/frame/tensor.js';
import { loadSklearnEstimator } from '../../../src/flavors/sklearn/load.js';
import { callMethod } from '../../../src/flavors/sklearn/methods.js';
import { readCaseJson } from './case-input.js';

/**
 * KernelRidge predictions whose kernel terms cancel: a row whose answer BLAS's summation order
 * may move by more than 1e-9 is refused by name; every other row agrees with scikit-learn to
 * 1e-9 (the fixture s10w_kernel_ridge_poly_cancelling_diabetes: a degree 2 poly kernel with a
 * large, nearly constant feature; the odd rows' terms are 1e6 times their predictions, the even
 * rows' 7e3 times).
 */
const ROOT = join(import.meta.dirname, '../../fixtures/sklearn/versions');
const NAME = 's10w_kernel_ridge_poly_cancelling_diabetes';

describe('KernelRidge with cancelling terms', () => {
  for (const version of ['1.2.1', '1.6.1', '1.9.1']) {
    it(`${version}: each row is refused by name or agrees with scikit-learn to 1e-9, and both happen`, async () => {
      const dir = join(ROOT, `v${version}`, NAME);
      const c = readCaseJson(join(dir, 'case.json'));
      const est = await loadSklearnEstimator(join(dir, c.files.pickle_protocol4));
      const expected = c.outputs.predict.value as number[];
      const rows = c.input.data as number[][];
      let refused = 0;
      let agreed = 0;
      rows.forEach((row, i) => {
        const x = makeTensor({ dtype: 'float64', shape: [1, row.length], data: Float64Array.from(row) });
        let got: number | undefined;
        try {
          got = callMethod(est, 'predict', x).data[0] as number;
        } catch (e) {
          expect(isNotSupportedNatively(e), String(e)).toBe(true);
          refused++;
          return;
        }
        expect(Math.abs(got - expected[i]), `row ${i}: ${got} vs ${expected[i]}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected[i])));
        agreed++;
      });
      expect(refused).toBeGreaterThan(0);
      expect(agreed).toBeGreaterThan(0);
    });
  }
});

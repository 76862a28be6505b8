import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotSupportedNativelyError } from '../../../src/errors.js';
import type { NdArray, PyInstance } from '../../../src/formats/pickle/index.js';
import { readSklearnPickle } from '../../../src/flavors/sklearn/load.js';
import { callMethod } from '../../../src/flavors/sklearn/methods.js';
import { makeTensor } from '../../../src/frame/tensor.js';

/**
 * KNNImputer's answers against scikit-learn are in the versions fixtures (s9_knn_imputer_*).
 * These are the inputs whose answer scikit-learn's own BLAS rounding decides (its nan_euclidean
 * distances are |x|^2 - 2 x.y + |y|^2): a fit row at distance ~0 under distance weights, and
 * fit rows tied at the k-th distance with different values. They are refused by name.
 */
const V191 = join(import.meta.dirname, '../../fixtures/sklearn/versions/v1.9.1');

async function model(caseName: string): Promise<{ transform: (row: number[]) => unknown; fit: Float64Array; f: number }> {
  const { pickled, estimator } = await readSklearnPickle(join(V191, caseName, 'model.p4.pkl'));
  // a Pipeline's first step, or the imputer itself
  const inst = pickled as PyInstance;
  const imputer = inst.name === 'KNNImputer' ? inst : ((inst.state.steps as unknown[][])[0][1] as PyInstance);
  const fitX = imputer.state._fit_X as NdArray;
  const f = fitX.shape[1];
  const transform = (row: number[]) => callMethod(estimator, 'transform', makeTensor({ dtype: 'float64', shape: [1, f], data: Float64Array.from(row) }));
  return { transform, fit: fitX.data as Float64Array, f };
}

describe('KNNImputer inputs decided by rounding are refused', () => {
  it('a fit row again, one value missing, under distance weights (its distance is 0 or ~1e-8 by BLAS)', async () => {
    const { transform, fit, f } = await model('s9_knn_imputer_distance_indicator_gaps');
    const r = Array.from({ length: fit.length / f }, (_, i) => i).find((i) => fit.subarray(i * f, (i + 1) * f).every((v) => !Number.isNaN(v)))!;
    const row = Array.from(fit.subarray(r * f, (r + 1) * f));
    expect(() => transform(row)).not.toThrow();
    row[2] = NaN;
    expect(() => transform(row)).toThrow(NotSupportedNativelyError);
    expect(() => transform(row)).toThrow(/within rounding of distance 0/);
  });

  it("fit rows tied at the k-th distance (only diabetes' two-valued sex column present)", async () => {
    const { transform, fit, f } = await model('s9_knn_imputer_uniform_diabetes');
    const row = new Array<number>(f).fill(NaN);
    row[1] = fit[1];
    expect(() => transform(row)).toThrow(NotSupportedNativelyError);
    expect(() => transform(row)).toThrow(/k-th distance within rounding/);
  });
});

import { NotSupportedNativelyError } from '../../../errors.js';
import { matrix, toMatrix } from '../data.js';
import { f64Tensor, type Builder } from '../estimator.js';
import { denseFloats } from '../state.js';
import { kernelMatrix, readKernel } from './pairwise-kernels.js';

/**
 * KernelRidge: predict = K(X, X_fit_) @ dual_coef_, the kernel one of pairwise_kernels' named
 * kernels (a callable kernel is a pickled function, refused by the pickle reader's allow-list).
 * X_fit_ may be sparse (fitted after a sparse step): the kernels' sums skip its zeros, the same
 * values up to the summation order the error bound allows for.
 */
const kernelRidge: Builder = (s) => {
  const kernel = readKernel(s);
  const fit = denseFloats(s, 'X_fit_');
  if (fit.shape.length !== 2) s.fail('X_fit_ should be 2-D');
  const [n, f] = fit.shape;
  const train = matrix(n, f, fit.data);
  const dual = s.floats('dual_coef_');
  const targets = dual.shape.length === 1 ? 1 : dual.shape[1];
  if (dual.shape[0] !== n || dual.data.length !== n * targets) s.fail('dual_coef_ does not match X_fit_');
  return {
    className: s.className,
    predict(x) {
      const m = toMatrix(x);
      const err = new Float64Array(m.rows * n);
      const k = kernelMatrix(kernel, m, train, err);
      const out = new Float64Array(m.rows * targets);
      // rounding errors of n terms grow as sqrt(n) (of random sign) rather than the worst case n
      const growth = Math.sqrt(n) + 1;
      for (let i = 0; i < m.rows; i++) {
        for (let t = 0; t < targets; t++) {
          let acc = 0;
          let bound = 0;
          let nan = false;
          for (let r = 0; r < n; r++) {
            const kr = k[i * n + r];
            const d = dual.data[r * targets + t];
            acc += kr * d;
            bound += Math.abs(d) * (growth * Math.abs(kr) + err[i * n + r]);
            nan ||= Number.isNaN(kr);
          }
          // a NaN kernel value (sklearn's own, from overflowing distances) gives NaN in any order
          if (!nan && !(bound * Number.EPSILON <= 1e-9 * Math.max(1, Math.abs(acc)))) refuseCancelling(s.className, i, acc, bound);
          out[i * targets + t] = acc;
        }
      }
      return dual.shape.length === 1 ? f64Tensor([m.rows], out) : f64Tensor([m.rows, targets], out);
    },
  };
};

/**
 * A prediction whose terms cancel (or overflow) so that BLAS's summation order and fused
 * multiply-adds in sklearn may move it by more than the 1e-9 relative we answer within: the
 * kernel values' error bounds (kernelMatrix) and the sum's typical rounding, sqrt(n) eps times
 * the sum of the terms' sizes (the worst case, n eps, refused predictions that agreed to 1e-14).
 */
function refuseCancelling(className: string, row: number, value: number, bound: number): never {
  throw new NotSupportedNativelyError(
    `${className}.predict: row ${row}'s prediction (${value}) sums kernel terms whose rounding, in the order BLAS takes them, may move it by up to ${bound * Number.EPSILON}: scikit-learn's answer for this input may differ from ours`,
  );
}

export const kernelRidgeBuilders: Record<string, Builder> = {
  'sklearn.kernel_ridge.KernelRidge': kernelRidge,
};

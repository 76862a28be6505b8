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
  const fitF32 = s.isFloat32('X_fit_');
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
      // float32 rows against a float32 fit: check_pairwise_arrays keeps float32, so sklearn's
      // kernel is float32 arithmetic (sgemm, float32 exp/tanh), 40% of its values a float32 ulp
      // or more from the float64 kernel rounded to float32 in a sweep case: the kernel errors
      // are counted in float32 epsilons and the prediction answered within F32_TOLERANCE.
      // Not laplacian: manhattan_distances is scipy's cdist, in float64 whatever the input
      const f32 = fitF32 && m.f32 === true && kernel.name !== 'laplacian';
      const unit = f32 ? F32_EPSILON : Number.EPSILON;
      const tolerance = f32 ? F32_TOLERANCE : 1e-9;
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
            bound += Math.abs(d) * (f32 ? Math.abs(kr) + err[i * n + r] : growth * Math.abs(kr) + err[i * n + r]);
            nan ||= Number.isNaN(kr);
          }
          // a NaN kernel value (sklearn's own, from overflowing distances) gives NaN in any order
          if (!nan && !(bound * unit <= tolerance * Math.max(1, Math.abs(acc)))) refuseCancelling(s.className, i, acc, bound * unit, f32);
          out[i * targets + t] = acc;
        }
      }
      return dual.shape.length === 1 ? f64Tensor([m.rows], out) : f64Tensor([m.rows, targets], out);
    },
  };
};

const F32_EPSILON = 2 ** -23;
/**
 * What a float32 kernel may move a prediction by, relative, and still be answered: float32
 * arithmetic is not reproducible bit for bit (BLAS order, numpy's SIMD exp), so the float32
 * answers elsewhere agree to a few float32 ulps; beyond this the float32 rounding dominates.
 */
const F32_TOLERANCE = 1e-5;

/**
 * A prediction whose terms cancel (or overflow) so that BLAS's summation order and fused
 * multiply-adds in sklearn may move it by more than the 1e-9 relative we answer within: the
 * kernel values' error bounds (kernelMatrix) and the sum's typical rounding, sqrt(n) eps times
 * the sum of the terms' sizes (the worst case, n eps, refused predictions that agreed to 1e-14).
 */
function refuseCancelling(className: string, row: number, value: number, bound: number, f32: boolean): never {
  const terms = f32 ? 'float32 kernel terms (float32 rows, a float32 fit)' : 'kernel terms';
  throw new NotSupportedNativelyError(
    `${className}.predict: row ${row}'s prediction (${value}) sums ${terms} whose rounding, in the order BLAS takes them, may move it by up to ${bound}: scikit-learn's answer for this input may differ from ours`,
  );
}

export const kernelRidgeBuilders: Record<string, Builder> = {
  'sklearn.kernel_ridge.KernelRidge': kernelRidge,
};

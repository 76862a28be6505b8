import { matrix, toMatrix } from '../data.js';
import { f64Tensor, type Builder } from '../estimator.js';
import { kernelMatrix, readKernel } from './pairwise-kernels.js';

/**
 * KernelRidge: predict = K(X, X_fit_) @ dual_coef_, the kernel one of pairwise_kernels' named
 * kernels (a callable kernel is a pickled function, refused by the pickle reader's allow-list).
 */
const kernelRidge: Builder = (s) => {
  const kernel = readKernel(s);
  const fit = s.floats('X_fit_');
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
      const k = kernelMatrix(kernel, m, train);
      const out = new Float64Array(m.rows * targets);
      for (let i = 0; i < m.rows; i++) {
        for (let t = 0; t < targets; t++) {
          let acc = 0;
          for (let r = 0; r < n; r++) acc += k[i * n + r] * dual.data[r * targets + t];
          out[i * targets + t] = acc;
        }
      }
      return dual.shape.length === 1 ? f64Tensor([m.rows], out) : f64Tensor([m.rows, targets], out);
    },
  };
};

export const kernelRidgeBuilders: Record<string, Builder> = {
  'sklearn.kernel_ridge.KernelRidge': kernelRidge,
};

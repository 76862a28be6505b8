import { MlflowError } from '../../../errors.js';
import type { Matrix } from '../data.js';
import type { State } from '../state.js';

/**
 * sklearn.metrics.pairwise_kernels for the named kernels, with the parameters sklearn passes
 * each one (filter_params): gamma (None: 1/n_features, or 1 for chi2), degree, coef0.
 */
export const KERNELS = ['linear', 'poly', 'polynomial', 'rbf', 'sigmoid', 'laplacian', 'chi2', 'additive_chi2', 'cosine'] as const;
export type KernelName = (typeof KERNELS)[number];

export interface Kernel {
  name: KernelName;
  gamma: number | null;
  degree: number;
  coef0: number;
}

/** The kernel a fitted estimator names in `kernel` (callables and 'precomputed' refused). */
export function readKernel(s: State): Kernel {
  const name = s.raw('kernel');
  if (typeof name !== 'string') return s.fail('a callable kernel is not supported natively');
  if (!(KERNELS as readonly string[]).includes(name)) s.fail(`kernel '${name}' is not supported natively`);
  const gamma = s.raw('gamma');
  return {
    name: name as KernelName,
    gamma: gamma === null || gamma === undefined ? null : s.number('gamma'),
    degree: s.numberOr('degree', 3),
    coef0: s.numberOr('coef0', 1),
  };
}

/**
 * The (x.rows, y.rows) kernel matrix K(x, y), row-major. `err`, when given, receives a bound on
 * each element's rounding error in units of the float64 epsilon, whatever order and fused
 * multiply-adds BLAS uses in sklearn (its dot products over the features, euclidean_distances'
 * expansion |x|^2 - 2 x.y + |y|^2 for rbf): Infinity where a term overflows, since a fused
 * multiply-add may keep finite what overflows here.
 */
export function kernelMatrix(k: Kernel, x: Matrix, y: Matrix, err?: Float64Array): Float64Array {
  const f = x.cols;
  if (y.cols !== f) {
    throw new MlflowError(`X has ${x.cols} features, but the kernel model is expecting ${y.cols} features as input.`, 'INVALID_PARAMETER_VALUE');
  }
  const { name, degree, coef0 } = k;
  const gamma = k.gamma ?? (name === 'chi2' ? 1 : 1 / f);
  if (name === 'chi2' || name === 'additive_chi2') {
    if (x.data.some((v) => v < 0)) throw new MlflowError('X contains negative values.', 'INVALID_PARAMETER_VALUE');
  }
  // cosine: sklearn's cosine_similarity normalizes the rows first, then takes their dot products;
  // a row whose squared norm overflows becomes all zeros (x / inf), so its kernel values are 0
  const xd = name === 'cosine' ? unitRows(x.data, x.rows, f) : x.data;
  const yd = name === 'cosine' ? unitRows(y.data, y.rows, f) : y.data;
  const out = new Float64Array(x.rows * y.rows);
  for (let i = 0; i < x.rows; i++) {
    const xo = i * f;
    for (let r = 0; r < y.rows; r++) {
      const yo = r * f;
      let acc = 0;
      if (name === 'rbf') {
        for (let j = 0; j < f; j++) acc += (x.data[xo + j] - y.data[yo + j]) ** 2;
        // a distance that overflows: sklearn's euclidean_distances takes -2 x.y + |x|^2 + |y|^2,
        // whose infinities can cancel to NaN (np.maximum(d, 0) keeps a NaN)
        const overflowed = acc === Infinity;
        if (overflowed) acc = Math.max(expandedSquaredDistance(x.data, xo, y.data, yo, f), 0);
        const kr = Math.exp(-gamma * acc);
        out[i * y.rows + r] = kr;
        // an overflowing distance is taken in sklearn's own order above; else the expansion's
        // error, (f + 2) eps (|x|^2 + 2 |x.y| + |y|^2), scaled by dK/dd = gamma K
        if (err) err[i * y.rows + r] = overflowed || kr === 0 ? 0 : gamma * kr * (f + 2) * sumSquares(x.data, xo, y.data, yo, f) + kr;
        continue;
      }
      if (name === 'laplacian') {
        for (let j = 0; j < f; j++) acc += Math.abs(x.data[xo + j] - y.data[yo + j]);
        const kr = Math.exp(-gamma * acc);
        out[i * y.rows + r] = kr;
        if (err) err[i * y.rows + r] = kr === 0 ? 0 : gamma * kr * (f + 1) * acc + kr;
        continue;
      }
      if (name === 'chi2' || name === 'additive_chi2') {
        // -sum((x - y)^2 / (x + y)), terms with x + y = 0 left out
        for (let j = 0; j < f; j++) {
          const a = x.data[xo + j];
          const b = y.data[yo + j];
          if (a + b !== 0) acc -= ((a - b) * (a - b)) / (a + b);
        }
        const kr = name === 'chi2' ? Math.exp(gamma * acc) : acc;
        out[i * y.rows + r] = kr;
        // the sum's terms are all of one sign: its error is (f + 3) eps |sum|
        if (err) err[i * y.rows + r] = name === 'chi2' ? (kr === 0 ? 0 : gamma * kr * (f + 3) * Math.abs(acc) + kr) : (f + 3) * Math.abs(acc);
        continue;
      }
      let size = 0;
      for (let j = 0; j < f; j++) {
        acc += xd[xo + j] * yd[yo + j];
        size += Math.abs(xd[xo + j] * yd[yo + j]);
      }
      const kr = name === 'linear' || name === 'cosine' ? acc
        : name === 'sigmoid' ? Math.tanh(acc * gamma + coef0)
            : (acc * gamma + coef0) ** degree;
      out[i * y.rows + r] = kr;
      // cosine: each normalized value is off by its norm's rounding, (f / 2 + 2) eps, too
      const dotErr = name === 'cosine' ? (2 * f + 6) * size : (f + 2) * size;
      if (err) err[i * y.rows + r] = dotKernelError(name, kr, acc, dotErr, gamma, coef0, degree);
    }
  }
  return out;
}

/**
 * The error bound (in eps) of a kernel of the dot product `dot`, whose own error is `dotErr`:
 * through dK/d(dot), plus the kernel's last rounding.
 */
function dotKernelError(name: KernelName, k: number, dot: number, dotErr: number, gamma: number, coef0: number, degree: number): number {
  if (name === 'linear' || name === 'cosine') return dotErr;
  const base = dot * gamma + coef0;
  const baseErr = gamma * dotErr + 2 * Math.abs(base);
  if (name === 'sigmoid') return (1 - k * k) * baseErr + Math.abs(k);
  return degree * Math.abs(base) ** (degree - 1) * baseErr + degree * Math.abs(k);
}

/** |x|^2 + 2 |x.y| + |y|^2, the size of euclidean_distances' expansion's terms. */
function sumSquares(x: Float64Array, xo: number, y: Float64Array, yo: number, f: number): number {
  let s = 0;
  for (let j = 0; j < f; j++) s += x[xo + j] * x[xo + j] + 2 * Math.abs(x[xo + j] * y[yo + j]) + y[yo + j] * y[yo + j];
  return s;
}

/** |x - y|^2 in euclidean_distances' order of operations: (-2 x.y + |x|^2) + |y|^2. */
function expandedSquaredDistance(x: Float64Array, xo: number, y: Float64Array, yo: number, f: number): number {
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let j = 0; j < f; j++) {
    xx += x[xo + j] * x[xo + j];
    yy += y[yo + j] * y[yo + j];
    xy += x[xo + j] * y[yo + j];
  }
  return -2 * xy + xx + yy;
}

/**
 * Each row divided by its L2 norm, as sklearn.preprocessing.normalize: a zero row stays zero, and
 * a row whose squared norm overflows becomes zeros (x / inf).
 */
export function unitRows(data: Float64Array, n: number, f: number): Float64Array {
  const out = new Float64Array(n * f);
  for (let r = 0; r < n; r++) {
    let ss = 0;
    for (let j = 0; j < f; j++) ss += data[r * f + j] * data[r * f + j];
    const norm = Math.sqrt(ss) || 1;
    for (let j = 0; j < f; j++) out[r * f + j] = data[r * f + j] / norm;
  }
  return out;
}

import { MlflowError } from '../../../errors.js';
import { matrix, toMatrix, withF32, type Data } from '../data.js';
import { floatTensor, type Builder } from '../estimator.js';

/**
 * IsotonicRegression: one feature, interpolated linearly between the fitted X_thresholds_ and
 * y_thresholds_ as scipy's interp1d does (slope * (x - x_lo) + y_lo, the interval found by a
 * left searchsorted), after clipping to [X_min_, X_max_] with out_of_bounds='clip'; outside the
 * range 'nan' gives NaN and 'raise' an error. Fitted on float32 (float32 thresholds), the rows are
 * cast to float32 and each step is float32 arithmetic, as numpy does it, the answer float32.
 */
const isotonicRegression: Builder = (s) => {
  const xs = s.floats('X_thresholds_').data;
  const ys = s.floats('y_thresholds_').data;
  if (xs.length !== ys.length || xs.length === 0) s.fail('X_thresholds_ and y_thresholds_ should be non-empty and of one length');
  const bounds = s.stringOr('out_of_bounds', 'nan');
  if (!['nan', 'clip', 'raise'].includes(bounds)) s.fail(`out_of_bounds '${bounds}' is not supported natively`);
  const lo = s.number('X_min_');
  const hi = s.number('X_max_');
  const f32 = s.isFloat32('X_thresholds_');
  const r = f32 ? Math.fround : (v: number): number => v;
  const at = (v: number): number => {
    const x = bounds === 'clip' ? Math.min(Math.max(r(v), lo), hi) : r(v);
    if (xs.length === 1) return ys[0];
    if (x < xs[0] || x > xs[xs.length - 1]) {
      if (bounds === 'raise') throw new MlflowError('A value in x_new is out of the interpolation range.', 'INVALID_PARAMETER_VALUE');
      return NaN;
    }
    let a = 0;
    let b = xs.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (xs[mid] < x) a = mid + 1;
      else b = mid;
    }
    const j = Math.min(Math.max(a, 1), xs.length - 1);
    const slope = r(r(ys[j] - ys[j - 1]) / r(xs[j] - xs[j - 1]));
    return r(r(slope * r(x - xs[j - 1])) + ys[j - 1]);
  };
  const values = (x: Data): Float64Array => {
    const m = toMatrix(x);
    if (m.cols !== 1) throw new MlflowError(`Isotonic regression input X should be a 1d array or 2d array with 1 feature; got ${m.cols} features`, 'INVALID_PARAMETER_VALUE');
    return m.data.map(at);
  };
  return {
    className: s.className,
    predict: (x) => floatTensor([x.rows], values(x), f32),
    // transform is predict (both are scikit-learn's _transform): a 1-D array
    transform: (x) => ({ ...withF32(matrix(x.rows, 1, values(x)), f32), oneD: true }),
  };
};

export const isotonicBuilders: Record<string, Builder> = {
  'sklearn.isotonic.IsotonicRegression': isotonicRegression,
};

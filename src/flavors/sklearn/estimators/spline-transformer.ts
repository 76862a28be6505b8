import { MlflowError, NotSupportedNativelyError } from '../../../errors.js';
import { matrix, toMatrix, withF32, type Data } from '../data.js';
import type { Builder } from '../estimator.js';
import { floatData, isInstance, isNdArray, type State } from '../state.js';

/** A scipy BSpline as pickled: knots t, coefficients c (n_coef, n_splines), degree k. */
interface Spline {
  t: Float64Array;
  c: Float64Array;
  splines: number;
  k: number;
  extrapolate: boolean;
}

function readSpline(s: State, v: unknown, i: number): Spline {
  if (!isInstance(v) || v.name !== 'BSpline') return s.fail(`bsplines_[${i}] should be a scipy BSpline`);
  // scipy >= 1.15 keeps the knots and coefficients as _t and _c
  const { k, extrapolate, axis } = v.state;
  const t = v.state.t ?? v.state._t;
  const c = v.state.c ?? v.state._c;
  if (!isNdArray(t) || !isNdArray(c) || c.shape.length !== 2 || typeof k !== 'number') return s.fail(`bsplines_[${i}] should hold knots, 2-D coefficients and a degree`);
  if (axis !== undefined && axis !== 0) s.fail(`bsplines_[${i}] has axis ${String(axis)}`);
  if (extrapolate !== true && extrapolate !== false) s.fail(`bsplines_[${i}] extrapolate=${String(extrapolate)} is not supported natively`);
  return { t: floatData(t, 'BSpline.t'), c: floatData(c, 'BSpline.c'), splines: c.shape[1], k, extrapolate: extrapolate as boolean };
}

/**
 * scipy's find_interval: the l in [k, n-1] with t[l] <= x < t[l+1] (the last interval at its
 * right end and, when extrapolating, beyond either end); -1 for NaN or, without extrapolation, x
 * outside [t[k], t[n]].
 */
function findInterval(sp: Spline, x: number, extrapolate: boolean): number {
  const { t, k } = sp;
  const n = t.length - k - 1;
  if (Number.isNaN(x)) return -1;
  if ((x < t[k] || x > t[n]) && !extrapolate) return -1;
  let l = k;
  while (l < n - 1 && x >= t[l + 1]) l++;
  return l;
}

/**
 * The k+1 B-spline basis values (or their first derivatives, nu = 1) non-zero on interval l, by
 * the Cox-de Boor recursion in scipy's _deBoor_D order.
 */
function deBoor(sp: Spline, x: number, l: number, nu: number): Float64Array {
  const { t, k } = sp;
  const h = new Float64Array(k + 1);
  const hh = new Float64Array(k + 1);
  h[0] = 1;
  for (let j = 1; j <= k; j++) {
    hh.set(h.subarray(0, j));
    h[0] = 0;
    const derivative = j > k - nu;
    for (let n = 1; n <= j; n++) {
      const xb = t[l + n];
      const xa = t[l + n - j];
      if (xb === xa) {
        h[n] = 0;
        continue;
      }
      if (derivative) {
        const w = (j * hh[n - 1]) / (xb - xa);
        h[n - 1] -= w;
        h[n] = w;
      } else {
        const w = hh[n - 1] / (xb - xa);
        h[n - 1] += w * (xb - x);
        h[n] = w * (x - xa);
      }
    }
  }
  return h;
}

/** spl(x, nu) for each of the spline's outputs, written to out[o..o+splines); NaN where scipy gives NaN. */
function evaluate(sp: Spline, x: number, nu: number, out: Float64Array, o: number, extrapolate = sp.extrapolate): void {
  const l = findInterval(sp, x, extrapolate);
  if (l < 0) {
    out.fill(NaN, o, o + sp.splines);
    return;
  }
  // a derivative of higher order than the degree is 0 (degree 0 splines are steps)
  if (nu > sp.k) {
    out.fill(0, o, o + sp.splines);
    return;
  }
  const w = deBoor(sp, x, l, nu);
  for (let s = 0; s < sp.splines; s++) {
    let acc = 0;
    for (let a = 0; a <= sp.k; a++) acc += sp.c[(l + a - sp.k) * sp.splines + s] * w[a];
    out[o + s] = acc;
  }
}

/** How many rows hold a value above xmax in feature j. */
function countAbove(data: Float64Array, f: number, j: number, xmax: number): number {
  let c = 0;
  for (let i = j; i < data.length; i += f) if (data[i] > xmax) c++;
  return c;
}

/** numpy's % on floats: the remainder with the divisor's sign. */
function pyMod(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && (b < 0) !== (m < 0) ? m + b : m;
}

/**
 * SplineTransformer.transform (dense output; a sparse_output model gives the same values): per
 * feature its B-spline basis, beyond the fitted knots extrapolated as the model says ('constant':
 * the boundary values; 'linear': the boundary slope; 'continue': the polynomial pieces;
 * 'periodic': x wrapped into the base interval; 'error': refused), the last basis dropped per
 * feature without include_bias.
 */
const splineTransformer: Builder = (s) => {
  const mode = s.string('extrapolation');
  if (!['constant', 'linear', 'continue', 'periodic', 'error'].includes(mode)) s.fail(`extrapolation='${mode}' is not supported natively`);
  const missing = s.stringOr('handle_missing', 'error');
  if (missing !== 'error') s.fail(`handle_missing='${missing}' is not supported natively`);
  const splines = s.list('bsplines_').map((v, i) => readSpline(s, v, i));
  const degree = s.number('degree');
  const bias = s.bool('include_bias', true);
  const sparse = s.bool('sparse_output', false);
  const f = splines.length;
  const ns = splines[0]?.splines ?? 0;
  if (splines.some((sp) => sp.splines !== ns || sp.k !== degree)) s.fail('bsplines_ should share their number of splines and degree');
  return {
    className: s.className,
    transform(x: Data) {
      const m = toMatrix(x);
      if (m.cols !== f) throw new MlflowError(`X has ${m.cols} features, but SplineTransformer is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
      const width = f * ns;
      const out = new Float64Array(m.rows * width);
      const row = new Float64Array(ns);
      // sklearn's 'linear' mode raises a degree <= 1 by one in a variable its later features
      // reuse for their boundaries (t[deg], t[-deg-1]) and for how many bases they extend: a later
      // feature's boundaries can cross (xmin > xmax), and a row is then both below and above
      let deg = degree;
      splines.forEach((sp, j) => {
        const n = sp.t.length - sp.k - 1;
        const [xmin, xmax] = [sp.t[deg], sp.t[sp.t.length - deg - 1]];
        if (mode === 'linear' && deg <= 1) deg += 1;
        const d = deg;
        // bases past either end (numpy would raise or index from the end): left to the bridge
        if (mode === 'linear' && d > ns) throw new NotSupportedNativelyError(`SplineTransformer(extrapolation='linear') extending ${d} bases of ${ns} is not supported natively`);
        const fMin = new Float64Array(ns);
        const fMax = new Float64Array(ns);
        const dMin = new Float64Array(ns);
        const dMax = new Float64Array(ns);
        if (mode === 'constant' || mode === 'linear') {
          evaluate(sp, xmin, 0, fMin, 0);
          evaluate(sp, xmax, 0, fMax, 0);
          evaluate(sp, xmin, 1, dMin, 0);
          evaluate(sp, xmax, 1, dMax, 0);
        }
        for (let i = 0; i < m.rows; i++) {
          const v = m.data[i * f + j];
          const o = i * width + j * ns;
          if (mode === 'continue' || mode === 'error' || mode === 'periodic') {
            const range = sp.t[n] - sp.t[sp.k];
            const xv = mode === 'periodic' ? (range > 0 ? sp.t[sp.k] + pyMod(v - sp.t[sp.k], range) : 0) : v;
            evaluate(sp, xv, 0, row, 0);
            if (mode === 'error' && row.some((r) => Number.isNaN(r))) {
              throw new MlflowError('`X` contains values beyond the limits of the knots.', 'INVALID_PARAMETER_VALUE');
            }
            out.set(row, o);
            continue;
          }
          if (v >= xmin && v <= xmax) {
            evaluate(sp, v, 0, row, 0);
            out.set(row, o);
          } else if (mode === 'constant') {
            // degree 0: sklearn assigns f_max[-0:] (every basis) to the columns [-0:], which is an
            // empty slice of the dense block (numpy raises) and every column of a sparse one
            if (degree === 0 && v > xmax && sparse) out.set(fMax, o);
            else if (degree === 0 && v > xmax) throw new MlflowError(`shape mismatch: value array of shape (${ns},) could not be broadcast to indexing result of shape (${countAbove(m.data, f, j, xmax)},0)`, 'INVALID_PARAMETER_VALUE');
            if (v < xmin) for (let q = 0; q < degree; q++) out[o + q] = fMin[q];
            else for (let q = ns - degree; q < ns; q++) out[o + q] = fMax[q];
          } else {
            // 'linear': the first and last d bases continue along their boundary slopes, in
            // sklearn's order (below, then above, for each q)
            for (let q = 0; q < d; q++) {
              if (v < xmin) out[o + q] = fMin[q] + (v - xmin) * dMin[q];
              if (v > xmax) out[o + ns - 1 - q] = fMax[ns - 1 - q] + (v - xmax) * dMax[ns - 1 - q];
            }
          }
        }
      });
      // float32 rows: the output array takes X's dtype and the float64 basis values (scipy's
      // BSpline computes in float64) are stored into it, each rounded once. Before numpy 2
      // (scikit-learn 1.2 here) 'linear' and 'periodic' did their own arithmetic on X in
      // float32 too; not followed: those values may be an ulp or so off.
      if (m.f32) for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]);
      if (bias) return withF32(matrix(m.rows, width, out), m.f32 === true);
      const keep = Array.from({ length: width }, (_, c) => c).filter((c) => (c + 1) % ns !== 0);
      const dropped = new Float64Array(m.rows * keep.length);
      for (let i = 0; i < m.rows; i++) keep.forEach((c, q) => (dropped[i * keep.length + q] = out[i * width + c]));
      return withF32(matrix(m.rows, keep.length, dropped), m.f32 === true);
    },
  };
};

export const splineTransformerBuilders: Record<string, Builder> = {
  'sklearn.preprocessing.SplineTransformer': splineTransformer,
};

/**
 * The fitted splines are scipy BSpline objects (inert data: knots, coefficients, degree); newer
 * scipy also pickles a reference to its array namespace's asarray, read as a name, never called.
 */
export const splineTransformerHelpers = [
  'scipy.interpolate._bsplines.BSpline', 'scipy.interpolate.bsplines.BSpline',
  'scipy._lib.array_api_compat.numpy._aliases.asarray',
];

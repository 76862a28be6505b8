import type { Data } from '../data.js';
import type { Builder } from '../estimator.js';
import { normalCdf, normalPpf } from '../normal.js';
import { mapColumns } from './preprocessing.js';

/** sklearn's margin for the first and last quantile (BOUNDS_THRESHOLD). */
const BOUNDS = 1e-7;
const EPS = 2.220446049250313e-16;

/**
 * np.interp(x, xp, fp) for increasing xp: fp[0] left of xp, fp[last] right of it and at its last
 * point, else the line between xp[j] <= x < xp[j+1] (j the last such index when xp repeats), with
 * numpy's fallbacks when that line gives NaN.
 */
export function npInterp(x: number, xp: Float64Array, fp: Float64Array): number {
  const n = xp.length;
  if (Number.isNaN(x)) return NaN;
  if (x < xp[0]) return fp[0];
  if (x >= xp[n - 1]) return fp[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid;
  }
  const j = lo;
  if (xp[j] === x) return fp[j];
  const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  let r = slope * (x - xp[j]) + fp[j];
  if (Number.isNaN(r)) {
    r = slope * (x - xp[j + 1]) + fp[j + 1];
    if (Number.isNaN(r) && fp[j] === fp[j + 1]) r = fp[j];
  }
  return r;
}

/**
 * QuantileTransformer.transform: per column, the mean of interpolating up the quantiles_ and down
 * them (so repeated quantiles map to their middle), the end points pinned to 0 and 1 (within
 * BOUNDS of them for a normal output), then norm.ppf clipped to ppf(BOUNDS - eps) for 'normal'.
 */
const quantileTransformer: Builder = (s) => {
  const out = s.string('output_distribution');
  if (out !== 'uniform' && out !== 'normal') s.fail(`output_distribution '${out}' is not supported natively`);
  const q = s.floats('quantiles_');
  const refs = s.floats('references_').data;
  const [nq, f] = q.shape;
  if (q.shape.length !== 2 || refs.length !== nq) s.fail('quantiles_ should be (n_quantiles, n_features) and references_ (n_quantiles,)');
  const cols = Array.from({ length: f }, (_, j) => Float64Array.from({ length: nq }, (_, i) => q.data[i * f + j]));
  const negCols = cols.map((c) => Float64Array.from(c, (_, i) => -c[nq - 1 - i]));
  const negRefs = Float64Array.from(refs, (_, i) => -refs[nq - 1 - i]);
  const normal = out === 'normal';
  const clipMin = normalPpf(BOUNDS - EPS);
  const clipMax = normalPpf(1 - (BOUNDS - EPS));
  // on float32 rows numpy 1.x compared them with the end quantiles (numpy float64 scalars) cast
  // to float32 (value-based casting); numpy 2, which scikit-learn supports from 1.4.2, in float64
  const legacyCasts = !s.sklearnAtLeast(1, 4, 2);
  const forward = (v: number, j: number, r: (v: number) => number): number => {
    const c = cols[j];
    // float32 rows: X_col -/+ BOUNDS_THRESHOLD is a float32 operation, the interpolated value is
    // stored into the float32 column before norm.ppf (which computes in float64)
    const f32 = r === Math.fround;
    const [lo, hi] = f32 && legacyCasts ? [r(c[0]), r(c[nq - 1])] : [c[0], c[nq - 1]];
    const lower = normal ? r(v - BOUNDS) < lo : v === lo;
    const upper = normal ? r(v + BOUNDS) > hi : v === hi;
    let y = Number.isNaN(v) ? NaN : r(0.5 * (npInterp(v, c, refs) - npInterp(-v, negCols[j], negRefs)));
    if (upper) y = 1;
    if (lower) y = 0;
    if (!normal) return y;
    const z = normalPpf(y);
    return Number.isNaN(z) ? z : Math.min(Math.max(z, clipMin), clipMax);
  };
  const backward = (v: number, j: number): number => {
    const c = cols[j];
    const u = normal ? normalCdf(v) : v;
    const lower = normal ? u - BOUNDS < 0 : u === 0;
    const upper = normal ? u + BOUNDS > 1 : u === 1;
    let y = Number.isNaN(u) ? NaN : npInterp(u, refs, c);
    if (upper) y = c[nq - 1];
    if (lower) y = c[0];
    return y;
  };
  return {
    className: s.className,
    transform: (x: Data) => mapColumns(x, f, s.inst.name, forward),
    inverseTransform: (x: Data) => mapColumns(x, f, s.inst.name, backward),
  };
};

export const quantileTransformerBuilders: Record<string, Builder> = {
  'sklearn.preprocessing.QuantileTransformer': quantileTransformer,
};

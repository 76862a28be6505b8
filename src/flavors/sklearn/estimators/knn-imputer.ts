import { MlflowError, NotSupportedNativelyError } from '../../../errors.js';
import { hstack, matrix, selectColumns, toMatrix, withF32, type Data, type Matrix } from '../data.js';
import type { Builder } from '../estimator.js';

/**
 * nan_euclidean_distances of one row to every fit row, squared, as sklearn computes them: with
 * missing values set to 0, |x|^2 - 2 x.y + |y|^2 (clipped at 0), minus the squares of the
 * coordinates the other row misses, scaled by n_features / (coordinates present in both); NaN
 * where no coordinate is present in both. `tol` gets each one's rounding bound: sklearn's
 * products come from BLAS, whose summation order (and FMA) differ by machine, so two values
 * closer than their bounds, or one within its bound of 0, may compare either way there.
 */
function nanEuclidean(q: Float64Array, qMiss: Uint8Array, fit: Matrix, fitMiss: Uint8Array, fitSq: Float64Array, out: Float64Array, tol: Float64Array): void {
  const f = fit.cols;
  let qq = 0;
  for (let j = 0; j < f; j++) qq += q[j] * q[j];
  for (let r = 0; r < fit.rows; r++) {
    const o = r * f;
    let dot = 0;
    let present = 0;
    let lessQ = 0;
    let lessY = 0;
    for (let j = 0; j < f; j++) {
      const y = fit.data[o + j];
      dot += q[j] * y;
      if (fitMiss[o + j]) lessQ += q[j] * q[j];
      if (qMiss[j]) lessY += y * y;
      if (!qMiss[j] && !fitMiss[o + j]) present++;
    }
    let d = Math.max(-2 * dot + qq + fitSq[r], 0);
    d = Math.max(d - lessQ - lessY, 0);
    out[r] = present === 0 ? NaN : (d / present) * f;
    tol[r] = ((f + 4) * 2 ** -50 * (qq + fitSq[r]) * f) / Math.max(present, 1);
  }
}

/**
 * KNNImputer.transform: each missing value of a row is the average of the column over the
 * n_neighbors nearest fit rows (nan_euclidean distance) that have that column, weighted uniformly
 * or by 1 / distance (a donor at distance 0 takes all the weight; a NaN distance weighs 0); a row
 * with no distance to any such donor gets the column's mean. Columns missing in every fit row are
 * dropped (or set to 0 with keep_empty_features); add_indicator appends the missing mask. Ties at
 * the k-th distance go to the earlier fit row, as the KNeighbors estimators here break them.
 */
/** A value whose neighbours scikit-learn's own rounding decides: refused, not guessed. */
function ambiguous(row: number, col: number, why: string): never {
  throw new NotSupportedNativelyError(`KNNImputer: row ${row}, column ${col}: ${why}; scikit-learn's answer depends on its BLAS rounding there`);
}

const knnImputer: Builder = (s, build) => {
  const mv = s.raw('missing_values');
  if (!(typeof mv === 'number' && Number.isNaN(mv))) s.fail('missing_values other than NaN are not supported natively');
  if (s.raw('metric') !== 'nan_euclidean') s.fail('only metric="nan_euclidean" is supported natively');
  const weights = s.raw('weights');
  if (weights !== 'uniform' && weights !== 'distance') s.fail('only uniform and distance weights are supported natively');
  const fitArr = s.array('_fit_X');
  if (fitArr.dtype !== '<f8' || fitArr.shape.length !== 2) s.fail('_fit_X should be a 2-D float64 array (a model fitted on float32 answers in float32)');
  const [n, f] = fitArr.shape;
  const fit = matrix(n, f, s.floats('_fit_X').data);
  const fitMiss = Uint8Array.from(fit.data, (v) => (Number.isNaN(v) ? 1 : 0));
  const fitZero = fit.data.map((v) => (Number.isNaN(v) ? 0 : v));
  const zeroed = matrix(n, f, fitZero);
  const fitSq = Float64Array.from({ length: n }, (_, r) => {
    let acc = 0;
    for (let j = 0; j < f; j++) acc += fitZero[r * f + j] * fitZero[r * f + j];
    return acc;
  });
  const valid = Array.from({ length: f }, (_, j) => fitMiss.some((m, p) => p % f === j && m === 0));
  const means = Float64Array.from({ length: f }, (_, j) => {
    let sum = 0;
    let cnt = 0;
    for (let r = 0; r < n; r++) {
      if (!fitMiss[r * f + j]) {
        sum += fit.data[r * f + j];
        cnt++;
      }
    }
    return sum / cnt;
  });
  const k = s.number('n_neighbors');
  const keepEmpty = s.bool('keep_empty_features', false);
  const indicator = s.bool('add_indicator', false) ? build(s.instance('indicator_'), `${s.className}.indicator_`) : null;
  const kept = valid.flatMap((v, j) => (v || keepEmpty ? [j] : []));
  return {
    className: s.className,
    transform(x: Data) {
      const m = toMatrix(x);
      if (m.cols !== f) throw new MlflowError(`X has ${m.cols} features, but KNNImputer is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
      const xt = Float64Array.from(m.data);
      const sq = new Float64Array(n);
      const tol = new Float64Array(n);
      let i = 0;
      const q = new Float64Array(f);
      const qMiss = new Uint8Array(f);
      for (i = 0; i < m.rows; i++) {
        let any = false;
        for (let j = 0; j < f; j++) {
          const v = m.data[i * f + j];
          qMiss[j] = Number.isNaN(v) ? 1 : 0;
          q[j] = qMiss[j] ? 0 : v;
          if (qMiss[j] && valid[j]) any = true;
        }
        if (!any) continue;
        nanEuclidean(q, qMiss, zeroed, fitMiss, fitSq, sq, tol);
        for (let j = 0; j < f; j++) {
          if (!qMiss[j] || !valid[j]) continue;
          xt[i * f + j] = impute(j);
        }
      }
      function impute(j: number): number {
        // the donors: fit rows having column j; the k nearest by distance (NaN last, ties in row order)
        const donors: number[] = [];
        for (let r = 0; r < n; r++) if (!fitMiss[r * f + j]) donors.push(r);
        if (donors.every((r) => Number.isNaN(sq[r]))) return means[j];
        const key = (r: number): number => (Number.isNaN(sq[r]) ? Infinity : sq[r]);
        // (Infinity - Infinity is NaN: two NaN distances fall through to row order)
        donors.sort((a, b) => key(a) - key(b) || a - b);
        const kk = Math.min(k, donors.length);
        const near = donors.slice(0, kk);
        const value = (r: number): number => fit.data[r * f + j];
        // which donors sklearn takes at the k-th distance, or whether a distance is 0 there,
        // is decided by its BLAS rounding when they are within it: refused unless it changes nothing
        const last = near[kk - 1];
        if (kk < donors.length && !Number.isNaN(sq[last])) {
          const close = (r: number): boolean => !Number.isNaN(sq[r]) && Math.abs(sq[r] - sq[last]) <= tol[r] + tol[last];
          const around = donors.filter(close);
          if (around.some((r) => !near.includes(r)) && around.some((r) => value(r) !== value(last))) {
            ambiguous(i, j, 'fit rows at the k-th distance within rounding of each other');
          }
        }
        if (weights === 'distance' && near.some((r) => sq[r] <= tol[r])) ambiguous(i, j, 'a fit row within rounding of distance 0 (its weight 1 / distance)');
        const exact = weights === 'distance' && near.some((r) => sq[r] === 0);
        let num = 0;
        let den = 0;
        for (const r of near) {
          const d = Math.sqrt(sq[r]);
          const w = Number.isNaN(d) ? 0 : weights === 'uniform' ? 1 : exact ? (d === 0 ? 1 : 0) : 1 / d;
          num += value(r) * w;
          den += w;
        }
        return num / den;
      }
      for (const j of kept) if (!valid[j]) for (let r = 0; r < m.rows; r++) xt[r * f + j] = 0;
      // float32 rows: the imputed values (from float64 distances to the float64 _fit_X) are
      // stored into the float32 X, each rounded once, and X is returned float32
      if (m.f32) for (let r = 0; r < xt.length; r++) xt[r] = Math.fround(xt[r]);
      const out = selectColumns(withF32(matrix(m.rows, f, xt), m.f32 === true), kept);
      return indicator ? hstack([out, indicator.transform!(m)], m.rows) : out;
    },
  };
};

export const knnImputerBuilders: Record<string, Builder> = {
  'sklearn.impute.KNNImputer': knnImputer,
};

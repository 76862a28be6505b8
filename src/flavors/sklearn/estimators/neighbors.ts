import { MlflowError, NotSupportedNativelyError } from '../../../errors.js';
import { isF32, toMatrix, type Data, type Matrix } from '../data.js';
import { pairwiseSumF32, pairwiseSumF64 } from '../numpy-f32-sums.js';
import { argmaxRows, f64Tensor, Labels, logNormalizeRows, outlierDetector, outputLabels, outputsClassifier, type Builder, type Estimator } from '../estimator.js';
import type { State } from '../state.js';
import { heapPush, readBinaryTree, reducedDistance, sortHeap, treeQuery } from './neighbor-search.js';
import { unitRows } from './pairwise-kernels.js';

/** A fitted neighbors model: the training rows, how distances are measured, k (read from `kKey`). */
function readNeighbors(s: State, kKey = 'n_neighbors') {
  const fit = s.floats('_fit_X');
  if (fit.shape.length !== 2) s.fail('_fit_X should be 2-D');
  const [n, f] = fit.shape;
  if (fit.data.length !== n * f) s.fail('_fit_X has an inconsistent shape');
  const metric = s.stringOr('effective_metric_', s.stringOr('metric', 'minkowski'));
  let p = 2;
  if (metric === 'minkowski') {
    const params = s.raw('effective_metric_params_');
    const pp = params instanceof Map ? params.get('p') : undefined;
    p = typeof pp === 'number' ? pp : s.numberOr('p', 2);
  } else if (metric === 'manhattan' || metric === 'cityblock' || metric === 'l1') p = 1;
  else if (metric === 'chebyshev' || metric === 'infinity') p = Infinity;
  else if (metric === 'cosine') p = NaN;
  else if (metric !== 'euclidean' && metric !== 'l2') s.fail(`metric '${metric}' is not supported natively`);
  const k = s.number(kKey);
  const weights = s.raw('weights') ?? 'uniform';
  if (weights !== 'uniform' && weights !== 'distance') s.fail('only uniform and distance weights are supported natively');
  if (k < 1 || k > n) s.fail(`${kKey}=${k} but the model holds ${n} samples`);
  // cosine (p NaN): the training rows normalised once, as sklearn's cosine_distances does per call
  const X = Number.isNaN(p) ? unitRows(fit.data, n, f) : fit.data;
  // the KDTree/BallTree sklearn searches (its choice among equally distant rows), or brute force
  const method = s.stringOr('_fit_method', 'brute');
  const tree = (method === 'kd_tree' || method === 'ball_tree') && !Number.isNaN(p) ? readBinaryTree(s, n, f) : null;
  // brute-force euclidean: the training rows' |y|^2, and whether they are all small integers
  const rowNorms = new Float64Array(n);
  for (let r = 0; r < n; r++) for (let j = 0; j < f; j++) rowNorms[r] += X[r * f + j] * X[r * f + j];
  return { X, n, f, p, k, tree, distanceWeights: weights === 'distance', rowNorms, smallIntegers: p === 2 && !tree && smallIntegers(X) };
}

/** Cosine distance of a unit row to training row r: 1 - dot, clipped to [0, 2] (cosine_distances). */
function cosineDistance(q: Float64Array, X: Float64Array, r: number, f: number): number {
  let dot = 0;
  for (let j = 0; j < f; j++) dot += q[j] * X[r * f + j];
  return Math.min(2, Math.max(0, 1 - dot));
}

type Neighbors = ReturnType<typeof readNeighbors>;

/**
 * The k nearest training rows of each query row, with distances, in increasing distance: the
 * rows scikit-learn's tree or brute-force heap keeps (neighbor-search.ts); cosine distances (brute
 * force only) take equal distances in training order.
 */
function kneighbors(m: Neighbors, x: Matrix): { idx: Int32Array; dist: Float64Array } {
  if (x.cols !== m.f) {
    throw new MlflowError(`X has ${x.cols} features, but the neighbors model is expecting ${m.f} features as input.`, 'INVALID_PARAMETER_VALUE');
  }
  const { X, n, f, p, k } = m;
  const idx = new Int32Array(x.rows * k);
  const dist = new Float64Array(x.rows * k);
  if (Number.isNaN(p)) {
    cosineNeighbors(m, x, idx, dist);
    return { idx, dist };
  }
  dist.fill(Infinity);
  for (let i = 0; i < x.rows; i++) {
    const o = i * k;
    if (m.tree) treeQuery(m.tree, p, x.data, i * f, f, k, dist, idx, o);
    else if (p === 2 && !(m.smallIntegers && smallIntegers(x.data.subarray(i * f, i * f + f)))) {
      bruteEuclidean(m, x.data, i, dist, idx);
      continue;
    } else for (let r = 0; r < n; r++) heapPush(dist, idx, o, k, reducedDistance(p, x.data, i * f, X, r, f), r);
    sortHeap(p, dist, idx, o, k);
  }
  return { idx, dist };
}

/** Integers of at most 2^20: their squares and products, and sums of them, are exact in float64. */
function smallIntegers(values: Float64Array): boolean {
  return values.every((v) => Number.isInteger(v) && Math.abs(v) <= 2 ** 20);
}

/**
 * Brute-force euclidean neighbours of query row i. scikit-learn computes these distances as
 * |x|^2 - 2 x.y + |y|^2 through BLAS, which rounds differently from the direct sum (exact only
 * for small integers, kneighbors' heap path): a query whose k-th and next squared distances are
 * within that rounding of each other, whose |x|^2 overflows (values near 1e154 and beyond), or,
 * with distance weights, whose neighbour's distance that rounding moves by more than 1e-10, is
 * refused by name.
 */
function bruteEuclidean(m: Neighbors, q: Float64Array, i: number, dist: Float64Array, idx: Int32Array): void {
  const { X, n, f, k } = m;
  const keep = Math.min(k + 1, n);
  const d = new Float64Array(keep).fill(Infinity);
  const at = new Int32Array(keep);
  for (let r = 0; r < n; r++) heapPush(d, at, 0, keep, reducedDistance(2, q, i * f, X, r, f), r);
  const order = Array.from({ length: keep }, (_, j) => j).sort((a, b) => d[a] - d[b] || at[a] - at[b]);
  let xx = 0;
  for (let j = 0; j < f; j++) xx += q[i * f + j] * q[i * f + j];
  const refuse = (why: string): never => {
    throw new NotSupportedNativelyError(`brute-force euclidean neighbours: row ${i}: ${why}; scikit-learn computes the distances as |x|^2 - 2 x.y + |y|^2 through BLAS`);
  };
  if (!Number.isFinite(xx)) refuse('|x|^2 overflows');
  // the expansion's rounding, (f + 2) eps (|x|^2 + |y|^2), for the training row at `j` of the order
  const slack = (j: number): number => (f + 2) * Number.EPSILON * (xx + m.rowNorms[at[order[j]]]);
  if (keep > k && d[order[k]] - d[order[k - 1]] <= slack(k) + slack(k - 1)) {
    refuse(`its ${k}th and ${k + 1}th nearest training rows are within rounding of each other (squared ${d[order[k - 1]]}, ${d[order[k]]})`);
  }
  for (let j = 0; j < k; j++) {
    const d2 = d[order[j]];
    if (m.distanceWeights && !(slack(j) <= 1e-10 * d2)) refuse(`a neighbour's squared distance ${d2} is within 1e-10 of its rounding (distance weights)`);
    dist[i * k + j] = Math.sqrt(d2);
    idx[i * k + j] = at[order[j]];
  }
}

/**
 * kneighbors with the cosine metric: the k smallest cosine distances. scikit-learn takes them with
 * np.argpartition, whose choice among equal distances (numpy's selection algorithm) we do not
 * follow, and computes them through BLAS (a few ulps from ours): a query whose k-th and next
 * distances are that close is refused by name, as is one with distance weights and a distance
 * that close to 0 (1/distance is then all rounding).
 */
function cosineNeighbors(m: Neighbors, x: Matrix, idx: Int32Array, dist: Float64Array): void {
  const { X, n, f, k } = m;
  const xs = unitRows(x.data, x.rows, f);
  // the rounding of 1 - dot of unit rows, here or in BLAS, whatever the order
  const close = (f + 4) * Number.EPSILON;
  const keep = Math.min(k + 1, n);
  const d = new Float64Array(keep);
  const at = new Int32Array(keep);
  for (let i = 0; i < x.rows; i++) {
    const q = xs.subarray(i * f, i * f + f);
    let filled = 0;
    for (let r = 0; r < n; r++) {
      const v = cosineDistance(q, X, r, f);
      // into the sorted list of the k + 1 best; equal distances keep training order
      if (filled === keep && !(v < d[keep - 1])) continue;
      let pos = filled < keep ? filled++ : keep - 1;
      while (pos > 0 && d[pos - 1] > v) {
        d[pos] = d[pos - 1];
        at[pos] = at[pos - 1];
        pos--;
      }
      d[pos] = v;
      at[pos] = r;
    }
    if (keep > k && d[k] - d[k - 1] <= close) {
      throw new NotSupportedNativelyError(
        `cosine neighbours: row ${i}'s ${k}th and ${k + 1}th nearest training rows are equally distant (${d[k - 1]}, ${d[k]}): which one scikit-learn keeps is numpy's argpartition's choice`,
      );
    }
    if (m.distanceWeights && d[0] <= close) {
      throw new NotSupportedNativelyError(
        `cosine neighbours with distance weights: row ${i}'s nearest training row is at a cosine distance of ${d[0]}, within rounding of 0 (its weight 1/distance is rounding)`,
      );
    }
    dist.set(d.subarray(0, k), i * k);
    idx.set(at.subarray(0, k), i * k);
  }
}

/**
 * Per-neighbor weights: 1, or 1/distance; where any 1/distance is infinite (a zero distance, or
 * one so small its reciprocal overflows) those neighbours weigh 1 and the others 0, as sklearn's
 * _get_weights.
 */
function neighborWeights(m: Neighbors, rows: number, dist: Float64Array): Float64Array {
  const { k } = m;
  const w = new Float64Array(rows * k).fill(1);
  if (!m.distanceWeights) return w;
  for (let i = 0; i < rows; i++) {
    let exact = false;
    for (let j = 0; j < k; j++) if (1 / dist[i * k + j] === Infinity) exact = true;
    for (let j = 0; j < k; j++) {
      const inv = 1 / dist[i * k + j];
      w[i * k + j] = exact ? (inv === Infinity ? 1 : 0) : inv;
    }
  }
  return w;
}

/**
 * KNeighborsClassifier. With a 2-D y (outputs_2d_), classes_ holds one array per output and _y
 * one class index per output (shapes as outputsClassifier gives them).
 */
const classifier: Builder = (s) => {
  const m = readNeighbors(s);
  const multi = s.bool('outputs_2d_', false);
  const labels = outputLabels(s, multi);
  const outs = labels.length;
  const y = s.floats('_y');
  if (multi ? y.shape.length !== 2 || y.shape[1] !== outs : y.shape.length !== 1) s.fail(`_y should have ${multi ? `shape (n, ${outs})` : 'one dimension'}`);
  for (let i = 0; i < y.data.length; i++) {
    const c = y.data[i];
    if (!Number.isInteger(c) || c < 0 || c >= labels[i % outs].size) s.fail('_y should hold class indices');
  }
  if (y.data.length !== m.n * outs) s.fail('_y should hold one class index per training sample and output');
  /** Each output's (rows, classes) probabilities. */
  const proba = (x: Data): { rows: number; p: Float64Array[] } => {
    const mx = toMatrix(x);
    const { idx, dist } = kneighbors(m, mx);
    const w = neighborWeights(m, mx.rows, dist);
    const p = labels.map((l, o) => {
      const nc = l.size;
      const po = new Float64Array(mx.rows * nc);
      for (let i = 0; i < mx.rows; i++) {
        let sum = 0;
        for (let j = 0; j < m.k; j++) po[i * nc + y.data[idx[i * m.k + j] * outs + o]] += w[i * m.k + j];
        for (let c = 0; c < nc; c++) sum += po[i * nc + c];
        if (sum === 0) sum = 1;
        for (let c = 0; c < nc; c++) po[i * nc + c] /= sum;
      }
      return po;
    });
    return { rows: mx.rows, p };
  };
  return outputsClassifier(s.className, labels, proba, false);
};

const regressor: Builder = (s) => {
  const m = readNeighbors(s);
  const y = s.floats('_y');
  const outs = y.shape.length === 1 ? 1 : y.shape[1];
  if (y.data.length !== m.n * outs) s.fail('_y should hold one target per training sample');
  return {
    className: s.className,
    predict(x) {
      const mx = toMatrix(x);
      const { idx, dist } = kneighbors(m, mx);
      const w = neighborWeights(m, mx.rows, dist);
      const out = new Float64Array(mx.rows * outs);
      for (let i = 0; i < mx.rows; i++) {
        let wsum = 0;
        for (let j = 0; j < m.k; j++) wsum += w[i * m.k + j];
        for (let o = 0; o < outs; o++) {
          let s2 = 0;
          for (let j = 0; j < m.k; j++) s2 += w[i * m.k + j] * y.data[idx[i * m.k + j] * outs + o];
          out[i * outs + o] = s2 / wsum;
        }
      }
      return outs === 1 ? f64Tensor([mx.rows], out) : f64Tensor([mx.rows, outs], out);
    },
  };
};

/**
 * NearestCentroid: the class of the nearest centroid (euclidean or manhattan; first on ties).
 * From 1.5 scikit-learn also scores the discriminant of ESL eq. 18.2 (centroidScores): predict
 * is its argmax when the class priors are not uniform (either metric), and with the euclidean
 * metric it gives decision_function, predict_proba and predict_log_proba.
 */
const nearestCentroid: Builder = (s) => {
  const c = s.floats('centroids_');
  const [k, f] = c.shape;
  const labels = new Labels(s.array('classes_'));
  const metric = s.stringOr('metric', 'euclidean');
  if (metric !== 'euclidean' && metric !== 'manhattan') s.fail(`metric '${metric}' is not supported natively`);
  const uniform = !s.has('class_prior_') || Array.from(s.floats('class_prior_').data).every((p) => Math.abs(p - 1 / k) <= 1e-8 + 1e-5 / k);
  const discriminant = s.sklearnAtLeast(1, 5) && s.has('within_class_std_dev_') && s.has('class_prior_');
  if (!uniform && !discriminant) s.fail('NearestCentroid with non-uniform priors needs within_class_std_dev_ and class_prior_ (scikit-learn >= 1.5)');
  const centroidNorms = Float64Array.from({ length: k }, (_, r) => c.data.subarray(r * f, r * f + f).reduce((a, v) => a + v * v, 0));
  const input = (x: Data): Matrix => {
    const m = toMatrix(x);
    if (m.cols !== f) throw new MlflowError(`X has ${m.cols} features, but NearestCentroid is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
    return m;
  };
  const est: Estimator = {
    className: s.className,
    predict(x) {
      const m = input(x);
      if (!uniform) return labels.take(argmaxRows(m.rows, k, scores(m)));
      const idx = new Int32Array(m.rows);
      for (let i = 0; i < m.rows; i++) {
        let best = Infinity;
        let second = Infinity;
        for (let c0 = 0; c0 < k; c0++) {
          let d = 0;
          for (let j = 0; j < f; j++) {
            const diff = m.data[i * f + j] - c.data[c0 * f + j];
            d += metric === 'euclidean' ? diff * diff : Math.abs(diff);
          }
          if (d < best) {
            second = best;
            best = d;
            idx[i] = c0;
          } else if (d < second) second = d;
        }
        if (metric === 'euclidean') checkEuclideanArgmin(m.data, i, f, best, second, centroidNorms[idx[i]]);
      }
      return labels.take(idx);
    },
  };
  if (!discriminant) return est;
  const scores = centroidScores(c.data, k, f, s.floats('within_class_std_dev_').data, s.floats('class_prior_').data, metric === 'manhattan');
  // decision_function and the probabilities exist for the euclidean metric only (available_if)
  if (metric !== 'euclidean') return est;
  est.decisionFunction = (x) => {
    const m = input(x);
    const d = scores(m);
    return k === 2 ? f64Tensor([m.rows], Float64Array.from({ length: m.rows }, (_, i) => d[i * 2 + 1] - d[i * 2])) : f64Tensor([m.rows, k], d);
  };
  // log_likelihood = scores - max; minus log(sum(exp(log_likelihood))); proba = exp of that
  est.predictLogProba = (x) => {
    const m = input(x);
    const d = scores(m);
    logNormalizeRows(m.rows, k, d, true);
    return f64Tensor([m.rows, k], d);
  };
  est.predictProba = (x) => {
    const t = est.predictLogProba!(x);
    const d = t.data as Float64Array;
    for (let i = 0; i < d.length; i++) d[i] = Math.exp(d[i]);
    return t;
  };
  return est;
};

/**
 * scikit-learn's pairwise_distances_argmin takes euclidean distances as |x|^2 - 2 x.c + |c|^2
 * through BLAS: where |x|^2 overflows (inf - inf is NaN there) or the nearest and next centroid
 * are within that expansion's rounding, (f + 2) eps (|x|^2 + |c|^2), which one it picks is not
 * ours to tell: refused by name.
 */
function checkEuclideanArgmin(x: Float64Array, i: number, f: number, best: number, second: number, cc: number): void {
  let xx = 0;
  for (let j = 0; j < f; j++) xx += x[i * f + j] * x[i * f + j];
  const refuse = (why: string): never => {
    throw new NotSupportedNativelyError(`NearestCentroid: row ${i}: ${why}; scikit-learn computes the distances as |x|^2 - 2 x.c + |c|^2 through BLAS`);
  };
  if (!Number.isFinite(xx)) refuse('|x|^2 overflows');
  if (second - best <= 2 * (f + 2) * Number.EPSILON * (xx + cc + second)) {
    refuse(`its nearest two centroids are within rounding of each other (squared distances ${best}, ${second})`);
  }
}

/**
 * NearestCentroid's _decision_function: each feature with a nonzero within-class deviation
 * divided by it, in the rows and the centroids, then per class -d^2 + 2 log(prior) with d the
 * euclidean distance as scikit-learn's euclidean_distances computes it: sqrt(max(|x|^2 - 2 x.c
 * + |c|^2, 0)), squared again; or the manhattan distance (scipy's cdist cityblock: the sum of
 * |x - c| in feature order).
 */
function centroidScores(centroids: Float64Array, k: number, f: number, std: Float64Array, prior: Float64Array, manhattan: boolean): (m: Matrix) => Float64Array {
  const scale = (v: number, j: number): number => (std[j] !== 0 ? v / std[j] : v);
  const cn = centroids.map((v, i) => scale(v, i % f));
  const cc = Float64Array.from({ length: k }, (_, c0) => {
    let acc = 0;
    for (let j = 0; j < f; j++) acc += cn[c0 * f + j] * cn[c0 * f + j];
    return acc;
  });
  const logPrior = Float64Array.from(prior, (p) => 2 * Math.log(p));
  return (m) => {
    const out = new Float64Array(m.rows * k);
    const xn = new Float64Array(f);
    for (let i = 0; i < m.rows; i++) {
      let xx = 0;
      for (let j = 0; j < f; j++) {
        xn[j] = scale(m.data[i * f + j], j);
        xx += xn[j] * xn[j];
      }
      for (let c0 = 0; c0 < k; c0++) {
        let d = 0;
        if (manhattan) {
          for (let j = 0; j < f; j++) d += Math.abs(xn[j] - cn[c0 * f + j]);
        } else {
          let dot = 0;
          for (let j = 0; j < f; j++) dot += xn[j] * cn[c0 * f + j];
          d = Math.sqrt(Math.max(-2 * dot + xx + cc[c0], 0));
        }
        out[i * k + c0] = -(d * d) + logPrior[c0];
      }
    }
    return out;
  };
}

/**
 * LocalOutlierFactor with novelty=True, from the stored neighbours: score_samples = -mean over
 * the k = n_neighbors_ nearest training rows of lrd(neighbour) / lrd(x), where lrd(x) =
 * 1 / (mean of max(dist(x, o), k-distance of o) + 1e-10) and the training rows' k-distances
 * (_distances_fit_X_) and lrd (_lrd) are the fitted ones; decision_function = score_samples -
 * offset_; predict -1 where the decision is < 0. With novelty=False sklearn has none of these
 * methods for new data, and neither has the rebuilt model.
 * On float32 rows scikit-learn casts the distances to float32 first; a model fitted on float32
 * (float32 _distances_fit_X_ and _lrd) then computes all of it in float32 (numpy's pairwise
 * float32 means; offset_ taken as float32) and answers float32.
 */
const localOutlierFactor: Builder = (s) => {
  if (!s.bool('novelty', false)) return { className: s.className };
  const m = readNeighbors(s, 'n_neighbors_');
  const { n, k } = m;
  const kdist = s.floats('_distances_fit_X_');
  if (kdist.shape.length !== 2 || kdist.shape[0] !== n || kdist.shape[1] < k) s.fail('_distances_fit_X_ does not match _fit_X and n_neighbors_');
  const width = kdist.shape[1];
  const lrd = s.floats('_lrd').data;
  if (lrd.length !== n) s.fail('_lrd does not match _fit_X');
  const fit32 = s.isFloat32('_distances_fit_X_') && s.isFloat32('_lrd');
  const f32Of = (x: Data): boolean => fit32 && isF32(x);
  const score = (x: Data, minus: number): Float64Array => {
    const mx = toMatrix(x);
    const { idx, dist } = kneighbors(m, mx);
    const rowsF32 = mx.f32 === true;
    const r = f32Of(mx) ? Math.fround : (v: number) => v;
    const d = new Float64Array(mx.rows);
    const terms = new Float64Array(k);
    for (let i = 0; i < mx.rows; i++) {
      for (let j = 0; j < k; j++) {
        const dx = rowsF32 ? Math.fround(dist[i * k + j]) : dist[i * k + j];
        terms[j] = Math.max(dx, kdist.data[idx[i * k + j] * width + k - 1]);
      }
      const own = r(1 / r(meanOf(terms, k, r) + r(1e-10)));
      for (let j = 0; j < k; j++) terms[j] = r(lrd[idx[i * k + j]] / own);
      d[i] = r(-meanOf(terms, k, r) - r(minus));
    }
    return d;
  };
  return outlierDetector(s.className, score, s.number('offset_'), 'int64', true, f32Of);
};

/** np.mean of k values in numpy's pairwise order (float32 sums on float32 values, r = Math.fround). */
function meanOf(a: Float64Array, k: number, r: (v: number) => number): number {
  return r === Math.fround ? Math.fround(pairwiseSumF32(a, 0, k) / k) : pairwiseSumF64(a, 0, k) / k;
}

export const neighborsBuilders: Record<string, Builder> = {
  'sklearn.neighbors.LocalOutlierFactor': localOutlierFactor,
  'sklearn.neighbors.NearestCentroid': nearestCentroid,
  'sklearn.neighbors.KNeighborsClassifier': classifier,
  'sklearn.neighbors.KNeighborsRegressor': regressor,
};

/** The search structures pickled with a neighbors model; predictions search _fit_X directly. */
export const neighborsHelpers = [
  'sklearn.neighbors.KDTree', 'sklearn.neighbors.BallTree', 'sklearn.neighbors.KDTree64', 'sklearn.neighbors.BallTree64',
  'sklearn.neighbors.newObj',
  'sklearn.metrics.newObj', 'sklearn.metrics.EuclideanDistance', 'sklearn.metrics.MinkowskiDistance',
  'sklearn.metrics.ManhattanDistance', 'sklearn.metrics.ChebyshevDistance',
  'sklearn.metrics.EuclideanDistance64', 'sklearn.metrics.MinkowskiDistance64',
  'sklearn.metrics.ManhattanDistance64', 'sklearn.metrics.ChebyshevDistance64',
];

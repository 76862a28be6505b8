import { selectColumns, type Data } from '../data.js';
import { afterTransform, type Builder, type Estimator } from '../estimator.js';
import { floatData, isNdArray, State } from '../state.js';
import { treeFeatureImportances } from './feature-importances.js';

/**
 * The feature selectors of sklearn.feature_selection: each keeps the columns its support mask
 * marks, computed as sklearn's _get_support_mask does from the fitted scores, p-values,
 * variances or support_. Score functions (f_classif, chi2, ...) are pickled as function
 * references: read by name as inert data, never called.
 */

function selector(s: State, mask: boolean[]): Estimator {
  const keep = mask.flatMap((m, j) => (m ? [j] : []));
  return { className: s.className, transform: (x: Data) => selectColumns(x, keep) };
}

/** scores_ with NaN as the lowest float (sklearn's _clean_nans). */
function cleanScores(s: State, key: string): Float64Array {
  return Float64Array.from(s.floats(key).data, (v) => (Number.isNaN(v) ? -Number.MAX_VALUE : v));
}

/** The k best scores (stable sort, ties to the later feature as np.argsort(kind='mergesort')[-k:]). */
function kBestMask(scores: Float64Array, k: number | 'all'): boolean[] {
  const n = scores.length;
  if (k === 'all') return new Array<boolean>(n).fill(true);
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => scores[a] - scores[b] || a - b);
  const mask = new Array<boolean>(n).fill(false);
  for (const j of order.slice(n - k)) mask[j] = true;
  return mask;
}

/** np.percentile with linear interpolation. */
function percentile(values: Float64Array, q: number): number {
  const v = Float64Array.from(values).sort();
  const pos = ((v.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return lo === hi ? v[lo] : v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

function percentileMask(scores: Float64Array, pct: number): boolean[] {
  const n = scores.length;
  if (pct === 100) return new Array<boolean>(n).fill(true);
  if (pct === 0) return new Array<boolean>(n).fill(false);
  const threshold = percentile(scores, 100 - pct);
  const mask = Array.from(scores, (v) => v > threshold);
  const ties = [...scores.keys()].filter((j) => scores[j] === threshold);
  const room = Math.trunc((n * pct) / 100) - mask.filter(Boolean).length;
  for (const j of ties.slice(0, Math.max(0, room))) mask[j] = true;
  return mask;
}

function kParam(s: State, key: string): number | 'all' {
  const k = s.raw(key);
  if (k === 'all') return 'all';
  const n = s.number(key);
  if (!Number.isInteger(n) || n < 0) return s.fail(`${key} should be 'all' or a non-negative integer`);
  return n;
}

const selectKBest: Builder = (s) => {
  const scores = cleanScores(s, 'scores_');
  const k = kParam(s, 'k');
  if (k !== 'all' && k > scores.length) s.fail(`k=${k} is more than the ${scores.length} features`);
  return selector(s, kBestMask(scores, k));
};

const selectPercentile: Builder = (s) => selector(s, percentileMask(cleanScores(s, 'scores_'), s.number('percentile')));

const genericUnivariateSelect: Builder = (s) => {
  const mode = s.string('mode');
  const param = s.raw('param');
  if (mode === 'percentile') return selector(s, percentileMask(cleanScores(s, 'scores_'), s.number('param')));
  if (mode === 'k_best') return selector(s, kBestMask(cleanScores(s, 'scores_'), param === 'all' ? 'all' : s.number('param')));
  const p = s.floats('pvalues_').data;
  const alpha = s.number('param');
  const n = p.length;
  if (mode === 'fpr') return selector(s, Array.from(p, (v) => v < alpha));
  if (mode === 'fwe') return selector(s, Array.from(p, (v) => v < alpha / n));
  if (mode === 'fdr') {
    // Benjamini-Hochberg: the largest sorted p-value under alpha * rank / n, and all below it
    const sorted = Float64Array.from(p).sort();
    let max = -Infinity;
    sorted.forEach((v, i) => {
      if (v <= (alpha / n) * (i + 1)) max = Math.max(max, v);
    });
    return selector(s, Array.from(p, (v) => v <= max));
  }
  return s.fail(`GenericUnivariateSelect mode '${mode}' is not supported natively`);
};

const varianceThreshold: Builder = (s) => {
  const threshold = s.number('threshold');
  return selector(s, Array.from(s.floats('variances_').data, (v) => v > threshold));
};

/** The boolean support_ mask of a selector that stores it. */
function supportMask(s: State): boolean[] {
  const support = s.array('support_');
  if (!support.dtype.endsWith('b1')) s.fail('support_ should be a boolean array');
  return Array.from(floatData(support, 'support_'), (b) => b === 1);
}

/** RFE and RFECV keep support_ and predict with estimator_ on the kept columns. */
const rfe: Builder = (s, build) => {
  const pick = selector(s, supportMask(s)).transform!;
  return { ...afterTransform(s.className, pick, build(s.raw('estimator_'), `${s.className}.estimator_`)), transform: pick };
};

/**
 * SequentialFeatureSelector: a transformer keeping support_ (its estimator is the unfitted one it
 * was given: sklearn's transform never uses it).
 */
const sequentialFeatureSelector: Builder = (s) => selector(s, supportMask(s));

/**
 * SelectFromModel: the importance of each feature from the fitted estimator's coef_ (|coef_|, or
 * when 2-D its norm_order norm over classes) or, without coef_, the absolute
 * feature_importances_ of a tree, forest or gradient boosting model; kept when >= the threshold
 * and among the max_features_ largest (np.argsort(-scores, kind='mergesort'): ties to the
 * earlier feature).
 */
const selectFromModel: Builder = (s) => {
  const inner = s.instance('estimator_');
  const getter = s.raw('importance_getter') ?? 'auto';
  if (getter !== 'auto' && getter !== 'coef_' && getter !== 'feature_importances_') s.fail(`importance_getter '${String(getter)}' is not supported natively`);
  const coef = inner.state.coef_;
  let scores: Float64Array;
  if (isNdArray(coef) && getter !== 'feature_importances_') {
    const c = floatData(coef, 'coef_');
    scores = coef.shape.length === 1 ? c.map(Math.abs) : columnNorms(c, coef.shape[0], coef.shape[1], s.numberOr('norm_order', 1), s);
  } else {
    const imp = getter === 'coef_' ? null : treeFeatureImportances(new State(inner));
    if (!imp) return s.fail(`the importances of ${inner.name} (${getter === 'coef_' ? 'coef_' : 'feature_importances_'}) are not computed natively`);
    scores = imp.map(Math.abs);
  }
  const n = scores.length;
  const threshold = thresholdOf(s, inner.name, scores);
  const mask = Array.from(scores, (v) => v >= threshold);
  const maxFeatures = s.raw('max_features_') ?? s.raw('max_features');
  if (typeof maxFeatures === 'number') {
    const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => scores[b] - scores[a] || a - b);
    const top = new Set(order.slice(0, Math.min(maxFeatures, n)));
    for (let j = 0; j < n; j++) mask[j] = mask[j] && top.has(j);
  } else if (maxFeatures !== null && maxFeatures !== undefined) s.fail('max_features should be a number');
  return selector(s, mask);
};

/**
 * np.linalg.norm(coef, axis=0, ord) of a 2-D coef_ (one row per class), summing the rows in
 * order as numpy's reduction over axis 0 does: ord 1, 2 and +-inf (max/min of |coef|).
 */
function columnNorms(c: Float64Array, rows: number, n: number, ord: number, s: State): Float64Array {
  if (ord !== 1 && ord !== 2 && ord !== Infinity && ord !== -Infinity) s.fail(`norm_order ${ord} is not supported natively (1, 2, inf and -inf are)`);
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let acc = ord === -Infinity ? Infinity : 0;
    for (let r = 0; r < rows; r++) {
      const a = Math.abs(c[r * n + j]);
      if (ord === 1) acc += a;
      else if (ord === 2) acc += a * a;
      else acc = ord === Infinity ? Math.max(acc, a) : Math.min(acc, a);
    }
    out[j] = ord === 2 ? Math.sqrt(acc) : acc;
  }
  return out;
}

/** sklearn's _calculate_threshold: a number, 'mean', 'median' or 'scale*mean'; default 1e-5 for L1 models. */
function thresholdOf(s: State, innerName: string, scores: Float64Array): number {
  let t = s.raw('threshold');
  if (t === null || t === undefined) {
    const penalty = s.instance('estimator_').state.penalty;
    const l1 = penalty === 'l1' || innerName.includes('Lasso');
    t = l1 ? 1e-5 : 'mean';
  }
  if (typeof t === 'number') return t;
  if (typeof t !== 'string') return s.fail('threshold should be a number or a string');
  const m = /^\s*(?:([0-9.eE+-]+)\s*\*\s*)?(mean|median)\s*$/.exec(t);
  if (!m) return s.fail(`threshold '${t}' is not supported natively`);
  const scale = m[1] === undefined ? 1 : Number(m[1]);
  const base = m[2] === 'mean' ? scores.reduce((a, b) => a + b, 0) / scores.length : percentile(scores, 50);
  return scale * base;
}

export const featureSelectionBuilders: Record<string, Builder> = {
  'sklearn.feature_selection.SelectKBest': selectKBest,
  'sklearn.feature_selection.SelectPercentile': selectPercentile,
  'sklearn.feature_selection.GenericUnivariateSelect': genericUnivariateSelect,
  'sklearn.feature_selection.VarianceThreshold': varianceThreshold,
  'sklearn.feature_selection.SelectFromModel': selectFromModel,
  'sklearn.feature_selection.RFE': rfe,
  'sklearn.feature_selection.RFECV': rfe,
  'sklearn.feature_selection.SequentialFeatureSelector': sequentialFeatureSelector,
};

/** Score functions pickled by reference in a fitted selector: names only, never called. */
export const featureSelectionHelpers = [
  'f_classif', 'f_regression', 'chi2', 'mutual_info_classif', 'mutual_info_regression', 'r_regression', 'f_oneway',
].map((f) => `sklearn.feature_selection.${f}`);

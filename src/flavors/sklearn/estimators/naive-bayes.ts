import { MlflowError, NotSupportedNativelyError } from '../../../errors.js';
import { toMatrix, type Csr, type Data, type Matrix } from '../data.js';
import { argmaxRows, floatTensor, Labels, logNormalizeRows, logNormalizeRowsF32, type Builder, type Estimator } from '../estimator.js';
import { pairwiseSumF32 } from '../numpy-f32-sums.js';
import { floatData, isNdArray, type State } from '../state.js';

/**
 * Builds a classifier from its joint log-likelihood: predict, predict_proba, predict_log_proba.
 * `f32Jll`, for a model whose fitted arrays are float32: the joint log-likelihood of float32 rows
 * as numpy computes it in float32; the probabilities then follow in float32 too.
 */
function fromJll(s: State, jll: (x: Matrix) => Float64Array, sparseJll?: (x: Csr) => Float64Array, f32Jll?: (x: Matrix) => Float64Array): Estimator {
  const labels = new Labels(s.array('classes_'));
  const k = labels.size;
  // a CSR input (text counts) goes to sparseJll when there is one, else is made dense
  const input = (x: Data): Matrix | Csr => (x.kind === 'csr' && sparseJll ? x : toMatrix(x));
  const inF32 = (m: Matrix | Csr): boolean => f32Jll !== undefined && m.kind === 'matrix' && m.f32 === true;
  const run = (m: Matrix | Csr): Float64Array => (m.kind === 'csr' ? sparseJll!(m) : inF32(m) ? f32Jll!(m) : jll(m));
  const logProba = (x: Data): { rows: number; lp: Float64Array; f32: boolean } => {
    const m = input(x);
    const lp = run(m);
    const f32 = inF32(m);
    if (f32) logNormalizeRowsF32(m.rows, k, lp);
    else logNormalizeRows(m.rows, k, lp, false);
    return { rows: m.rows, lp, f32 };
  };
  return {
    className: s.className,
    predict(x) {
      const m = input(x);
      return labels.take(argmaxRows(m.rows, k, run(m)));
    },
    predictLogProba(x) {
      const { rows, lp, f32 } = logProba(x);
      return floatTensor([rows, k], lp, f32);
    },
    predictProba(x) {
      const { rows, lp, f32 } = logProba(x);
      for (let i = 0; i < lp.length; i++) lp[i] = f32 ? Math.fround(Math.exp(lp[i])) : Math.exp(lp[i]);
      return floatTensor([rows, k], lp, f32);
    },
  };
}

function checkFeatures(x: Matrix | Csr, f: number, who: string): void {
  if (x.cols !== f) {
    throw new MlflowError(`X has ${x.cols} features, but ${who} is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
  }
}

const gaussian: Builder = (s) => {
  const theta = s.floats('theta_');
  const variance = s.has('var_') ? s.floats('var_').data : s.floats('sigma_').data;
  const prior = s.floats('class_prior_').data;
  const [k, f] = theta.shape;
  // per class: log prior - 0.5 * sum(log(2 pi var))
  const base = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let n = 0;
    for (let j = 0; j < f; j++) n += Math.log(2 * Math.PI * variance[c * f + j]);
    base[c] = Math.log(prior[c]) - 0.5 * n;
  }
  const jll = (x: Matrix): Float64Array => {
    checkFeatures(x, f, 'GaussianNB');
    const out = new Float64Array(x.rows * k);
    for (let i = 0; i < x.rows; i++) {
      for (let c = 0; c < k; c++) {
        let q = 0;
        for (let j = 0; j < f; j++) {
          const d = x.data[i * f + j] - theta.data[c * f + j];
          q += (d * d) / variance[c * f + j];
        }
        out[i * k + c] = base[c] - 0.5 * q;
      }
    }
    return out;
  };
  // fitted on float32 rows, theta_ and var_ are float32 from scikit-learn 1.9 (earlier float64)
  const fittedF32 = s.isFloat32('theta_') && (s.isFloat32('var_') || s.isFloat32('sigma_')) && s.isFloat32('class_prior_');
  return fromJll(s, jll, undefined, fittedF32 ? gaussianJllF32(theta.data, variance, prior, k, f) : undefined);
};

/**
 * GaussianNB's joint log-likelihood of float32 rows with float32 fitted arrays, as numpy computes
 * it in float32: per class log(prior) + (-0.5 * sum(log(2 pi var)) - 0.5 * sum((x - theta)^2 / var)),
 * each operation rounded, the sums numpy's pairwise sums; log rounded from float64 (numpy's own
 * float32 log is a SIMD approximation, up to ~3 ulps away).
 */
function gaussianJllF32(theta: Float64Array, variance: Float64Array, prior: Float64Array, k: number, f: number): (x: Matrix) => Float64Array {
  const r = Math.fround;
  const twoPi = r(2 * Math.PI);
  const logPrior = prior.map((p) => r(Math.log(p)));
  const half = Float64Array.from({ length: k }, (_, c) => {
    const logs = Float64Array.from({ length: f }, (_, j) => r(Math.log(r(twoPi * variance[c * f + j]))));
    return r(-0.5 * pairwiseSumF32(logs, 0, f));
  });
  return (x) => {
    checkFeatures(x, f, 'GaussianNB');
    const out = new Float64Array(x.rows * k);
    const terms = new Float64Array(f);
    for (let i = 0; i < x.rows; i++) {
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < f; j++) {
          const d = r(x.data[i * f + j] - theta[c * f + j]);
          terms[j] = r(r(d * d) / variance[c * f + j]);
        }
        out[i * k + c] = r(logPrior[c] + r(half[c] - r(0.5 * pairwiseSumF32(terms, 0, f))));
      }
    }
    return out;
  };
}

/**
 * X @ feature_log_prob_.T whose terms, of both signs, overflow when added: whether scikit-learn's
 * sum is finite, infinite or NaN depends on BLAS's order and fused multiply-adds (values near
 * 1e308, e.g. a SplineTransformer's linear extrapolation before ComplementNB).
 */
function refuseOverflow(className: string, row: number): never {
  throw new NotSupportedNativelyError(`${className}: row ${row}'s X @ feature_log_prob_.T adds terms of both signs whose sizes overflow; the order BLAS adds them in decides scikit-learn's answer`);
}

/** MultinomialNB and BernoulliNB: X @ feature_log_prob_.T + class_log_prior_ (+ absent-feature terms). */
function linearJll(s: State, bernoulli: boolean, binarize: number | null): Estimator {
  const flp = s.floats('feature_log_prob_');
  const [k, f] = flp.shape;
  // ComplementNB adds the class prior only when there is a single class
  const complement = s.inst.name === 'ComplementNB';
  const prior = complement && k > 1 ? new Float64Array(k) : s.floats('class_log_prior_').data;
  // BernoulliNB adds log(1 - p) for absent features: precompute neg_prob and its row sums
  const neg = !bernoulli ? null : flp.data.map((v) => Math.log(1 - Math.exp(v)));
  const negSum = new Float64Array(k);
  if (neg) for (let c = 0; c < k; c++) for (let j = 0; j < f; j++) negSum[c] += neg[c * f + j];
  return fromJll(s, (x) => {
    checkFeatures(x, f, s.inst.name);
    const out = new Float64Array(x.rows * k);
    for (let i = 0; i < x.rows; i++) {
      for (let c = 0; c < k; c++) {
        let acc = 0;
        let size = 0;
        let signs = 0;
        for (let j = 0; j < f; j++) {
          let v = x.data[i * f + j];
          if (binarize !== null) v = v > binarize ? 1 : 0;
          const term = neg ? v * (flp.data[c * f + j] - neg[c * f + j]) : v * flp.data[c * f + j];
          acc += term;
          size += Math.abs(term);
          signs |= term > 0 ? 1 : term < 0 ? 2 : 0;
        }
        if (size === Infinity && signs === 3) refuseOverflow(s.inst.name, i);
        out[i * k + c] = acc + prior[c] + negSum[c];
      }
    }
    return out;
  }, bernoulli ? undefined : (x) => {
    // MultinomialNB and ComplementNB on CSR rows: only the stored values add to X @ feature_log_prob_.T
    checkFeatures(x, f, s.inst.name);
    const out = new Float64Array(x.rows * k);
    for (let i = 0; i < x.rows; i++) {
      for (let c = 0; c < k; c++) {
        let acc = 0;
        let size = 0;
        let signs = 0;
        for (let p = x.indptr[i]; p < x.indptr[i + 1]; p++) {
          const term = x.values[p] * flp.data[c * f + x.indices[p]];
          acc += term;
          size += Math.abs(term);
          signs |= term > 0 ? 1 : term < 0 ? 2 : 0;
        }
        if (size === Infinity && signs === 3) refuseOverflow(s.inst.name, i);
        out[i * k + c] = acc + prior[c];
      }
    }
    return out;
  });
}

/**
 * CategoricalNB: class_log_prior_ plus, per feature, the log-probability of the row's category
 * index. sklearn casts X to int64 first (check_array dtype="int": 2.9 is category 2, -0.5 is 0; a
 * value beyond int64 becomes its minimum), refuses negative values, then indexes each feature's
 * table, where an index past the fitted categories is numpy's IndexError.
 */
const categorical: Builder = (s) => {
  const prior = s.floats('class_log_prior_').data;
  const k = prior.length;
  const tables = s.list('feature_log_prob_').map((t, j) => {
    if (!isNdArray(t) || t.shape.length !== 2 || t.shape[0] !== k) return s.fail(`feature_log_prob_[${j}] should be a (classes, categories) array`);
    return { n: t.shape[1], data: floatData(t, `feature_log_prob_[${j}]`) };
  });
  return fromJll(s, (x) => {
    checkFeatures(x, tables.length, 'CategoricalNB');
    const f = tables.length;
    const codes = x.data.map((v) => (Math.abs(v) < 2 ** 63 ? Math.trunc(v) : -(2 ** 63)));
    // the message gained its final period between 1.2.1 and 1.6.1 (1.3-1.5 not checked)
    if (codes.some((v) => v < 0)) throw new MlflowError(`Negative values in data passed to CategoricalNB (input X)${s.sklearnAtLeast(1, 6) ? '.' : ''}`, 'INVALID_PARAMETER_VALUE');
    // feature by feature, as sklearn's loop (the first feature with an unknown index raises),
    // the class prior added last
    const out = new Float64Array(x.rows * k);
    for (let j = 0; j < f; j++) {
      const t = tables[j];
      for (let i = 0; i < x.rows; i++) {
        const v = codes[i * f + j];
        if (v >= t.n) throw new MlflowError(`index ${v} is out of bounds for axis 1 with size ${t.n}`, 'INVALID_PARAMETER_VALUE');
        for (let c = 0; c < k; c++) out[i * k + c] += t.data[c * t.n + v];
      }
    }
    for (let i = 0; i < out.length; i++) out[i] += prior[i % k];
    return out;
  });
};

export const naiveBayesBuilders: Record<string, Builder> = {
  'sklearn.naive_bayes.ComplementNB': (s) => linearJll(s, false, null),
  'sklearn.naive_bayes.CategoricalNB': categorical,
  'sklearn.naive_bayes.GaussianNB': gaussian,
  'sklearn.naive_bayes.MultinomialNB': (s) => linearJll(s, false, null),
  'sklearn.naive_bayes.BernoulliNB': (s) => {
    const b = s.raw('binarize');
    if (b !== null && typeof b !== 'number') return s.fail('binarize should be a number or None');
    return linearJll(s, true, b);
  },
};

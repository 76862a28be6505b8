import { MlflowError, NotSupportedNativelyError } from '../../../errors.js';
import { makeTensor } from '../../../frame/tensor.js';
import { toMatrix, type Data } from '../data.js';
import { argmaxRows, floatTensor, type Builder, type Estimator } from '../estimator.js';
import { digamma } from '../special.js';
import { floatData, isNdArray, type State } from '../state.js';

/**
 * GaussianMixture and BayesianGaussianMixture (covariance 'full', 'tied', 'diag', 'spherical'):
 * the weighted log probability of each component, log N(x | means_[k], precisions_cholesky_[k])
 * (+ the variational terms of a Bayesian mixture) + its log weight, computed with sklearn's
 * formulas (_estimate_log_gaussian_prob: y = X @ L - mu @ L for full and tied, the expanded
 * squares for diag and spherical) so that rounding follows the same path; predict is its argmax,
 * predict_proba its softmax, score_samples its logsumexp.
 */
function mixture(s: State, logWeights: Float64Array, bayes: { shift: Float64Array; adjust: Float64Array } | null): Estimator {
  const type = s.string('covariance_type');
  if (!['full', 'tied', 'diag', 'spherical'].includes(type)) s.fail(`covariance_type '${type}' is not supported natively`);
  const means = s.floats('means_');
  if (means.shape.length !== 2) s.fail('means_ should be 2-D');
  const [k, f] = means.shape;
  const mu = means.data;
  const chol = s.floats('precisions_cholesky_').data;
  const want = { full: k * f * f, tied: f * f, diag: k * f, spherical: k }[type as 'full'];
  if (chol.length !== want) s.fail(`precisions_cholesky_ should hold ${want} values for covariance_type '${type}'`);
  if (logWeights.length !== k) s.fail('the weights do not match means_');

  // log det of each component's precision Cholesky factor (_compute_log_det_cholesky)
  const logDet = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let v = 0;
    if (type === 'full') for (let j = 0; j < f; j++) v += Math.log(chol[c * f * f + j * f + j]);
    else if (type === 'tied') for (let j = 0; j < f; j++) v += Math.log(chol[j * f + j]);
    else if (type === 'diag') for (let j = 0; j < f; j++) v += Math.log(chol[c * f + j]);
    else v = f * Math.log(chol[c]);
    logDet[c] = v;
  }
  // mu @ L for full and tied, (k, f)
  const muL = new Float64Array(k * f);
  if (type === 'full' || type === 'tied') {
    for (let c = 0; c < k; c++) {
      const base = type === 'full' ? c * f * f : 0;
      for (let j = 0; j < f; j++) {
        let acc = 0;
        for (let i = 0; i < f; i++) acc += mu[c * f + i] * chol[base + i * f + j];
        muL[c * f + j] = acc;
      }
    }
  }
  const prec = type === 'diag' || type === 'spherical' ? chol.map((v) => v * v) : null;
  // spherical: which product order this version takes (read in 1.2.1/1.6.1 and 1.9.1; 1.7-1.8 unread)
  const sphericalProductFirst = !s.sklearnAtLeast(1, 7);
  const sphericalKnown = sphericalProductFirst || s.sklearnAtLeast(1, 9);
  const constant = f * Math.log(2 * Math.PI);
  // fitted on float32 rows, scikit-learn 1.9 keeps means_ and the precisions float32, and computes
  // float32 rows' log probabilities in float32 (several sgemm products, logsumexp): computed here
  // in float64 and rounded once, so within float32's precision of scikit-learn's, not bit for bit.
  // A BayesianGaussianMixture adds its float64 variational terms to that float32 log density and
  // answers float64: its density is rounded to float32 here before they are added
  const gaussF32 = s.isFloat32('means_') && s.isFloat32('precisions_cholesky_');
  const fittedF32 = bayes === null && gaussF32;

  /** (rows, k) weighted log probabilities. */
  const weighted = (x: Data): { rows: number; w: Float64Array; f32: boolean } => {
    const m = toMatrix(x);
    if (m.cols !== f) throw new MlflowError(`X has ${m.cols} features, but GaussianMixture is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
    const { rows, data } = m;
    const rowF32 = gaussF32 && m.f32 === true;
    const w = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      const xo = r * f;
      let sq = 0;
      if (type === 'spherical') for (let j = 0; j < f; j++) sq += data[xo + j] * data[xo + j];
      for (let c = 0; c < k; c++) {
        let lp = 0;
        if (type === 'full' || type === 'tied') {
          const base = type === 'full' ? c * f * f : 0;
          for (let j = 0; j < f; j++) {
            let xl = 0;
            for (let i = 0; i < f; i++) xl += data[xo + i] * chol[base + i * f + j];
            const y = xl - muL[c * f + j];
            lp += y * y;
          }
        } else if (type === 'diag') {
          let a = 0;
          let b = 0;
          let d = 0;
          for (let j = 0; j < f; j++) {
            const p = prec![c * f + j];
            a += mu[c * f + j] ** 2 * p;
            b += data[xo + j] * (mu[c * f + j] * p);
            d += data[xo + j] ** 2 * p;
          }
          lp = a - 2 * b + d;
        } else {
          // before 1.7 X @ (means.T * precisions); 1.9 takes (X @ means.T) * precisions: they
          // differ by rounding, or where one overflows at huge values and the other does not
          let a = 0;
          let xmu = 0;
          let xmuP = 0;
          for (let j = 0; j < f; j++) {
            a += mu[c * f + j] ** 2;
            xmu += data[xo + j] * mu[c * f + j];
            xmuP += data[xo + j] * (mu[c * f + j] * prec![c]);
          }
          const b = sphericalProductFirst ? xmuP : xmu * prec![c];
          if (!sphericalKnown && Number.isFinite(xmuP) !== Number.isFinite(xmu * prec![c])) {
            throw new NotSupportedNativelyError(`GaussianMixture: row ${r}: x . means * precisions overflows in one order of its product and not in the other, and which one scikit-learn 1.7-1.8 takes is not known natively`);
          }
          lp = a * prec![c] - 2 * b + sq * prec![c];
        }
        const gauss = rowF32 ? Math.fround(-0.5 * (constant + lp) + logDet[c]) : -0.5 * (constant + lp) + logDet[c];
        w[r * k + c] = (bayes ? gauss - bayes.shift[c] + bayes.adjust[c] : gauss) + logWeights[c];
      }
    }
    return { rows, w, f32: fittedF32 && m.f32 === true };
  };
  /**
   * Each row's logsumexp (scipy's: max + log(sum(exp(v - max))), a non-finite max taken as 0, so
   * that a row of -inf gives -inf, not NaN, as for rows of huge values).
   */
  const logSumExp = (rows: number, w: Float64Array): Float64Array => {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, w[r * k + c]);
      if (!Number.isFinite(max)) max = 0;
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(w[r * k + c] - max);
      out[r] = Math.log(sum) + max;
    }
    return out;
  };
  return {
    className: s.className,
    predict(x) {
      const { rows, w } = weighted(x);
      return makeTensor({ dtype: 'int64', shape: [rows], data: Float64Array.from(argmaxRows(rows, k, w)) });
    },
    predictProba(x) {
      const { rows, w, f32 } = weighted(x);
      const lse = logSumExp(rows, w);
      for (let r = 0; r < rows; r++) for (let c = 0; c < k; c++) w[r * k + c] = Math.exp(w[r * k + c] - lse[r]);
      return floatTensor([rows, k], w, f32);
    },
    scoreSamples(x) {
      const { rows, w, f32 } = weighted(x);
      return floatTensor([rows], logSumExp(rows, w), f32);
    },
  };
};

const gaussianMixture: Builder = (s) => mixture(s, Float64Array.from(s.floats('weights_').data, Math.log), null);

/**
 * BayesianGaussianMixture: log weights from weight_concentration_ (digamma expectations of the
 * Dirichlet process's stick-breaking Beta pairs, or of the Dirichlet distribution), and each
 * component's log density shifted by 0.5 f log(degrees_of_freedom_) and adjusted by
 * 0.5 (f log 2 + sum_j digamma((dof - j) / 2) - f / mean_precision_).
 */
const bayesianGaussianMixture: Builder = (s) => {
  const f = s.number('n_features_in_');
  const meanPrec = s.floats('mean_precision_').data;
  const k = meanPrec.length;
  // covariance_type 'tied' has one degrees_of_freedom_ for every component
  const dofIn = s.floats('degrees_of_freedom_').data;
  const dof = dofIn.length === 1 ? new Float64Array(k).fill(dofIn[0]) : dofIn;
  if (dof.length !== k) s.fail('mean_precision_ does not match degrees_of_freedom_');
  const shift = dof.map((v) => 0.5 * f * Math.log(v));
  const adjust = dof.map((v, c) => {
    let sum = 0;
    for (let j = 0; j < f; j++) sum += digamma(0.5 * (v - j));
    return 0.5 * (f * Math.log(2) + sum - f / meanPrec[c]);
  });
  const prior = s.string('weight_concentration_prior_type');
  let logWeights: Float64Array;
  if (prior === 'dirichlet_process') {
    const wc = s.list('weight_concentration_');
    if (wc.length !== 2 || !isNdArray(wc[0]) || !isNdArray(wc[1])) return s.fail('weight_concentration_ should be a pair of arrays');
    const a = floatData(wc[0], 'weight_concentration_[0]');
    const b = floatData(wc[1], 'weight_concentration_[1]');
    logWeights = new Float64Array(a.length);
    let cum = 0;
    for (let c = 0; c < a.length; c++) {
      const dsum = digamma(a[c] + b[c]);
      logWeights[c] = digamma(a[c]) - dsum + cum;
      cum += digamma(b[c]) - dsum;
    }
  } else if (prior === 'dirichlet_distribution') {
    const wc = s.floats('weight_concentration_').data;
    const dsum = digamma(wc.reduce((x, y) => x + y, 0));
    logWeights = wc.map((v) => digamma(v) - dsum);
  } else return s.fail(`weight_concentration_prior_type '${prior}' is not supported natively`);
  return mixture(s, logWeights, { shift, adjust });
};

export const mixtureBuilders: Record<string, Builder> = {
  'sklearn.mixture.GaussianMixture': gaussianMixture,
  'sklearn.mixture.BayesianGaussianMixture': bayesianGaussianMixture,
};

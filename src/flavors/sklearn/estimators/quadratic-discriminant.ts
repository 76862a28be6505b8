import { toMatrix, type Data } from '../data.js';
import { argmaxRows, f64Tensor, Labels, logNormalizeRows, softmaxRows, type Builder } from '../estimator.js';
import { isNdArray, floatData, type State } from '../state.js';

/** One class's fitted Gaussian: its mean, rotation (f x r) scaled by scalings^-0.5, and sum(log scalings). */
interface ClassGaussian {
  mean: Float64Array;
  w: Float64Array;
  r: number;
  logDet: number;
}

function classGaussians(s: State, k: number, f: number): ClassGaussian[] {
  const means = s.floats('means_');
  const rotations = s.list('rotations_');
  const scalings = s.list('scalings_');
  if (means.data.length !== k * f || rotations.length !== k || scalings.length !== k) s.fail('means_, rotations_ and scalings_ should hold one entry per class');
  return rotations.map((rot, c) => {
    const sc = scalings[c];
    if (!isNdArray(rot) || !isNdArray(sc)) return s.fail(`rotations_[${c}] and scalings_[${c}] should be numpy arrays`);
    const r = sc.shape[0];
    if (rot.shape.length !== 2 || rot.shape[0] !== f || rot.shape[1] !== r) s.fail(`rotations_[${c}] should be ${f} x ${r}`);
    const R = floatData(rot, `rotations_[${c}]`);
    const S = floatData(sc, `scalings_[${c}]`);
    // R * (S ** -0.5), as sklearn scales the rotation's columns before the product
    const inv = S.map((v) => v ** -0.5);
    const w = R.map((v, i) => v * inv[i % r]);
    let logDet = 0;
    for (let j = 0; j < r; j++) logDet += Math.log(S[j]);
    return { mean: means.data.subarray(c * f, (c + 1) * f), w, r, logDet };
  });
}

/**
 * QuadraticDiscriminantAnalysis from its fitted per-class Gaussians (means_, rotations_,
 * scalings_, priors_). _decision_function is the log posterior up to a constant:
 * -0.5 * (|(x - mean) R S^-0.5|^2 + sum(log S)) + log(prior); decision_function is its
 * difference of the two classes when binary; predict its argmax. Probabilities: before 1.5
 * exp(d - max) / sum and their log; from 1.5 (DiscriminantAnalysisPredictionMixin) the log first,
 * d - max - log(sum(exp(d - max))), and its exp.
 */
const quadraticDiscriminantAnalysis: Builder = (s) => {
  const labels = new Labels(s.array('classes_'));
  const k = labels.size;
  const f = s.number('n_features_in_');
  const parts = classGaussians(s, k, f);
  const logPrior = Float64Array.from(s.floats('priors_').data, Math.log);
  const logFirst = s.sklearnAtLeast(1, 5);
  const scores = (x: Data): { rows: number; d: Float64Array } => {
    const m = toMatrix(x);
    const d = new Float64Array(m.rows * k);
    const xm = new Float64Array(f);
    for (let i = 0; i < m.rows; i++) {
      for (let c = 0; c < k; c++) {
        const { mean, w, r, logDet } = parts[c];
        for (let j = 0; j < f; j++) xm[j] = m.data[i * f + j] - mean[j];
        let norm2 = 0;
        for (let t = 0; t < r; t++) {
          let acc = 0;
          for (let j = 0; j < f; j++) acc += xm[j] * w[j * r + t];
          norm2 += acc * acc;
        }
        d[i * k + c] = -0.5 * (norm2 + logDet) + logPrior[c];
      }
    }
    return { rows: m.rows, d };
  };
  const proba = (x: Data, log: boolean) => {
    const { rows, d } = scores(x);
    if (logFirst) {
      logNormalizeRows(rows, k, d, true);
      if (!log) for (let i = 0; i < d.length; i++) d[i] = Math.exp(d[i]);
    } else {
      softmaxRows(rows, k, d);
      if (log) for (let i = 0; i < d.length; i++) d[i] = Math.log(d[i]);
    }
    return f64Tensor([rows, k], d);
  };
  return {
    className: s.className,
    predict(x) {
      const { rows, d } = scores(x);
      return labels.take(argmaxRows(rows, k, d));
    },
    decisionFunction(x) {
      const { rows, d } = scores(x);
      return k === 2 ? f64Tensor([rows], Float64Array.from({ length: rows }, (_, i) => d[i * 2 + 1] - d[i * 2])) : f64Tensor([rows, k], d);
    },
    predictProba: (x) => proba(x, false),
    predictLogProba: (x) => proba(x, true),
  };
};

export const quadraticDiscriminantBuilders: Record<string, Builder> = {
  'sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis': quadraticDiscriminantAnalysis,
};

/**
 * covariance_estimator (1.8+) is a covariance model QDA fitted per class during its own fit; the
 * pickle keeps it (fitted on the last class) as data: scoring reads rotations_ and scalings_ only.
 */
export const quadraticDiscriminantHelpers = ['EmpiricalCovariance', 'LedoitWolf', 'OAS', 'ShrunkCovariance'].map((c) => `sklearn.covariance.${c}`);

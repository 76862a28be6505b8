import { MlflowError } from '../../../errors.js';
import type { Tensor } from '../../../frame/tensor.js';
import type { NdArray } from '../../../formats/pickle/types.js';
import { matrix, toMatrix, type Csr, type Data, type Matrix } from '../data.js';
import {
  expit, f64Tensor, Labels, logInPlace, outlierDetector, scoresTensor, softmaxRows,
  type Builder, type Estimator,
} from '../estimator.js';
import { checkInputValues } from '../input-check.js';
import { State } from '../state.js';
import { linearArgmax, linearScores as denseScores, linearWeights, type LinearWeights } from '../../../numeric/linear-scores.js';

/** coef_ and intercept_ of a linear model. */
interface Linear {
  targets: number;
  features: number;
  intercept: Float64Array;
  /** coef_ was 1-D: one output column, returned 1-D. */
  flat: boolean;
  /** coef_ as (targets, features), row-major (the sparse path reads it). */
  coef: Float64Array;
  /** coef_ and intercept_ as the dense score kernels take them. */
  weights: LinearWeights;
}

function readLinear(s: State): Linear {
  const c = s.floats('coef_');
  const flat = c.shape.length === 1;
  const targets = flat ? 1 : c.shape[0];
  const features = flat ? c.shape[0] : c.shape[1];
  if (c.shape.length > 2 || c.data.length !== targets * features) s.fail('coef_ should be a 1-D or 2-D array');
  const i = s.has('intercept_') ? s.floats('intercept_').data : Float64Array.of(0);
  if (i.length !== 1 && i.length !== targets) s.fail(`intercept_ should hold 1 or ${targets} values`);
  const intercept = new Float64Array(targets);
  for (let t = 0; t < targets; t++) intercept[t] = i.length === 1 ? i[0] : i[t];
  return { targets, features, intercept, flat, coef: c.data, weights: linearWeights(c.data, targets, features, intercept) };
}

function checkFeatures(m: Linear, x: Matrix | Csr, who: string): void {
  if (x.cols !== m.features) {
    throw new MlflowError(`X has ${x.cols} features, but ${who} is expecting ${m.features} features as input.`, 'INVALID_PARAMETER_VALUE');
  }
}

/** Linear models refuse NaN in every scikit-learn version, so their value check needs no version. */
const VERSION_INDEPENDENT = (): boolean => true;

/**
 * check_array's error for the NaN or infinity a dense kernel met (the builders below mark their
 * estimators checksFiniteMatrix: their kernels look at every value anyway).
 */
function refuseValues(who: string, x: Matrix): never {
  checkInputValues(who, x, VERSION_INDEPENDENT);
  throw new MlflowError(`${who} found a value that is not finite in X`, 'INVALID_PARAMETER_VALUE');
}

/** X @ coef_.T + intercept_, row-major (rows, targets). */
function linearScores(m: Linear, x: Matrix | Csr, who: string): Float64Array {
  checkFeatures(m, x, who);
  if (x.kind === 'csr') return sparseScores(m, x);
  return denseScores(m.weights, x.data, x.rows, true) ?? refuseValues(who, x);
}

/** X @ coef_.T + intercept_ for CSR rows (text features): only the stored values are visited. */
function sparseScores(m: Linear, x: Csr): Float64Array {
  const { coef, targets, features, intercept } = m;
  const out = new Float64Array(x.rows * targets);
  for (let i = 0; i < x.rows; i++) {
    for (let t = 0; t < targets; t++) {
      let acc = 0;
      for (let p = x.indptr[i]; p < x.indptr[i + 1]; p++) acc += x.values[p] * coef[t * features + x.indices[p]];
      out[i * targets + t] = acc + intercept[t];
    }
  }
  return out;
}

/** The input as linearScores takes it: a CSR matrix stays sparse. */
function denseOrCsr(x: Data): Matrix | Csr {
  return x.kind === 'csr' ? x : toMatrix(x);
}

/**
 * predict's output: `labels.table[argmax of the scores]` per row (numpy's argmax; score > 0 for a
 * single score), written straight into the array the labels' tensor keeps (labels.outputArray),
 * the dense kernel keeping no scores.
 */
function linearPredict(m: Linear, x: Matrix | Csr, who: string, labels: Labels): Tensor {
  checkFeatures(m, x, who);
  const { table } = labels;
  const out = labels.outputArray(x.rows);
  if (x.kind === 'matrix') {
    if (!linearArgmax(m.weights, x.data, x.rows, table, out, true)) refuseValues(who, x);
    return labels.fromTable(out);
  }
  const k = m.targets;
  const scores = sparseScores(m, x);
  for (let i = 0; i < x.rows; i++) {
    let best = 0;
    if (k === 1) best = scores[i] > 0 ? 1 : 0;
    else {
      for (let t = 1; t < k; t++) {
        const v = scores[i * k + t];
        const b = scores[i * k + best];
        if (v > b || (v !== v && b === b)) best = t;
      }
    }
    out[i] = table[best];
  }
  return labels.fromTable(out);
}

const regressor: Builder = (s) => {
  const m = readLinear(s);
  return {
    className: s.className,
    checksFiniteMatrix: true,
    predict(x: Data): Tensor {
      const mx = denseOrCsr(x);
      const out = linearScores(m, mx, s.inst.name);
      return m.flat ? f64Tensor([mx.rows], out) : f64Tensor([mx.rows, m.targets], out);
    },
  };
};

/**
 * Poisson, Gamma and Tweedie regressors: X @ coef_ + intercept_ through the inverse link of the
 * fitted loss (_base_loss): log for HalfPoisson/HalfGamma/HalfTweedieLoss, identity for
 * HalfTweedieLossIdentity (TweedieRegressor with power <= 0 or link='identity').
 */
const glmRegressor: Builder = (s) => {
  const m = readLinear(s);
  const loss = s.instance('_base_loss').name;
  const log = ['HalfPoissonLoss', 'HalfGammaLoss', 'HalfTweedieLoss'].includes(loss);
  if (!log && loss !== 'HalfTweedieLossIdentity') s.fail(`loss ${loss} is not supported natively`);
  return {
    className: s.className,
    checksFiniteMatrix: true,
    predict(x: Data): Tensor {
      const mx = denseOrCsr(x);
      const out = linearScores(m, mx, s.inst.name);
      if (log) for (let i = 0; i < out.length; i++) out[i] = Math.exp(out[i]);
      return f64Tensor([mx.rows], out);
    },
  };
};

/**
 * SGDOneClassSVM: decision_function = X @ coef_ - offset_, score_samples = X @ coef_, predict
 * +1 where the decision is >= 0, else -1 (int32, as sklearn builds it).
 */
const sgdOneClassSvm: Builder = (s) => {
  const m = readLinear(s);
  if (!m.flat) s.fail('coef_ should be 1-D');
  const score = (x: Data, minus: number): Float64Array => {
    const d = linearScores(m, toMatrix(x), s.inst.name);
    for (let i = 0; i < d.length; i++) d[i] -= minus;
    return d;
  };
  return { ...outlierDetector(s.className, score, s.number('offset_'), 'int32', true), checksFiniteMatrix: true };
};

/** How a linear classifier turns scores into probabilities. */
type ProbaKind = 'ovr' | 'softmax' | 'modified_huber' | null;

function linearClassifier(s: State, proba: ProbaKind, classes?: NdArray): Estimator {
  const m = readLinear(s);
  const labels = new Labels(classes ?? s.array('classes_'));
  const decision = (x: Data): { rows: number; d: Float64Array } => {
    const mx = denseOrCsr(x);
    return { rows: mx.rows, d: linearScores(m, mx, s.inst.name) };
  };
  const est: Estimator = {
    className: s.className,
    checksFiniteMatrix: true,
    decisionFunction(x) {
      const { rows, d } = decision(x);
      return scoresTensor(rows, m.targets, d);
    },
    predict: (x) => linearPredict(m, denseOrCsr(x), s.inst.name, labels),
  };
  if (proba !== null) {
    est.predictProba = (x) => {
      const { rows, d } = decision(x);
      // from 1.9 (PR #33168) one-vs-rest rows whose expits all underflow to 0 are uniform; before, 0/0 = NaN
      return probaFromScores(proba, rows, m.targets, d, s.sklearnAtLeast(1, 9));
    };
    est.predictLogProba = (x) => logInPlace(est.predictProba!(x));
  }
  return est;
}

function probaFromScores(kind: Exclude<ProbaKind, null>, rows: number, k: number, d: Float64Array, zeroSumUniform: boolean): Tensor {
  if (kind === 'softmax') {
    // multinomial: a binary model's single score becomes [-d, d]
    const cols = k === 1 ? 2 : k;
    const out = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      if (k === 1) {
        out[i * 2] = -d[i];
        out[i * 2 + 1] = d[i];
      } else for (let j = 0; j < k; j++) out[i * k + j] = d[i * k + j];
    }
    softmaxRows(rows, cols, out);
    return f64Tensor([rows, cols], out);
  }
  const p = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) {
    p[i] = kind === 'ovr' ? expit(d[i]) : (Math.min(1, Math.max(-1, d[i])) + 1) / 2;
  }
  if (k === 1) {
    const out = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      out[i * 2] = 1 - p[i];
      out[i * 2 + 1] = p[i];
    }
    return f64Tensor([rows, 2], out);
  }
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += p[i * k + j];
    if ((kind === 'modified_huber' || zeroSumUniform) && sum === 0) {
      for (let j = 0; j < k; j++) p[i * k + j] = 1 / k;
      continue;
    }
    for (let j = 0; j < k; j++) p[i * k + j] /= sum;
  }
  return f64Tensor([rows, k], p);
}

const logisticRegression: Builder = (s) => {
  const multiClass = s.stringOr('multi_class', 'auto');
  const solver = s.stringOr('solver', 'lbfgs');
  const nClasses = s.array('classes_').data.length;
  // 'auto' (and 1.5+'s 'deprecated'; 1.8+ pickle no multi_class): one-vs-rest for two classes and
  // for the solvers without a multinomial loss: liblinear, and newton-cholesky before 1.6
  const ovrSolver = solver === 'liblinear' || (solver === 'newton-cholesky' && !s.sklearnAtLeast(1, 6));
  const ovr = multiClass === 'ovr' || multiClass === 'warn' ||
    ((multiClass === 'auto' || multiClass === 'deprecated') && (nClasses <= 2 || ovrSolver));
  return linearClassifier(s, ovr ? 'ovr' : 'softmax');
};

const sgdClassifier: Builder = (s) => {
  const loss = s.stringOr('loss', 'hinge');
  const proba: ProbaKind = loss === 'log_loss' || loss === 'log' ? 'ovr' : loss === 'modified_huber' ? 'modified_huber' : null;
  return linearClassifier(s, proba);
};

const plainClassifier: Builder = (s) => linearClassifier(s, null);

/** RidgeClassifier keeps its classes in a LabelBinarizer. */
const ridgeClassifier: Builder = (s) => linearClassifier(s, null, new State(s.instance('_label_binarizer')).array('classes_'));

/** np.finfo(np.float64).smallest_normal. */
const SMALLEST_NORMAL = 2 ** -1022;

/** LinearDiscriminantAnalysis: a linear decision function, softmax (or expit) probabilities, and a projection. */
const lda: Builder = (s) => {
  const est = linearClassifier(s, s.array('classes_').data.length === 2 ? 'ovr' : 'softmax');
  // a probability of exactly 0 is raised to float64's smallest normal first: log gives -708.39..., not -inf
  est.predictLogProba = (x) => {
    const p = est.predictProba!(x);
    const d = p.data as Float64Array;
    for (let i = 0; i < d.length; i++) d[i] = Math.log(d[i] === 0 ? SMALLEST_NORMAL : d[i]);
    return p;
  };
  const solver = s.stringOr('solver', 'svd');
  if (solver === 'svd' || solver === 'eigen') {
    const scal = s.floats('scalings_');
    const [f, r] = scal.shape;
    const keep = Math.min(r, s.number('_max_components'));
    const xbar = solver === 'svd' ? s.floats('xbar_').data : null;
    est.transform = (x: Data) => {
      const mx = toMatrix(x);
      if (mx.cols !== f) {
        throw new MlflowError(`X has ${mx.cols} features, but LinearDiscriminantAnalysis is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
      }
      checkInputValues(s.inst.name, mx, VERSION_INDEPENDENT); // checksFiniteMatrix: this method has no kernel to check for it
      const out = new Float64Array(mx.rows * keep);
      for (let i = 0; i < mx.rows; i++) {
        for (let c = 0; c < keep; c++) {
          let acc = 0;
          for (let j = 0; j < f; j++) acc += (xbar ? mx.data[i * f + j] - xbar[j] : mx.data[i * f + j]) * scal.data[j * r + c];
          out[i * keep + c] = acc;
        }
      }
      return matrix(mx.rows, keep, out);
    };
  }
  return est;
};

export const linearBuilders: Record<string, Builder> = {
  'sklearn.linear_model.LinearRegression': regressor,
  'sklearn.linear_model.Ridge': regressor,
  'sklearn.linear_model.RidgeCV': regressor,
  'sklearn.linear_model.Lasso': regressor,
  'sklearn.linear_model.LassoCV': regressor,
  'sklearn.linear_model.ElasticNet': regressor,
  'sklearn.linear_model.ElasticNetCV': regressor,
  'sklearn.linear_model.Lars': regressor,
  'sklearn.linear_model.LassoLars': regressor,
  'sklearn.linear_model.LarsCV': regressor,
  'sklearn.linear_model.LassoLarsCV': regressor,
  'sklearn.linear_model.LassoLarsIC': regressor,
  'sklearn.linear_model.OrthogonalMatchingPursuit': regressor,
  'sklearn.linear_model.OrthogonalMatchingPursuitCV': regressor,
  'sklearn.linear_model.QuantileRegressor': regressor,
  'sklearn.linear_model.TheilSenRegressor': regressor,
  'sklearn.linear_model.PoissonRegressor': glmRegressor,
  'sklearn.linear_model.GammaRegressor': glmRegressor,
  'sklearn.linear_model.TweedieRegressor': glmRegressor,
  'sklearn.linear_model.BayesianRidge': regressor,
  'sklearn.linear_model.ARDRegression': regressor,
  'sklearn.linear_model.HuberRegressor': regressor,
  'sklearn.linear_model.SGDRegressor': regressor,
  'sklearn.linear_model.PassiveAggressiveRegressor': regressor,
  'sklearn.linear_model.SGDOneClassSVM': sgdOneClassSvm,
  'sklearn.svm.LinearSVR': regressor,
  'sklearn.linear_model.LogisticRegression': logisticRegression,
  'sklearn.linear_model.LogisticRegressionCV': logisticRegression,
  'sklearn.linear_model.SGDClassifier': sgdClassifier,
  'sklearn.linear_model.Perceptron': plainClassifier,
  'sklearn.linear_model.PassiveAggressiveClassifier': plainClassifier,
  'sklearn.svm.LinearSVC': plainClassifier,
  'sklearn.linear_model.RidgeClassifier': ridgeClassifier,
  'sklearn.linear_model.RidgeClassifierCV': ridgeClassifier,
  'sklearn.discriminant_analysis.LinearDiscriminantAnalysis': lda,
};

/** Cython loss objects an SGD model pickles alongside (loss_function_); read, never used. */
export const linearHelpers = [
  'sklearn.preprocessing.LabelBinarizer',
  'sklearn.linear_model.Hinge', 'sklearn.linear_model.Log', 'sklearn.linear_model.ModifiedHuber',
  'sklearn.linear_model.SquaredHinge', 'sklearn.linear_model.SquaredLoss', 'sklearn.linear_model.Huber',
  'sklearn.linear_model.EpsilonInsensitive', 'sklearn.linear_model.SquaredEpsilonInsensitive',
];

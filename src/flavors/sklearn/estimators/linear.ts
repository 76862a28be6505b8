import { MlflowError } from '../../../errors.js';
import type { Tensor } from '../../../frame/tensor.js';
import type { NdArray } from '../../../formats/pickle/types.js';
import { matrix, toMatrix, withF32, type Csr, type Data, type Matrix } from '../data.js';
import {
  floatTensor, Labels, logInPlace, outlierDetector, scoresTensor, softmaxRows, softmaxRowsF32,
  type Builder, type Estimator,
} from '../estimator.js';
import { checkInputValues } from '../input-check.js';
import { dtypeName, isNdArray, State } from '../state.js';
import { pairwiseSumF32, sgemmDotF32 } from '../numpy-f32-sums.js';
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
  /**
   * coef_ is float32 (fitted on float32 rows) and intercept_ keeps a float32 sum float32: on
   * float32 rows numpy computes the scores in float32 (see f32Scores).
   */
  f32: boolean;
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
  const dtypeOf = (key: string): string | null => {
    const v = s.raw(key);
    return isNdArray(v) ? dtypeName(v.dtype) : null;
  };
  // a float64 intercept_ array makes the sum float64; a Python float or 0-d value does not (numpy's weak scalars)
  const interceptArray = s.raw('intercept_');
  const f32 = dtypeOf('coef_') === 'float32' && !(dtypeOf('intercept_') === 'float64' && isNdArray(interceptArray) && interceptArray.shape.length > 0);
  return { targets, features, intercept, flat, coef: c.data, weights: linearWeights(c.data, targets, features, intercept), f32 };
}

/** Whether numpy scores `x` with `m` in float32: float32 rows and float32 coefficients. */
function inF32(m: Linear, x: Matrix | Csr): boolean {
  return m.f32 && (x.kind === 'matrix' ? x.f32 === true : x.dtype === 'float32');
}

/**
 * X @ coef_.T + intercept_ as numpy computes it on float32 rows and coefficients: the product
 * in float32, then the intercept added in float32. With several targets numpy calls BLAS sgemm,
 * whose kernels accumulate each score by fused multiply-adds in feature order (followed here, a
 * product being exact in float64); with one (a 1-D coef_, or a binary classifier's) it calls
 * sgemv, whose lane split and tail order we do not follow: the exact sum, rounded once, which is
 * often but not always the same float32.
 */
function f32Scores(m: Linear, x: Matrix, who: string): Float64Array {
  checkInputValues(who, x, VERSION_INDEPENDENT);
  const { coef, targets, features, intercept } = m;
  const out = new Float64Array(x.rows * targets);
  const f = Math.fround;
  for (let i = 0; i < x.rows; i++) {
    for (let t = 0; t < targets; t++) {
      let acc = 0;
      if (targets > 1) acc = sgemmDotF32(x.data, i * features, coef, t * features, features);
      else for (let j = 0; j < features; j++) acc += x.data[i * features + j] * coef[t * features + j];
      out[i * targets + t] = f(f(acc) + intercept[t]);
    }
  }
  return out;
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
  if (x.kind === 'csr') return sparseScores(m, x, inF32(m, x));
  if (inF32(m, x)) return f32Scores(m, x, who);
  return denseScores(m.weights, x.data, x.rows, true) ?? refuseValues(who, x);
}

/**
 * X @ coef_.T + intercept_ for CSR rows (text features): only the stored values are visited.
 * `f32`: float32 values and coefficients, summed as scipy's csr_matvecs does in float32 (each
 * product and sum rounded), then the intercept added in float32.
 */
function sparseScores(m: Linear, x: Csr, f32: boolean): Float64Array {
  const { coef, targets, features, intercept } = m;
  const r = f32 ? Math.fround : (v: number): number => v;
  const out = new Float64Array(x.rows * targets);
  for (let i = 0; i < x.rows; i++) {
    for (let t = 0; t < targets; t++) {
      let acc = 0;
      for (let p = x.indptr[i]; p < x.indptr[i + 1]; p++) acc = r(acc + r(x.values[p] * coef[t * features + x.indices[p]]));
      out[i * targets + t] = r(acc + intercept[t]);
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
  if (x.kind === 'matrix' && !inF32(m, x)) {
    if (!linearArgmax(m.weights, x.data, x.rows, table, out, true)) refuseValues(who, x);
    return labels.fromTable(out);
  }
  const k = m.targets;
  const scores = linearScores(m, x, who);
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
      return floatTensor(m.flat ? [mx.rows] : [mx.rows, m.targets], out, inF32(m, mx));
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
      return floatTensor([mx.rows], out, inF32(m, mx));
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
  const decision = (x: Data): { rows: number; d: Float64Array; f32: boolean } => {
    const mx = denseOrCsr(x);
    return { rows: mx.rows, d: linearScores(m, mx, s.inst.name), f32: inF32(m, mx) };
  };
  const est: Estimator = {
    className: s.className,
    checksFiniteMatrix: true,
    decisionFunction(x) {
      const { rows, d, f32 } = decision(x);
      return scoresTensor(rows, m.targets, d, f32);
    },
    predict: (x) => linearPredict(m, denseOrCsr(x), s.inst.name, labels),
  };
  if (proba !== null) {
    est.predictProba = (x) => {
      const { rows, d, f32 } = decision(x);
      // from 1.9 (PR #33168) one-vs-rest rows whose expits all underflow to 0 are uniform; before, 0/0 = NaN
      return probaFromScores(proba, rows, m.targets, d, s.sklearnAtLeast(1, 9), f32);
    };
    est.predictLogProba = (x) => logInPlace(est.predictProba!(x));
  }
  return est;
}

/**
 * Probabilities from the scores. float32 scores (f32) give float32 probabilities computed as
 * numpy does in float32, each operation rounded: softmax's exp(x - max) / sum (numpy's float32
 * pairwise sum), expit's 1 / (1 + exp(-x)), 1 - p, the one-vs-rest row sums.
 */
function probaFromScores(kind: Exclude<ProbaKind, null>, rows: number, k: number, d: Float64Array, zeroSumUniform: boolean, f32: boolean): Tensor {
  const r = f32 ? Math.fround : (v: number): number => v;
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
    if (f32) softmaxRowsF32(rows, cols, out);
    else softmaxRows(rows, cols, out);
    return floatTensor([rows, cols], out, f32);
  }
  const p = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) {
    p[i] = kind === 'ovr' ? r(1 / r(1 + r(Math.exp(-d[i])))) : r(r(Math.min(1, Math.max(-1, d[i])) + 1) / 2);
  }
  if (k === 1) {
    const out = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      out[i * 2] = r(1 - p[i]);
      out[i * 2 + 1] = p[i];
    }
    return floatTensor([rows, 2], out, f32);
  }
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    if (f32) sum = pairwiseSumF32(p, i * k, k);
    else for (let j = 0; j < k; j++) sum += p[i * k + j];
    if ((kind === 'modified_huber' || zeroSumUniform) && sum === 0) {
      for (let j = 0; j < k; j++) p[i * k + j] = r(1 / k);
      continue;
    }
    for (let j = 0; j < k; j++) p[i * k + j] = r(p[i * k + j] / sum);
  }
  return floatTensor([rows, k], p, f32);
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

/** np.finfo(np.float64).smallest_normal, and float32's. */
const SMALLEST_NORMAL = 2 ** -1022;
const SMALLEST_NORMAL_F32 = 2 ** -126;

/** LinearDiscriminantAnalysis: a linear decision function, softmax (or expit) probabilities, and a projection. */
const lda: Builder = (s) => {
  const est = linearClassifier(s, s.array('classes_').data.length === 2 ? 'ovr' : 'softmax');
  // a probability of exactly 0 is raised to float64's smallest normal first: log gives -708.39..., not -inf
  est.predictLogProba = (x) => {
    const p = est.predictProba!(x);
    const d = p.data as Float64Array | Float32Array;
    const tiny = p.dtype === 'float32' ? SMALLEST_NORMAL_F32 : SMALLEST_NORMAL;
    for (let i = 0; i < d.length; i++) d[i] = Math.log(d[i] === 0 ? tiny : d[i]);
    return p;
  };
  const solver = s.stringOr('solver', 'svd');
  if (solver === 'svd' || solver === 'eigen') {
    const scal = s.floats('scalings_');
    const [f, r] = scal.shape;
    const keep = Math.min(r, s.number('_max_components'));
    const xbar = solver === 'svd' ? s.floats('xbar_').data : null;
    // fitted on float32 rows (scikit-learn >= 1.6 keeps scalings_ and xbar_ float32): on float32
    // rows (X - xbar_) @ scalings_ is float32, the subtraction rounded and the product by sgemm
    const fittedF32 = s.isFloat32('scalings_') && (xbar === null || s.isFloat32('xbar_'));
    const centered = new Float64Array(f);
    est.transform = (x: Data) => {
      const mx = toMatrix(x);
      if (mx.cols !== f) {
        throw new MlflowError(`X has ${mx.cols} features, but LinearDiscriminantAnalysis is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
      }
      checkInputValues(s.inst.name, mx, VERSION_INDEPENDENT); // checksFiniteMatrix: this method has no kernel to check for it
      const f32 = fittedF32 && mx.f32 === true;
      const out = new Float64Array(mx.rows * keep);
      for (let i = 0; i < mx.rows; i++) {
        for (let j = 0; j < f; j++) {
          const v = xbar ? mx.data[i * f + j] - xbar[j] : mx.data[i * f + j];
          centered[j] = f32 ? Math.fround(v) : v;
        }
        for (let c = 0; c < keep; c++) {
          if (f32) {
            out[i * keep + c] = sgemmDotF32(centered, 0, scal.data, c, f, r);
            continue;
          }
          let acc = 0;
          for (let j = 0; j < f; j++) acc += centered[j] * scal.data[j * r + c];
          out[i * keep + c] = acc;
        }
      }
      return withF32(matrix(mx.rows, keep, out), f32);
    };
  }
  if (s.array('classes_').data.length === 1) {
    // fitted on one class: decision_function is 1-D, and softmax's max over axis 1 raises
    const raise = (): never => {
      throw new MlflowError('axis 1 is out of bounds for array of dimension 1', 'INVALID_PARAMETER_VALUE');
    };
    est.predictProba = raise;
    est.predictLogProba = raise;
    // predict takes classes_[score > 0]: a positive score (lsqr, eigen) indexes past the one class
    const predict = est.predict!;
    est.predict = (x) => {
      const d = est.decisionFunction!(x).data as Float64Array | Float32Array;
      if (d.some((v) => v > 0)) throw new MlflowError('index 1 is out of bounds for axis 0 with size 1', 'INVALID_PARAMETER_VALUE');
      return predict(x);
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

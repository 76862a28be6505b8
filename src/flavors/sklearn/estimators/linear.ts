import { MlflowError } from '../../../errors.js';
import type { Tensor } from '../../../frame/tensor.js';
import type { NdArray } from '../../../formats/pickle/types.js';
import { matrix, toMatrix, type Data, type Matrix } from '../data.js';
import {
  argmaxRows, expit, f64Tensor, Labels, logInPlace, scoresTensor, softmaxRows,
  type Builder, type Estimator,
} from '../estimator.js';
import { State } from '../state.js';

/** coef_ and intercept_ of a linear model, coef_ as (targets, features). */
interface Linear {
  coef: Float64Array;
  targets: number;
  features: number;
  intercept: Float64Array;
  /** coef_ was 1-D: one output column, returned 1-D. */
  flat: boolean;
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
  return { coef: c.data, targets, features, intercept, flat };
}

/** X @ coef_.T + intercept_, row-major (rows, targets). */
function linearScores(m: Linear, x: Matrix, who: string): Float64Array {
  if (x.cols !== m.features) {
    throw new MlflowError(`X has ${x.cols} features, but ${who} is expecting ${m.features} features as input.`, 'INVALID_PARAMETER_VALUE');
  }
  const { coef, targets, features, intercept } = m;
  const out = new Float64Array(x.rows * targets);
  for (let i = 0; i < x.rows; i++) {
    const xo = i * features;
    for (let t = 0; t < targets; t++) {
      const co = t * features;
      let s = 0;
      for (let j = 0; j < features; j++) s += x.data[xo + j] * coef[co + j];
      out[i * targets + t] = s + intercept[t];
    }
  }
  return out;
}

const regressor: Builder = (s) => {
  const m = readLinear(s);
  return {
    className: s.className,
    predict(x: Data): Tensor {
      const mx = toMatrix(x);
      const out = linearScores(m, mx, s.inst.name);
      return m.flat ? f64Tensor([mx.rows], out) : f64Tensor([mx.rows, m.targets], out);
    },
  };
};

/** How a linear classifier turns scores into probabilities. */
type ProbaKind = 'ovr' | 'softmax' | 'modified_huber' | null;

function linearClassifier(s: State, proba: ProbaKind, classes?: NdArray): Estimator {
  const m = readLinear(s);
  const labels = new Labels(classes ?? s.array('classes_'));
  const decision = (x: Data): { rows: number; d: Float64Array } => {
    const mx = toMatrix(x);
    return { rows: mx.rows, d: linearScores(m, mx, s.inst.name) };
  };
  const est: Estimator = {
    className: s.className,
    decisionFunction(x) {
      const { rows, d } = decision(x);
      return scoresTensor(rows, m.targets, d);
    },
    predict(x) {
      const { rows, d } = decision(x);
      if (m.targets === 1) {
        const idx = new Int32Array(rows);
        for (let i = 0; i < rows; i++) idx[i] = d[i] > 0 ? 1 : 0;
        return labels.take(idx);
      }
      return labels.take(argmaxRows(rows, m.targets, d));
    },
  };
  if (proba !== null) {
    est.predictProba = (x) => {
      const { rows, d } = decision(x);
      return probaFromScores(proba, rows, m.targets, d);
    };
    est.predictLogProba = (x) => logInPlace(est.predictProba!(x));
  }
  return est;
}

function probaFromScores(kind: Exclude<ProbaKind, null>, rows: number, k: number, d: Float64Array): Tensor {
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
    if (kind === 'modified_huber' && sum === 0) {
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
  const ovr = multiClass === 'ovr' || multiClass === 'warn' ||
    ((multiClass === 'auto' || multiClass === 'deprecated') &&
      (nClasses <= 2 || solver === 'liblinear' || solver === 'newton-cholesky'));
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

/** LinearDiscriminantAnalysis: a linear decision function, softmax (or expit) probabilities, and a projection. */
const lda: Builder = (s) => {
  const est = linearClassifier(s, s.array('classes_').data.length === 2 ? 'ovr' : 'softmax');
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
  'sklearn.linear_model.BayesianRidge': regressor,
  'sklearn.linear_model.ARDRegression': regressor,
  'sklearn.linear_model.HuberRegressor': regressor,
  'sklearn.linear_model.SGDRegressor': regressor,
  'sklearn.linear_model.PassiveAggressiveRegressor': regressor,
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

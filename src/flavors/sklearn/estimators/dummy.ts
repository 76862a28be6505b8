import type { Data } from '../data.js';
import { argmaxRows, f64Tensor, Labels, logInPlace, type Builder, type Estimator } from '../estimator.js';
import type { State } from '../state.js';

/** The class probabilities a DummyClassifier gives every row (deterministic strategies only). */
export function dummyClassProba(s: State): Float64Array {
  const strategy = s.stringOr('strategy', 'prior');
  const prior = s.floats('class_prior_').data;
  if (strategy === 'prior') return prior;
  if (strategy === 'most_frequent') {
    const p = new Float64Array(prior.length);
    p[argmaxRows(1, prior.length, prior)[0]] = 1;
    return p;
  }
  if (strategy === 'constant') {
    const classes = s.array('classes_').data as ArrayLike<unknown>;
    let constant = s.raw('constant');
    if (Array.isArray(constant) && constant.length === 1) constant = constant[0];
    const j = Array.prototype.indexOf.call(classes, constant);
    if (j < 0) return s.fail(`constant ${String(constant)} is not one of classes_`);
    const p = new Float64Array(prior.length);
    p[j] = 1;
    return p;
  }
  return s.fail(`DummyClassifier strategy '${strategy}' is random or unsupported natively`);
}

/** DummyRegressor.constant_ (one value per output). */
export function dummyConstant(s: State): Float64Array {
  return s.floats('constant_').data;
}

const classifier: Builder = (s) => {
  const p = dummyClassProba(s);
  const labels = new Labels(s.array('classes_'));
  const k = p.length;
  const est: Estimator = {
    className: s.className,
    predictProba(x: Data) {
      const out = new Float64Array(x.rows * k);
      for (let i = 0; i < x.rows; i++) out.set(p, i * k);
      return f64Tensor([x.rows, k], out);
    },
    predictLogProba: (x) => logInPlace(est.predictProba!(x)),
    predict(x: Data) {
      const best = argmaxRows(1, k, p)[0];
      return labels.take(new Int32Array(x.rows).fill(best));
    },
  };
  return est;
};

const regressor: Builder = (s) => {
  const c = dummyConstant(s);
  return {
    className: s.className,
    predict(x: Data) {
      const out = new Float64Array(x.rows * c.length);
      for (let i = 0; i < x.rows; i++) out.set(c, i * c.length);
      return c.length === 1 ? f64Tensor([x.rows], out) : f64Tensor([x.rows, c.length], out);
    },
  };
};

export const dummyBuilders: Record<string, Builder> = {
  'sklearn.dummy.DummyClassifier': classifier,
  'sklearn.dummy.DummyRegressor': regressor,
};

import type { Tensor } from '../../../frame/tensor.js';
import { matrix, type Data } from '../data.js';
import { expit, probaClassifier, Labels, type Builder, type BuildFn, type Estimator } from '../estimator.js';
import { isInstance, State } from '../state.js';
import { classesOf } from './multiclass.js';

/**
 * CalibratedClassifierCV (method 'sigmoid' or 'isotonic', ensemble true or false): the mean of
 * its calibrated_classifiers_' probabilities, each computed as sklearn's _CalibratedClassifier
 * does: the estimator's decision_function (else predict_proba; the positive column when binary),
 * one calibrator per column written to its class's column, then 1 - p for the other class
 * (binary) or normalized by the row sum (uniform where it is 0), and values in (1, 1 + 1e-5]
 * set to 1.
 */

function numbers(t: Tensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number>);
}

/** One fitted calibrator as a function of a score column. */
function calibrator(s: State, obj: unknown, build: BuildFn, where: string): (t: Float64Array) => Float64Array {
  if (isInstance(obj) && obj.name === '_SigmoidCalibration') {
    const c = new State(obj);
    const a = c.number('a_');
    const b = c.number('b_');
    return (t) => t.map((v) => expit(-(a * v + b)));
  }
  const iso = build(obj, where);
  if (iso.className.split('.').pop() !== 'IsotonicRegression' || !iso.predict) s.fail(`${where} should be a sigmoid or isotonic calibrator`);
  return (t) => numbers(iso.predict!(matrix(t.length, 1, t)));
}

/** One _CalibratedClassifier: its (rows, k) calibrated probabilities. */
function calibratedClassifier(s: State, obj: unknown, k: number, build: BuildFn, where: string): (x: Data) => Float64Array {
  if (!isInstance(obj)) return s.fail(`${where} should be a _CalibratedClassifier`);
  const c = new State(obj);
  const method = c.stringOr('method', 'sigmoid');
  if (method !== 'sigmoid' && method !== 'isotonic') c.fail(`method '${method}' is not supported natively`);
  const key = c.has('estimator') ? 'estimator' : 'base_estimator';
  const est: Estimator = build(c.raw(key), `${where}.${key}`);
  const estClasses = classesOf(c, c.raw(key));
  const classes = c.array('classes');
  // pos_class_indices: each of the estimator's classes as an index in classes (sorted, as LabelEncoder)
  const all = Array.from(classes.data as ArrayLike<unknown>);
  const pos = Array.from(estClasses.data as ArrayLike<unknown>, (v) => {
    const i = all.indexOf(v);
    return i >= 0 ? i : c.fail(`estimator class ${String(v)} is not in classes`);
  });
  const cals = c.list('calibrators').map((o, i) => calibrator(c, o, build, `${where}.calibrators[${i}]`));
  const useDecision = est.decisionFunction !== undefined;
  if (!useDecision && !est.predictProba) c.fail(`${est.className} has neither decision_function nor predict_proba`);
  return (x) => {
    const raw = useDecision ? numbers(est.decisionFunction!(x)) : numbers(est.predictProba!(x));
    let cols = raw.length / x.rows;
    let preds = raw;
    if (!useDecision && cols === 2) {
      // binary predict_proba: the positive class's column
      preds = raw.filter((_, i) => i % 2 === 1);
      cols = 1;
    }
    if (cols !== cals.length) c.fail(`${cals.length} calibrators for ${cols} prediction columns`);
    const p = new Float64Array(x.rows * k);
    for (let j = 0; j < cols; j++) {
      const col = cols === 1 ? preds : Float64Array.from({ length: x.rows }, (_, r) => preds[r * cols + j]);
      const out = cals[j](col);
      const idx = k === 2 ? pos[j] + 1 : pos[j];
      for (let r = 0; r < x.rows; r++) p[r * k + idx] = out[r];
    }
    for (let r = 0; r < x.rows; r++) {
      if (k === 2) p[r * 2] = 1 - p[r * 2 + 1];
      else {
        let sum = 0;
        for (let j = 0; j < k; j++) sum += p[r * k + j];
        for (let j = 0; j < k; j++) p[r * k + j] = sum !== 0 ? p[r * k + j] / sum : 1 / k;
      }
      for (let j = 0; j < k; j++) if (p[r * k + j] > 1 && p[r * k + j] <= 1 + 1e-5) p[r * k + j] = 1;
    }
    return p;
  };
}

const calibratedClassifierCV: Builder = (s, build) => {
  const labels = new Labels(s.array('classes_'));
  const k = labels.size;
  const parts = s.list('calibrated_classifiers_').map((o, i) => calibratedClassifier(s, o, k, build, `${s.className}.calibrated_classifiers_[${i}]`));
  if (parts.length === 0) s.fail('calibrated_classifiers_ is empty');
  const est = probaClassifier(s.className, labels, (x) => {
    const mean = new Float64Array(x.rows * k);
    for (const part of parts) {
      const p = part(x);
      for (let j = 0; j < mean.length; j++) mean[j] += p[j];
    }
    for (let j = 0; j < mean.length; j++) mean[j] /= parts.length;
    return { rows: x.rows, p: mean };
  });
  // CalibratedClassifierCV has predict and predict_proba only
  delete est.predictLogProba;
  return est;
};

export const calibrationBuilders: Record<string, Builder> = {
  'sklearn.calibration.CalibratedClassifierCV': calibratedClassifierCV,
};

/** Its parts, read as data: the per-fold classifiers and sigmoid calibrators. */
export const calibrationHelpers = ['sklearn.calibration._CalibratedClassifier', 'sklearn.calibration._SigmoidCalibration'];

import type { Tensor } from '../../../frame/tensor.js';
import { matrix, type Data } from '../data.js';
import { expit, probaClassifier, Labels, softmaxRows, type Builder, type BuildFn, type Estimator } from '../estimator.js';
import { isInstance, State } from '../state.js';
import { classesOf } from './multiclass.js';

/**
 * CalibratedClassifierCV (method 'sigmoid', 'isotonic' or 'temperature', ensemble true or false): the mean of
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

/**
 * method='temperature' (1.8+): softmax(beta_ * logits) with the logits from _convert_to_logits:
 * a binary score column d becomes (-d, d); several columns are taken as probabilities, and
 * become log(p + 1e-12), when every value of the batch is in [0, 1] and every row sums to 1
 * (np.isclose), else as they are. A binary predict_proba column p is first (1 - p, p).
 */
function temperatureScaled(c: State, beta: number, preds: Float64Array, rows: number, cols: number, fromProba: boolean): Float64Array {
  let k = cols;
  let logits = preds;
  if (cols === 1 && fromProba) {
    k = 2;
    logits = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      logits[r * 2] = 1 - preds[r];
      logits[r * 2 + 1] = preds[r];
    }
  }
  if (k === 1) {
    k = 2;
    logits = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      logits[r * 2] = -preds[r];
      logits[r * 2 + 1] = preds[r];
    }
  } else if (looksLikeProba(logits, rows, k)) logits = logits.map((v) => Math.log(v + 1e-12));
  else logits = Float64Array.from(logits);
  if (!Number.isFinite(beta)) c.fail("attribute 'beta_' should be a finite number");
  for (let i = 0; i < logits.length; i++) logits[i] *= beta;
  softmaxRows(rows, k, logits);
  return logits;
}

/** Every value in [0, 1] and every row sum within np.isclose's tolerance of 1 (rtol 1e-5, atol 1e-8). */
function looksLikeProba(d: Float64Array, rows: number, k: number): boolean {
  for (let i = 0; i < d.length; i++) if (!(d[i] >= 0 && d[i] <= 1)) return false;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += d[r * k + j];
    if (!(Math.abs(sum - 1) <= 1e-8 + 1e-5)) return false;
  }
  return true;
}

/** One _CalibratedClassifier: its (rows, k) calibrated probabilities. */
function calibratedClassifier(s: State, obj: unknown, k: number, build: BuildFn, where: string): (x: Data) => Float64Array {
  if (!isInstance(obj)) return s.fail(`${where} should be a _CalibratedClassifier`);
  const c = new State(obj);
  const method = c.stringOr('method', 'sigmoid');
  if (method !== 'sigmoid' && method !== 'isotonic' && method !== 'temperature') c.fail(`method '${method}' is not supported natively`);
  const key = c.has('estimator') ? 'estimator' : 'base_estimator';
  const est: Estimator = build(c.raw(key), `${where}.${key}`);
  const estClasses = classesOf(c, c.raw(key));
  const classes = c.array('classes');
  // pos_class_indices: each of the estimator's classes as an index in classes (sorted, as
  // LabelEncoder); temperature scaling does not use them (from 1.8 its estimator is fitted on the
  // encoded labels 0..k-1 when they are strings)
  const all = Array.from(classes.data as ArrayLike<unknown>);
  const pos = method === 'temperature' ? [] : Array.from(estClasses.data as ArrayLike<unknown>, (v) => {
    const i = all.indexOf(v);
    return i >= 0 ? i : c.fail(`estimator class ${String(v)} is not in classes`);
  });
  const useDecision = est.decisionFunction !== undefined;
  if (!useDecision && !est.predictProba) c.fail(`${est.className} has neither decision_function nor predict_proba`);
  const temperature = method === 'temperature' ? temperatureBeta(c, where) : null;
  const cals = temperature === null ? c.list('calibrators').map((o, i) => calibrator(c, o, build, `${where}.calibrators[${i}]`)) : [];
  return (x) => {
    const raw = useDecision ? numbers(est.decisionFunction!(x)) : numbers(est.predictProba!(x));
    let cols = raw.length / x.rows;
    let preds = raw;
    if (!useDecision && cols === 2) {
      // binary predict_proba: the positive class's column
      preds = raw.filter((_, i) => i % 2 === 1);
      cols = 1;
    }
    if (temperature !== null) {
      const p = temperatureScaled(c, temperature, preds, x.rows, cols, !useDecision);
      if (p.length !== x.rows * k) c.fail(`${p.length / x.rows} calibrated columns for ${k} classes`);
      for (let j = 0; j < p.length; j++) if (p[j] > 1 && p[j] <= 1 + 1e-5) p[j] = 1;
      return p;
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

/** The one _TemperatureScaling calibrator's inverse temperature beta_. */
function temperatureBeta(c: State, where: string): number {
  const cals = c.list('calibrators');
  const t = cals[0];
  if (cals.length !== 1 || !isInstance(t) || t.name !== '_TemperatureScaling') return c.fail(`${where} should hold one _TemperatureScaling calibrator`);
  return new State(t).number('beta_');
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
export const calibrationHelpers = ['sklearn.calibration._CalibratedClassifier', 'sklearn.calibration._SigmoidCalibration', 'sklearn.calibration._TemperatureScaling'];

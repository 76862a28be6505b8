import { NotSupportedNativelyError } from '../../../errors.js';
import type { Tensor } from '../../../frame/tensor.js';
import { matrix, numCols, selectColumns, toMatrix, withF32, withInts, type Data, type Matrix } from '../data.js';
import {
  probaClassifier, argmaxRows, f64Tensor, floatTensor, Labels, logInPlace, scoresTensor, softmaxRows,
  type Builder, type BuildFn, type Estimator,
} from '../estimator.js';
import { floatData, isInstance, isNdArray, type State } from '../state.js';

/** The fitted sub-estimators of an ensemble (estimators_), built. */
function subEstimators(s: State, build: BuildFn, key = 'estimators_'): Estimator[] {
  return s.list(key).map((e, i) => build(e, `${s.className}.${key}[${i}]`));
}

function need<T>(s: State, est: Estimator, method: T | undefined, name: string): T {
  if (!method) return s.fail(`sub-estimator ${est.className} has no ${name}`);
  return method;
}

function numbers(t: Tensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number>);
}

/** VotingClassifier/Regressor's weights of the estimators not dropped (null: equal weights). */
function votingWeights(s: State): number[] | null {
  const w = s.raw('weights');
  if (w === null || w === undefined) return null;
  const ws = (Array.isArray(w) ? w : isNdArray(w) ? Array.from(floatData(w, 'weights')) : s.fail('weights should be a list')) as number[];
  const ests = s.list('estimators');
  return ws.filter((_, i) => !(Array.isArray(ests[i]) && (ests[i] as unknown[])[1] === 'drop'));
}

const votingClassifier: Builder = (s, build) => {
  const ests = subEstimators(s, build);
  const labels = new Labels(s.array('classes_'));
  const k = labels.size;
  const weights = votingWeights(s);
  const w = weights ?? ests.map(() => 1);
  const soft = s.stringOr('voting', 'hard') === 'soft';
  // soft voting averages the probabilities as np.average does
  const proba = (x: Data): { rows: number; p: Float64Array; f32: boolean } => ({
    rows: x.rows,
    ...npAverage(ests.map((e) => need(s, e, e.predictProba, 'predict_proba')(x)), weights),
  });
  const est: Estimator = {
    className: s.className,
    predict(x) {
      if (soft) {
        const { rows, p } = proba(x);
        return labels.take(argmaxRows(rows, k, p));
      }
      // sub-estimators were fitted on encoded labels: their predictions are class indices
      const votes = new Float64Array(x.rows * k);
      ests.forEach((e, i) => {
        const pred = numbers(need(s, e, e.predict, 'predict')(x));
        for (let r = 0; r < x.rows; r++) votes[r * k + pred[r]] += w[i];
      });
      return labels.take(argmaxRows(x.rows, k, votes));
    },
  };
  if (soft) {
    est.predictProba = (x) => {
      const { rows, p, f32 } = proba(x);
      return floatTensor([rows, k], p, f32);
    };
    // each estimator's probabilities side by side, or (flatten_transform=False) stacked as a 3-D
    // array (estimators, rows, classes): the same values, numpy's dtype either way
    const flatten = s.bool('flatten_transform', true);
    est.transform = (x) => {
      const side = sideBySide(ests.map((e) => need(s, e, e.predictProba, 'predict_proba')(x)), x.rows);
      return flatten ? side : { ...side, blocks: ests.length };
    };
  } else {
    // hard voting: each estimator's prediction, the class indices it was fitted on (int64)
    est.transform = (x) => sideBySide(ests.map((e) => need(s, e, e.predict, 'predict')(x)), x.rows);
  }
  return est;
};

/**
 * Per-estimator (rows, w) outputs as one (rows, sum of w) matrix (np.hstack, or .T of 1-D
 * predictions): float32 when every output is (estimators fitted on float32), int64 when every
 * one is (class indices), as numpy keeps them.
 */
function sideBySide(tensors: Tensor[], rows: number): Matrix {
  const outs = tensors.map(numbers);
  const widths = outs.map((o) => o.length / rows);
  const cols = widths.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows * cols);
  let off = 0;
  outs.forEach((o, e) => {
    const w = widths[e];
    for (let r = 0; r < rows; r++) for (let j = 0; j < w; j++) out[r * cols + off + j] = o[r * w + j];
    off += w;
  });
  const all = (dtype: string): boolean => tensors.length > 0 && tensors.every((t) => t.dtype === dtype);
  return withInts(withF32(matrix(rows, cols, out), all('float32')), new Array<boolean>(cols).fill(all('int64')));
}

/**
 * np.average over the estimators of their outputs (each of the same size), as VotingRegressor's
 * predict and soft VotingClassifier's predict_proba take it: the (weighted) sum over the estimators,
 * then one division. Without weights the mean keeps float32 when every output is float32 (fitted on
 * float32); with weights (a float64 array) it is float64.
 */
function npAverage(outputs: Tensor[], weights: number[] | null): { p: Float64Array; f32: boolean } {
  const f32 = weights === null && outputs.length > 0 && outputs.every((t) => t.dtype === 'float32');
  const r = f32 ? Math.fround : (v: number): number => v;
  const p = new Float64Array(outputs.length > 0 ? numbers(outputs[0]).length : 0);
  outputs.forEach((t, i) => {
    const pe = numbers(t);
    for (let j = 0; j < p.length; j++) p[j] = r(p[j] + (weights ? pe[j] * weights[i] : pe[j]));
  });
  const total = weights ? weights.reduce((a, b) => a + b, 0) : outputs.length;
  for (let j = 0; j < p.length; j++) p[j] = r(p[j] / total);
  return { p, f32 };
}

/** VotingRegressor: np.average of the predictions (npAverage). */
const votingRegressor: Builder = (s, build) => {
  const ests = subEstimators(s, build);
  const weights = votingWeights(s);
  return {
    className: s.className,
    predict(x) {
      const { p, f32 } = npAverage(ests.map((e) => need(s, e, e.predict, 'predict')(x)), weights);
      return floatTensor([x.rows], p, f32);
    },
    transform: (x) => sideBySide(ests.map((e) => need(s, e, e.predict, 'predict')(x)), x.rows),
  };
};

/** Each bagged estimator with the feature subset it was fitted on. */
function bagged(s: State, build: BuildFn): { est: Estimator; features: number[]; classes: Float64Array | null }[] {
  const raw = s.list('estimators_');
  const ests = subEstimators(s, build);
  const feats = s.list('estimators_features_');
  if (feats.length !== ests.length) s.fail('estimators_features_ does not match estimators_');
  return ests.map((est, i) => {
    const f = feats[i];
    if (!isNdArray(f)) return s.fail(`estimators_features_[${i}] should be an array`);
    const c = isInstance(raw[i]) ? raw[i].state.classes_ : undefined;
    return { est, features: Array.from(floatData(f, 'estimators_features_')), classes: isNdArray(c) ? floatData(c, 'classes_') : null };
  });
}

const baggingClassifier: Builder = (s, build) => {
  const parts = bagged(s, build);
  const labels = new Labels(s.array('classes_'));
  const k = labels.size;
  const proba = (x: Data): { rows: number; p: Float64Array } => {
    const p = new Float64Array(x.rows * k);
    for (const { est, features, classes } of parts) {
      const sub = selectColumns(x, features);
      if (est.predictProba) {
        const pe = numbers(est.predictProba(sub));
        const kc = pe.length / x.rows;
        // an estimator that saw fewer classes reports only those; its classes_ index ours
        if (kc !== k && (!classes || classes.length !== kc)) s.fail('a bagged estimator saw fewer classes and has no classes_');
        for (let r = 0; r < x.rows; r++) {
          for (let c = 0; c < kc; c++) p[r * k + (kc === k ? c : classes![c])] += pe[r * kc + c];
        }
      } else {
        const pred = numbers(need(s, est, est.predict, 'predict')(sub));
        for (let r = 0; r < x.rows; r++) p[r * k + pred[r]] += 1;
      }
    }
    for (let j = 0; j < p.length; j++) p[j] /= parts.length;
    return { rows: x.rows, p };
  };
  const est = probaClassifier(s.className, labels, proba);
  const first = parts[0]?.est;
  // with a base that has predict_log_proba, sklearn sums the log-probabilities with logaddexp
  // (finite where a probability underflows to 0) instead of taking log(predict_proba)
  if (first?.predictLogProba) est.predictLogProba = (x) => f64Tensor([x.rows, k], baggedLogProba(s, parts, x, k));
  if (first?.decisionFunction) {
    est.decisionFunction = (x) => {
      let sum: Float64Array | null = null;
      for (const { est: e, features } of parts) {
        const d = numbers(need(s, e, e.decisionFunction, 'decision_function')(selectColumns(x, features)));
        if (sum === null) sum = Float64Array.from(d);
        else if (d.length !== sum.length) {
          // an estimator fitted on a subsample missing a class answers fewer columns: numpy broadcasts them
          throw new NotSupportedNativelyError(`${s.className}.decision_function: estimators_ answer decision values of different shapes (a subsample missing a class), which numpy broadcasts: not supported natively`);
        } else for (let j = 0; j < d.length; j++) sum[j] += d[j];
      }
      const out = sum!.map((v) => v / parts.length);
      return scoresTensor(x.rows, out.length / x.rows, out);
    };
  }
  return est;
};

/** numpy's logaddexp: log(exp(a) + exp(b)) without overflow (-inf + -inf stays -inf). */
function logAddExp(a: number, b: number): number {
  if (a === b) return a + Math.LN2;
  const t = a - b;
  return t > 0 ? a + Math.log1p(Math.exp(-t)) : b + Math.log1p(Math.exp(t));
}

/** BaggingClassifier.predict_log_proba: logaddexp over the estimators (fewer classes: theirs only), minus log(n). */
function baggedLogProba(s: State, parts: ReturnType<typeof bagged>, x: Data, k: number): Float64Array {
  const lp = new Float64Array(x.rows * k).fill(-Infinity);
  for (const { est, features, classes } of parts) {
    const le = numbers(need(s, est, est.predictLogProba, 'predict_log_proba')(selectColumns(x, features)));
    const kc = le.length / x.rows;
    if (kc !== k && (!classes || classes.length !== kc)) s.fail('a bagged estimator saw fewer classes and has no classes_');
    for (let r = 0; r < x.rows; r++) {
      for (let c = 0; c < kc; c++) {
        const j = r * k + (kc === k ? c : classes![c]);
        lp[j] = logAddExp(lp[j], le[r * kc + c]);
      }
    }
  }
  const logN = Math.log(parts.length);
  for (let j = 0; j < lp.length; j++) lp[j] -= logN;
  return lp;
}

const baggingRegressor: Builder = (s, build) => {
  const parts = bagged(s, build);
  return {
    className: s.className,
    predict(x) {
      // Python's sum() of the predictions, then / n_estimators: np.average's arithmetic without
      // weights (in float32 when every estimator answers float32, fitted on float32 rows)
      const { p, f32 } = npAverage(parts.map(({ est, features }) => need(s, est, est.predict, 'predict')(selectColumns(x, features))), null);
      return floatTensor([x.rows], p, f32);
    },
  };
};

const F64_EPS = 2 ** -52;

const adaBoostClassifier: Builder = (s, build) => {
  const ests = subEstimators(s, build);
  const classesArr = s.array('classes_');
  const labels = new Labels(classesArr);
  const classes = Array.isArray(classesArr.data) ? classesArr.data : Array.from(classesArr.data as ArrayLike<number>);
  const k = labels.size;
  const weights = s.floats('estimator_weights_').data;
  const wsum = weights.slice(0, ests.length).reduce((a, b) => a + b, 0);
  // 'SAMME.R' is pickled explicitly while it exists; 1.6 deprecated the parameter ('deprecated'
  // means SAMME) and later versions dropped it
  const samme = s.stringOr('algorithm', 'SAMME') !== 'SAMME.R';
  // scikit-learn 1.3 made each learner's SAMME vote symmetric: w for its class, -w/(k-1) for the others
  const against = samme && s.sklearnAtLeast(1, 3) ? -1 / (k - 1) : 0;
  /** (rows, k) scores; binary models reduce them to one column as sklearn does. */
  const decision = (x: Data): { rows: number; cols: number; d: Float64Array } => {
    // fitted on one class: zeros from 1.3 (sklearn's n_classes == 1 branch, 1.3-1.5 not
    // checked); before, SAMME's weighted votes (1) and SAMME.R's centred logs (0)
    if (k === 1 && samme && s.sklearnAtLeast(1, 3)) return { rows: x.rows, cols: 1, d: new Float64Array(x.rows) };
    const pred = new Float64Array(x.rows * k);
    ests.forEach((e, i) => {
      if (samme) {
        const p = need(s, e, e.predict, 'predict')(x).data as ArrayLike<unknown>;
        for (let r = 0; r < x.rows; r++) {
          const c = classes.indexOf(p[r]);
          for (let j = 0; j < k; j++) pred[r * k + j] += (j === c ? 1 : against) * weights[i];
        }
        return;
      }
      const pe = numbers(need(s, e, e.predictProba, 'predict_proba')(x));
      for (let r = 0; r < x.rows; r++) {
        let sum = 0;
        const logs = new Float64Array(k);
        for (let c = 0; c < k; c++) {
          logs[c] = Math.log(Math.max(pe[r * k + c], F64_EPS));
          sum += logs[c];
        }
        for (let c = 0; c < k; c++) pred[r * k + c] += (k - 1) * (logs[c] - sum / k);
      }
    });
    for (let j = 0; j < pred.length; j++) pred[j] /= wsum;
    if (k !== 2) return { rows: x.rows, cols: k, d: pred };
    const d = new Float64Array(x.rows);
    for (let r = 0; r < x.rows; r++) d[r] = -pred[r * 2] + pred[r * 2 + 1];
    return { rows: x.rows, cols: 1, d };
  };
  const est: Estimator = {
    className: s.className,
    decisionFunction(x) {
      const { rows, cols, d } = decision(x);
      // one class: a (rows, 1) column, not the binary case's 1-D scores
      return k === 1 ? f64Tensor([rows, 1], d) : scoresTensor(rows, cols, d);
    },
    predict(x) {
      const { rows, cols, d } = decision(x);
      if (k === 2) return labels.take(Int32Array.from(d, (v) => (v > 0 ? 1 : 0)));
      return labels.take(argmaxRows(rows, cols, d));
    },
    predictProba(x) {
      // one class: probability 1, as sklearn's n_classes == 1 branch
      if (k === 1) return f64Tensor([x.rows, 1], new Float64Array(x.rows).fill(1));
      const { rows, cols, d } = decision(x);
      const p = new Float64Array(rows * k);
      for (let r = 0; r < rows; r++) {
        if (cols === 1) {
          p[r * 2] = -d[r] / 2;
          p[r * 2 + 1] = d[r] / 2;
        } else for (let c = 0; c < k; c++) p[r * k + c] = d[r * k + c] / (k - 1);
      }
      softmaxRows(rows, k, p);
      return f64Tensor([rows, k], p);
    },
  };
  est.predictLogProba = (x) => logInPlace(est.predictProba!(x));
  return est;
};

const adaBoostRegressor: Builder = (s, build) => {
  const ests = subEstimators(s, build);
  const weights = s.floats('estimator_weights_').data;
  return {
    className: s.className,
    predict(x) {
      const tensors = ests.map((e) => need(s, e, e.predict, 'predict')(x));
      const preds = tensors.map(numbers);
      const out = new Float64Array(x.rows);
      const order = ests.map((_, i) => i);
      for (let r = 0; r < x.rows; r++) {
        order.sort((a, b) => preds[a][r] - preds[b][r] || a - b);
        let total = 0;
        for (const i of order) total += weights[i];
        let cdf = 0;
        for (const i of order) {
          cdf += weights[i];
          if (cdf >= 0.5 * total) {
            out[r] = preds[i][r];
            break;
          }
        }
      }
      // np.array of the estimators' predictions: float32 when every one is (fitted on float32)
      return floatTensor([x.rows], out, tensors.length > 0 && tensors.every((t) => t.dtype === 'float32'));
    },
  };
};

const transformedTarget: Builder = (s, build) => {
  const reg = build(s.raw('regressor_'), `${s.className}.regressor_`);
  const trans = build(s.raw('transformer_'), `${s.className}.transformer_`);
  const trainingDim = s.numberOr('_training_dim', 1);
  return {
    className: s.className,
    predict(x) {
      const pred = need(s, reg, reg.predict, 'predict')(x);
      const cols = pred.shape.length === 1 ? 1 : pred.shape[1];
      // float32 predictions (a regressor fitted on float32 rows) stay float32 through the transformer
      const back = toMatrix(need(s, trans, trans.inverseTransform, 'inverse_transform')(withF32(matrix(x.rows, cols, numbers(pred)), pred.dtype === 'float32')));
      return floatTensor(trainingDim === 1 && back.cols === 1 ? [x.rows] : [x.rows, numCols(back)], back.data, back.f32 === true);
    },
  };
};

export const metaBuilders: Record<string, Builder> = {
  'sklearn.ensemble.VotingClassifier': votingClassifier,
  'sklearn.ensemble.VotingRegressor': votingRegressor,
  'sklearn.ensemble.BaggingClassifier': baggingClassifier,
  'sklearn.ensemble.BaggingRegressor': baggingRegressor,
  'sklearn.ensemble.AdaBoostClassifier': adaBoostClassifier,
  'sklearn.ensemble.AdaBoostRegressor': adaBoostRegressor,
  'sklearn.compose.TransformedTargetRegressor': transformedTarget,
};

/** Parts read by name only: VotingClassifier's le_ (LabelEncoder) and named_estimators_ (Bunch). */
export const metaHelpers = ['sklearn.preprocessing.LabelEncoder', 'sklearn.utils.Bunch'];

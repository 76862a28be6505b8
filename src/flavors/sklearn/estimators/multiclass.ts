import type { Tensor } from '../../../frame/tensor.js';
import { MlflowError } from '../../../errors.js';
import type { Data } from '../data.js';
import {
  argmaxRows, columnStack, f64Tensor, floatTensor, Labels, scoresTensor,
  type Builder, type BuildFn, type Estimator,
} from '../estimator.js';
import type { NdArray } from '../../../formats/pickle/types.js';
import { isInstance, isNdArray, State } from '../state.js';

/**
 * Meta-estimators that wrap fitted estimators: the hyper-parameter searches (scored with
 * best_estimator_), OneVsRestClassifier and MultiOutputRegressor/Classifier. Their CV splitters,
 * scorers and cv_results_ (numpy masked arrays) are read as inert data.
 */

function floats(t: Tensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number>);
}

/** GridSearchCV, RandomizedSearchCV: the refitted best_estimator_ under the search's name. */
const search: Builder = (s, build) => {
  if (!s.has('best_estimator_')) s.fail('the search was fitted with refit=False: it has no best_estimator_ to predict with');
  return { ...build(s.raw('best_estimator_'), `${s.className}.best_estimator_`), className: s.className };
};

/** sklearn's _predict_binary: a regressor's predict, else decision_function, else predict_proba[:, 1]. */
function binaryScores(s: State, e: Estimator, x: Data): Float64Array {
  if (e.decisionFunction) return floats(e.decisionFunction(x));
  if (e.predictProba) {
    const p = floats(e.predictProba(x));
    return Float64Array.from({ length: x.rows }, (_, i) => p[i * 2 + 1]);
  }
  if (e.predict) return floats(e.predict(x));
  return s.fail(`sub-estimator ${e.className} has no decision_function, predict_proba or predict`);
}

/** OneVsRestClassifier for binary and multiclass targets (multilabel is refused). */
const oneVsRest: Builder = (s, build) => {
  const binarizer = new State(s.instance('label_binarizer_'));
  const yType = binarizer.stringOr('y_type_', 'multiclass');
  if (yType !== 'multiclass' && yType !== 'binary') s.fail(`OneVsRestClassifier on a '${yType}' target is not supported natively`);
  const labels = new Labels(binarizer.array('classes_'));
  const ests = s.list('estimators_').map((e, i) => build(e, `${s.className}.estimators_[${i}]`));
  const k = labels.size;
  // equal top scores: the last class before 1.8, the first (as argmax) since (PR #15504)
  const lastOfTies = !s.sklearnAtLeast(1, 8);
  const est: Estimator = {
    className: s.className,
    predict(x) {
      const scores = ests.map((e) => binaryScores(s, e, x));
      // fitted on one class: LabelBinarizer's inverse gives that class whatever the scores
      if (k === 1) return labels.take(new Int32Array(x.rows));
      if (yType === 'binary') {
        const thresh = ests[0].decisionFunction ? 0 : 0.5;
        return labels.take(Int32Array.from(scores[0], (v) => (v > thresh ? 1 : 0)));
      }
      const idx = new Int32Array(x.rows);
      for (let r = 0; r < x.rows; r++) {
        let best = -Infinity;
        scores.forEach((sc, c) => {
          if (sc[r] > best || (lastOfTies && sc[r] === best)) {
            best = sc[r];
            idx[r] = c;
          }
        });
      }
      return labels.take(idx);
    },
  };
  if (ests.every((e) => e.decisionFunction)) {
    est.decisionFunction = (x) => {
      // one estimator (two classes, or a _ConstantPredictor for one class, whose scores are ints): its own output, as sklearn returns it
      if (ests.length === 1) return ests[0].decisionFunction!(x);
      const cols = ests.map((e) => floats(e.decisionFunction!(x)));
      const out = new Float64Array(x.rows * cols.length);
      cols.forEach((c, j) => c.forEach((v, r) => (out[r * cols.length + j] = v)));
      return scoresTensor(x.rows, cols.length, out);
    };
  }
  if (ests.every((e) => e.predictProba)) {
    const zeroRowsStay = s.sklearnAtLeast(1, 7);
    est.predictProba = (x) => {
      const probas = ests.map((e) => e.predictProba!(x));
      const cols = probas.map(floats);
      // np.array of the estimators' columns: float32 when every one is, then float32 arithmetic
      // (numpy's sum over a row of fewer than 8 columns adds them in order)
      const f32 = probas.every((t) => t.dtype === 'float32');
      const rd = f32 ? Math.fround : (v: number) => v;
      // one estimator (two classes, or one class at fit): the columns [1 - p, p]
      const width = ests.length === 1 ? 2 : k;
      const p = new Float64Array(x.rows * width);
      for (let r = 0; r < x.rows; r++) {
        if (ests.length === 1) {
          p[r * 2 + 1] = cols[0][r * 2 + 1];
          p[r * 2] = rd(1 - p[r * 2 + 1]);
          continue;
        }
        let sum = 0;
        for (let c = 0; c < k; c++) sum = rd(sum + (p[r * k + c] = cols[c][r * 2 + 1]));
        // a row every estimator gives 0: NaN (0/0) before 1.7, left all 0 since (PR #31228)
        if (sum === 0 && zeroRowsStay) continue;
        for (let c = 0; c < k; c++) p[r * k + c] = rd(p[r * k + c] / sum);
      }
      return floatTensor([x.rows, width], p, f32);
    };
  }
  return est;
};

/** classes_ of a fitted classifier, or of a Pipeline's last step (sklearn's classes_ property). */
export function classesOf(s: State, obj: unknown): NdArray {
  if (!isInstance(obj)) return s.fail('estimator_ should be an estimator object');
  const own = obj.state.classes_;
  if (isNdArray(own)) return own;
  const steps = obj.state.steps;
  const last = Array.isArray(steps) ? steps[steps.length - 1] : undefined;
  if (Array.isArray(last)) return classesOf(s, last[1]);
  return s.fail(`${obj.name} has no classes_`);
}

/** The index of a pickled pos_label in classes_ (a number matches a numeric or bool class), or -1. */
function classIndex(classes: NdArray, v: unknown): number {
  return Array.from(classes.data as ArrayLike<unknown>).findIndex((c) =>
    v === c || (typeof v === 'number' && Number(c) === v) || (typeof v === 'boolean' && Number(c) === Number(v)));
}

/**
 * A binary classifier predicting the positive class (pos_label, classes_[1] when None) where its
 * score (that class's predict_proba column, else decision_function, negated when the positive
 * class is classes_[0], as response_method says) is >= the threshold `thresholdOf` gives (told
 * whether the score is a probability), else the other class; predict_proba, predict_log_proba and
 * decision_function are estimator_'s.
 */
function thresholdClassifier(s: State, build: BuildFn, posLabel: unknown, thresholdOf: (useProba: boolean) => number): Estimator {
  const inner = build(s.raw('estimator_'), `${s.className}.estimator_`);
  const classes = classesOf(s, s.raw('estimator_'));
  const labels = new Labels(classes);
  if (labels.size !== 2) s.fail('estimator_ should be a binary classifier');
  const pos = posLabel === null || posLabel === undefined ? 1 : classIndex(classes, posLabel);
  // scikit-learn raises at predict for a pos_label not among the classes: left to it
  if (pos < 0) s.fail(`pos_label ${JSON.stringify(posLabel)} is not one of the classes`);
  const method = s.stringOr('response_method', 'auto');
  const useProba = (method === 'auto' || method === 'predict_proba') && inner.predictProba !== undefined;
  // an estimator_ without the response method: predict raises scikit-learn's AttributeError, the
  // estimator_'s own methods still answer
  const missing = !useProba && (method === 'predict_proba' || !inner.decisionFunction);
  const threshold = missing ? NaN : thresholdOf(useProba);
  const est: Estimator = {
    className: s.className,
    predict(x) {
      if (missing) {
        const asked = method === 'auto' ? 'predict_proba, decision_function' : method;
        throw new MlflowError(`${inner.className.split('.').pop()} has none of the following attributes: ${asked}.`, 'INVALID_PARAMETER_VALUE');
      }
      const score = useProba
        ? floats(inner.predictProba!(x)).filter((_, i) => i % 2 === pos)
        : floats(inner.decisionFunction!(x)).map((v) => (pos === 1 ? v : -v));
      return labels.take(Int32Array.from(score, (v) => (v >= threshold ? pos : 1 - pos)));
    },
  };
  if (inner.predictProba) est.predictProba = inner.predictProba;
  if (inner.predictLogProba) est.predictLogProba = inner.predictLogProba;
  if (inner.decisionFunction) est.decisionFunction = inner.decisionFunction;
  return est;
}

/** FixedThresholdClassifier (sklearn >= 1.5): threshold 'auto' is 0.5 for probabilities, 0 for decision scores. */
const fixedThreshold: Builder = (s, build) => thresholdClassifier(s, build, s.raw('pos_label'), (useProba) => {
  const t = s.raw('threshold');
  return t === 'auto' ? (useProba ? 0.5 : 0) : s.number('threshold');
});

/** Metrics whose pos_label defaults to 1 (what TunedThresholdClassifierCV's scorer reads from the signature). */
const POS_LABEL_ONE = ['f1_score', 'precision_score', 'recall_score'];
/** Metrics without a pos_label: the scorer's pos_label is None. */
const NO_POS_LABEL = ['balanced_accuracy_score', 'accuracy_score', 'roc_auc_score', 'log_loss'];

/**
 * TunedThresholdClassifierCV (sklearn >= 1.5): the threshold is best_threshold_, the positive
 * class the curve scorer's pos_label (its keyword, else its metric's default).
 */
const tunedThreshold: Builder = (s, build) => {
  const scorer = new State(s.instance('_curve_scorer'));
  const kwargs = scorer.raw('_kwargs');
  const func = scorer.raw('_score_func') as { kind?: string; name?: string } | undefined;
  let posLabel: unknown = null;
  if (kwargs instanceof Map && kwargs.has('pos_label')) posLabel = kwargs.get('pos_label');
  else if (func?.kind === 'global' && POS_LABEL_ONE.includes(func.name!)) posLabel = 1;
  else if (!(func?.kind === 'global' && NO_POS_LABEL.includes(func.name!))) scorer.fail('its score function is not one whose pos_label is known natively');
  return thresholdClassifier(s, build, posLabel, () => s.number('best_threshold_'));
};

/**
 * OneVsOneClassifier: each pair's estimator (fitted on 0 = classes_[i], 1 = classes_[j]) votes
 * for its predicted class, and the summed confidences (_predict_binary) break ties as sklearn's
 * _ovr_decision_function does: votes + conf / (3 * (|conf| + 1)).
 */
const oneVsOne: Builder = (s, build) => {
  if (s.has('pairwise_indices_')) s.fail('a precomputed kernel (pairwise_indices_) is not supported natively');
  const labels = new Labels(s.array('classes_'));
  const k = labels.size;
  const ests = s.list('estimators_').map((e, i) => build(e, `${s.className}.estimators_[${i}]`));
  if (ests.length !== (k * (k - 1)) / 2) s.fail(`estimators_ should hold one estimator per pair of the ${k} classes`);
  for (const e of ests) if (!e.predict) s.fail(`sub-estimator ${e.className} has no predict`);
  const decision = (x: Data): Float64Array => {
    const votes = new Float64Array(x.rows * k);
    const conf = new Float64Array(x.rows * k);
    let e = 0;
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++, e++) {
        const pred = floats(ests[e].predict!(x));
        const sc = binaryScores(s, ests[e], x);
        for (let r = 0; r < x.rows; r++) {
          conf[r * k + i] -= sc[r];
          conf[r * k + j] += sc[r];
          if (pred[r] === 0) votes[r * k + i] += 1;
          else if (pred[r] === 1) votes[r * k + j] += 1;
        }
      }
    }
    for (let t = 0; t < votes.length; t++) votes[t] += conf[t] / (3 * (Math.abs(conf[t]) + 1));
    return votes;
  };
  // binary: the positive column, thresholded as the first estimator's own predict would be
  const thresh = ests[0]?.decisionFunction ? 0 : 0.5;
  return {
    className: s.className,
    decisionFunction(x) {
      const y = decision(x);
      return k === 2 ? f64Tensor([x.rows], y.filter((_, t) => t % 2 === 1)) : f64Tensor([x.rows, k], y);
    },
    predict(x) {
      const y = decision(x);
      if (k === 2) return labels.take(Int32Array.from({ length: x.rows }, (_, r) => (y[r * 2 + 1] > thresh ? 1 : 0)));
      return labels.take(argmaxRows(x.rows, k, y));
    },
  };
};

/** FrozenEstimator (sklearn >= 1.6): the wrapped fitted estimator's methods, under its own name. */
const frozen: Builder = (s, build) => ({ ...build(s.raw('estimator'), `${s.className}.estimator`), className: s.className });

/**
 * MultiOutputRegressor/Classifier: one fitted estimator per output; predict stacks their
 * predictions. A classifier's predict_proba is scikit-learn's list of (rows, classes) arrays,
 * one per output, which MLflow's JSON writes as nested lists: one (outputs, rows, classes)
 * tensor, the same JSON, when every output has as many classes; with unequal counts a tensor
 * cannot hold it and the method is refused by name.
 */
const multiOutput: Builder = (s, build) => {
  const ests = s.list('estimators_').map((e, i) => build(e, `${s.className}.estimators_[${i}]`));
  for (const e of ests) if (!e.predict) s.fail(`sub-estimator ${e.className} has no predict`);
  const est: Estimator = {
    className: s.className,
    predict: (x) => columnStack(ests.map((e) => e.predict!(x)), x.rows),
  };
  if (s.inst.name !== 'MultiOutputClassifier' || !ests.every((e) => e.predictProba)) return est;
  const counts = s.list('estimators_').map((e) => classesOf(s, e).data.length);
  if (counts.some((k) => k !== counts[0])) {
    return { ...est, notNative: { predict_proba: `its outputs have ${counts.join(', ')} classes (a list of arrays of unequal widths)` } };
  }
  est.predictProba = (x) => {
    const k = counts[0];
    const data = new Float64Array(ests.length * x.rows * k);
    const probas = ests.map((e) => e.predictProba!(x));
    probas.forEach((p, o) => data.set(floats(p), o * x.rows * k));
    // np.asarray of the list: float32 when every estimator answers float32
    return floatTensor([ests.length, x.rows, k], data, probas.every((p) => p.dtype === 'float32'));
  };
  return est;
};

/**
 * _ConstantPredictor: what OneVsRestClassifier keeps for a class column that held one value at
 * fit; predict and decision_function repeat that value y_, predict_proba is [1 - y_, y_].
 */
const constantPredictor: Builder = (s) => {
  const y = s.array('y_');
  if (y.data.length !== 1) s.fail('y_ should hold one value');
  const v = Number((y.data as ArrayLike<number>)[0]);
  const repeat = (rows: number): Tensor => new Labels(y).take(new Int32Array(rows));
  return {
    className: s.className,
    predict: (x) => repeat(x.rows),
    decisionFunction: (x) => repeat(x.rows),
    predictProba: (x) => f64Tensor([x.rows, 2], Float64Array.from({ length: x.rows * 2 }, (_, i) => (i % 2 === 0 ? 1 - v : v))),
  };
};

export const multiclassBuilders: Record<string, Builder> = {
  'sklearn.multiclass._ConstantPredictor': constantPredictor,
  'sklearn.model_selection.GridSearchCV': search,
  'sklearn.model_selection.RandomizedSearchCV': search,
  'sklearn.multiclass.OneVsRestClassifier': oneVsRest,
  'sklearn.model_selection.FixedThresholdClassifier': fixedThreshold,
  'sklearn.model_selection.TunedThresholdClassifierCV': tunedThreshold,
  'sklearn.multiclass.OneVsOneClassifier': oneVsOne,
  'sklearn.frozen.FrozenEstimator': frozen,
  'sklearn.multioutput.MultiOutputRegressor': multiOutput,
  'sklearn.multioutput.MultiOutputClassifier': multiOutput,
};

const SPLITTERS = [
  'KFold', 'StratifiedKFold', 'GroupKFold', 'StratifiedGroupKFold', 'ShuffleSplit', 'StratifiedShuffleSplit',
  'GroupShuffleSplit', 'RepeatedKFold', 'RepeatedStratifiedKFold', 'TimeSeriesSplit', 'LeaveOneOut', 'LeavePOut',
  'LeaveOneGroupOut', 'LeavePGroupsOut', 'PredefinedSplit',
];
const SCORERS = [
  '_passthrough_scorer', '_PassthroughScorer', '_Scorer', '_PredictScorer', '_ProbaScorer', '_ThresholdScorer', '_MultimetricScorer',
  '_CurveScorer',
];
const METRICS = [
  'accuracy_score', 'balanced_accuracy_score', 'f1_score', 'precision_score', 'recall_score', 'roc_auc_score',
  'log_loss', 'r2_score', 'mean_squared_error', 'mean_absolute_error', 'root_mean_squared_error', 'average_precision_score',
];

/** Parts read as data only: CV splitters, scorers and the metric functions they name, masked arrays. */
export const multiclassHelpers = [
  ...SPLITTERS.map((n) => `sklearn.model_selection.${n}`),
  ...SCORERS.map((n) => `sklearn.metrics.${n}`),
  ...METRICS.map((n) => `sklearn.metrics.${n}`),
  'sklearn.preprocessing.LabelBinarizer',
  'numpy.ma.MaskedArray', 'numpy.ma.core.MaskedArray', 'numpy.ma.core._mareconstruct',
  // the metadata-routing records a 1.6 scorer keeps
  'sklearn.utils.MetadataRequest', 'sklearn.utils.MethodMetadataRequest',
];

import type { Tensor } from '../../../frame/tensor.js';
import type { Data } from '../data.js';
import {
  columnStack, f64Tensor, Labels, scoresTensor,
  type Builder, type Estimator,
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
  const est: Estimator = {
    className: s.className,
    predict(x) {
      const scores = ests.map((e) => binaryScores(s, e, x));
      if (yType === 'binary') {
        const thresh = ests[0].decisionFunction ? 0 : 0.5;
        return labels.take(Int32Array.from(scores[0], (v) => (v > thresh ? 1 : 0)));
      }
      const idx = new Int32Array(x.rows);
      for (let r = 0; r < x.rows; r++) {
        let best = -Infinity;
        scores.forEach((sc, c) => {
          if (sc[r] > best) {
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
      const cols = ests.map((e) => floats(e.decisionFunction!(x)));
      const out = new Float64Array(x.rows * cols.length);
      cols.forEach((c, j) => c.forEach((v, r) => (out[r * cols.length + j] = v)));
      return scoresTensor(x.rows, cols.length, out);
    };
  }
  if (ests.every((e) => e.predictProba)) {
    est.predictProba = (x) => {
      const cols = ests.map((e) => floats(e.predictProba!(x)));
      const p = new Float64Array(x.rows * k);
      for (let r = 0; r < x.rows; r++) {
        if (ests.length === 1) {
          p[r * 2 + 1] = cols[0][r * 2 + 1];
          p[r * 2] = 1 - p[r * 2 + 1];
          continue;
        }
        let sum = 0;
        for (let c = 0; c < k; c++) sum += (p[r * k + c] = cols[c][r * 2 + 1]);
        for (let c = 0; c < k; c++) p[r * k + c] /= sum;
      }
      return f64Tensor([x.rows, k], p);
    };
  }
  return est;
};

/** classes_ of a fitted classifier, or of a Pipeline's last step (sklearn's classes_ property). */
function classesOf(s: State, obj: unknown): NdArray {
  if (!isInstance(obj)) return s.fail('estimator_ should be an estimator object');
  const own = obj.state.classes_;
  if (isNdArray(own)) return own;
  const steps = obj.state.steps;
  const last = Array.isArray(steps) ? steps[steps.length - 1] : undefined;
  if (Array.isArray(last)) return classesOf(s, last[1]);
  return s.fail(`${obj.name} has no classes_`);
}

/**
 * FixedThresholdClassifier (sklearn >= 1.5) with pos_label=None: the positive class (classes_[1])
 * when its score (predict_proba[:, 1], else decision_function) is >= threshold ('auto': 0.5 for
 * probabilities, 0 for decision scores); predict_proba and decision_function are estimator_'s.
 */
const fixedThreshold: Builder = (s, build) => {
  if (s.raw('pos_label') !== null && s.raw('pos_label') !== undefined) s.fail('pos_label other than None is not supported natively');
  const inner = build(s.raw('estimator_'), `${s.className}.estimator_`);
  const labels = new Labels(classesOf(s, s.raw('estimator_')));
  if (labels.size !== 2) s.fail('estimator_ should be a binary classifier');
  const method = s.stringOr('response_method', 'auto');
  const useProba = (method === 'auto' || method === 'predict_proba') && inner.predictProba !== undefined;
  if (!useProba && (method === 'predict_proba' || !inner.decisionFunction)) s.fail(`estimator_ has no ${method === 'auto' ? 'predict_proba or decision_function' : method}`);
  const t = s.raw('threshold');
  const threshold = t === 'auto' ? (useProba ? 0.5 : 0) : s.number('threshold');
  const est: Estimator = {
    className: s.className,
    predict(x) {
      const score = useProba ? floats(inner.predictProba!(x)).filter((_, i) => i % 2 === 1) : floats(inner.decisionFunction!(x));
      return labels.take(Int32Array.from(score, (v) => (v >= threshold ? 1 : 0)));
    },
  };
  if (inner.predictProba) est.predictProba = inner.predictProba;
  if (inner.predictLogProba) est.predictLogProba = inner.predictLogProba;
  if (inner.decisionFunction) est.decisionFunction = inner.decisionFunction;
  return est;
};

/** MultiOutputRegressor/Classifier: one fitted estimator per output; predict stacks their predictions. */
const multiOutput: Builder = (s, build) => {
  const ests = s.list('estimators_').map((e, i) => build(e, `${s.className}.estimators_[${i}]`));
  for (const e of ests) if (!e.predict) s.fail(`sub-estimator ${e.className} has no predict`);
  const est: Estimator = {
    className: s.className,
    predict: (x) => columnStack(ests.map((e) => e.predict!(x)), x.rows),
  };
  return est;
};

export const multiclassBuilders: Record<string, Builder> = {
  'sklearn.model_selection.GridSearchCV': search,
  'sklearn.model_selection.RandomizedSearchCV': search,
  'sklearn.multiclass.OneVsRestClassifier': oneVsRest,
  'sklearn.model_selection.FixedThresholdClassifier': fixedThreshold,
  'sklearn.multioutput.MultiOutputRegressor': multiOutput,
  'sklearn.multioutput.MultiOutputClassifier': multiOutput,
};

const SPLITTERS = [
  'KFold', 'StratifiedKFold', 'GroupKFold', 'StratifiedGroupKFold', 'ShuffleSplit', 'StratifiedShuffleSplit',
  'GroupShuffleSplit', 'RepeatedKFold', 'RepeatedStratifiedKFold', 'TimeSeriesSplit', 'LeaveOneOut', 'LeavePOut',
  'LeaveOneGroupOut', 'LeavePGroupsOut', 'PredefinedSplit',
];
const SCORERS = ['_passthrough_scorer', '_PassthroughScorer', '_Scorer', '_PredictScorer', '_ProbaScorer', '_ThresholdScorer', '_MultimetricScorer'];
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

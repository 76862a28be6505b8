import { MlflowError } from '../../errors.js';
import { parseJsonText } from '../../frame/json-text.js';
import type { XGBoostModel, XGBoostPredictOptions, XGBoostPrediction } from './booster.js';

/** Which sklearn-API wrapper class a booster was fitted through (XGBClassifier, XGBRegressor, ...). */
export type XGBSklearnKind = 'classifier' | 'regressor' | 'ranker';

const CLASSES: Readonly<Record<string, XGBSklearnKind>> = {
  XGBClassifier: 'classifier',
  XGBRFClassifier: 'classifier',
  XGBRegressor: 'regressor',
  XGBRFRegressor: 'regressor',
  XGBModel: 'regressor',
  XGBRanker: 'ranker',
};

/** The kind of an xgboost.sklearn class name ('xgboost.sklearn.XGBClassifier' or 'XGBClassifier'), or null. */
export function xgbSklearnKind(className: string): XGBSklearnKind | null {
  const short = className.replace(/^xgboost\.sklearn\./, '');
  return Object.hasOwn(CLASSES, short) ? CLASSES[short] : null;
}

/** The wrapper attributes predict reads: the missing-value marker and the best iteration. */
export interface XGBSklearnAttributes {
  readonly kind: XGBSklearnKind;
  /** XGBModel(missing=...): values equal to it are missing (NaN always is). */
  readonly missing: number;
  /** predict uses rounds [0, bestIteration + 1) when the booster records one (early stopping). */
  readonly bestIteration: number | null;
}

/**
 * The attributes XGBModel.save_model stores in the booster's "scikit_learn" attribute, read as
 * XGBModel.load_model reads them (what mlflow.xgboost loads for an sklearn-API model_class).
 */
export function attributesFromBooster(model: XGBoostModel, kind: XGBSklearnKind): XGBSklearnAttributes {
  const metaText = model.attributes.scikit_learn;
  let missing = NaN;
  if (metaText !== undefined) {
    const meta = parseJsonText(metaText).value as Record<string, unknown>;
    const type = meta._estimator_type;
    const expected = kind === 'ranker' ? 'ranker' : kind;
    if (typeof type === 'string' && type !== expected) {
      throw new MlflowError(`${model.file} holds an XGBoost ${type}, not a ${expected} (flavors.xgboost.model_class)`, 'INVALID_PARAMETER_VALUE');
    }
    if (typeof meta.missing === 'number') missing = meta.missing;
  }
  return { kind, missing, bestIteration: model.bestIteration };
}

function rangeOf(attrs: XGBSklearnAttributes, opts: XGBoostPredictOptions): XGBoostPredictOptions {
  const r = opts.iterationRange;
  if ((r === undefined || r[1] === 0) && attrs.bestIteration !== null) return { ...opts, iterationRange: [0, attrs.bestIteration + 1] };
  return opts;
}

function markMissing(rows: Float64Array, missing: number): Float64Array {
  if (Number.isNaN(missing)) return rows;
  return rows.map((v) => (v === missing ? NaN : v));
}

/** XGBModel.predict: raw predictions (regressor, ranker) or labels (classifier: class indices as int64, int32 for multi:softmax). */
export function xgbSklearnPredict(
  model: XGBoostModel, attrs: XGBSklearnAttributes, rows: Float64Array, nRows: number, nCols: number, opts: XGBoostPredictOptions = {},
): { data: Float32Array | Float64Array; shape: readonly number[]; dtype: 'float32' | 'int64' | 'int32' } {
  const p = model.predict(markMissing(rows, attrs.missing), nRows, nCols, rangeOf(attrs, opts));
  if (attrs.kind !== 'classifier' || opts.outputMargin) return { ...p, dtype: 'float32' };
  if (model.objective === 'multi:softmax') return { data: Float64Array.from(p.data), shape: p.shape, dtype: 'int32' };
  if (p.shape.length === 2) {
    const k = p.shape[1];
    const out = new Float64Array(nRows);
    for (let r = 0; r < nRows; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (p.data[r * k + j] > p.data[r * k + best]) best = j;
      out[r] = best;
    }
    return { data: out, shape: [nRows], dtype: 'int64' };
  }
  return { data: Float64Array.from(p.data, (v) => (v > 0.5 ? 1 : 0)), shape: [nRows], dtype: 'int64' };
}

/** XGBClassifier.predict_proba: (n, classes) float32; a binary model's p becomes [1 - p, p]. */
export function xgbSklearnPredictProba(
  model: XGBoostModel, attrs: XGBSklearnAttributes, rows: Float64Array, nRows: number, nCols: number, opts: XGBoostPredictOptions = {},
): XGBoostPrediction {
  if (model.objective === 'multi:softmax') {
    throw new MlflowError('predict_proba is not supported for the multi:softmax objective (use multi:softprob)', 'INVALID_PARAMETER_VALUE');
  }
  const p = model.predict(markMissing(rows, attrs.missing), nRows, nCols, rangeOf(attrs, opts));
  if (p.shape.length === 2) return p;
  const out = new Float32Array(nRows * 2);
  for (let r = 0; r < nRows; r++) {
    out[r * 2] = 1 - p.data[r];
    out[r * 2 + 1] = p.data[r];
  }
  return { data: out, shape: [nRows, 2] };
}

import { MlflowError } from '../../errors.js';
import { isNdArray, isPyInstance } from '../../formats/pickle/index.js';
import type { NdArray, PyInstance } from '../../formats/pickle/index.js';
import { LightGBMModel, type LightGBMPredictOptions, type LightGBMPrediction } from './booster.js';
import { parseLightGBMText } from './text-model.js';

export type LGBMSklearnKind = 'classifier' | 'regressor' | 'ranker';

const KINDS: Readonly<Record<string, LGBMSklearnKind>> = {
  LGBMClassifier: 'classifier',
  LGBMRegressor: 'regressor',
  LGBMRanker: 'ranker',
  LGBMModel: 'regressor',
};

/** Classes a pickled LightGBM sklearn-API model holds (for a pickle reader's allow-list). */
export const LGBM_PICKLE_CLASSES: readonly string[] = [
  ...Object.keys(KINDS).map((k) => `lightgbm.sklearn.${k}`),
  'lightgbm.basic.Booster',
  'lightgbm.compat._LGBMLabelEncoder',
  'sklearn.preprocessing._label.LabelEncoder',
  'sklearn.preprocessing.label.LabelEncoder',
];

export function lgbmSklearnKind(className: string): LGBMSklearnKind | null {
  const short = className.replace(/^lightgbm\.sklearn\./, '');
  return Object.hasOwn(KINDS, short) ? KINDS[short] : null;
}

/** A fitted LGBMClassifier/LGBMRegressor/LGBMRanker rebuilt from its pickle. */
export interface LGBMSklearnModel {
  readonly kind: LGBMSklearnKind;
  readonly model: LightGBMModel;
  /** classes_ (LabelEncoder's), for classifiers. */
  readonly classes: NdArray | null;
  /** Booster.best_iteration (0: none), which predict uses when num_iteration is not given. */
  readonly bestIteration: number;
}

/**
 * Reads an unpickled LGBMModel: its `_Booster` holds the model as LightGBM's text (`_handle`,
 * Booster.__getstate__), the wrapper its classes and objective.
 */
export function lgbmFromPickled(obj: PyInstance, where: string): LGBMSklearnModel {
  const kind = lgbmSklearnKind(`${obj.module}.${obj.name}`);
  if (!kind) throw new MlflowError(`${where}: ${obj.module}.${obj.name} is not a LightGBM sklearn-API model`, 'INVALID_PARAMETER_VALUE');
  const s = obj.state;
  if (s.fitted_ === false || !isPyInstance(s._Booster)) throw new MlflowError(`${where}: the ${obj.name} is not fitted`, 'INVALID_PARAMETER_VALUE');
  if (typeof s._objective !== 'string') {
    throw new MlflowError(`${where}: ${obj.name} has a custom (callable) objective, not supported natively`, 'NOT_IMPLEMENTED');
  }
  const b = s._Booster.state;
  if (typeof b._handle !== 'string') throw new MlflowError(`${where}: the pickled Booster holds no model text`, 'INVALID_PARAMETER_VALUE');
  const model = new LightGBMModel(parseLightGBMText(b._handle, where), where);
  let classes: NdArray | null = null;
  if (kind === 'classifier') {
    const le = s._le;
    const c = isPyInstance(le) ? le.state.classes_ : s._classes;
    if (!isNdArray(c)) throw new MlflowError(`${where}: ${obj.name} has no classes_`, 'INVALID_PARAMETER_VALUE');
    classes = c;
  }
  const best = typeof b.best_iteration === 'number' ? b.best_iteration : 0;
  return { kind, model, classes, bestIteration: best };
}

function withBest(m: LGBMSklearnModel, opts: LightGBMPredictOptions): LightGBMPredictOptions {
  // Booster.predict: num_iteration=None means best_iteration when starting at 0, else all
  if (opts.numIteration === undefined && (opts.startIteration ?? 0) <= 0 && m.bestIteration > 0) return { ...opts, numIteration: m.bestIteration };
  return opts;
}

/** LGBMModel.predict: values, or for a classifier the class index per row (argmax of predict_proba). */
export function lgbmPredict(
  m: LGBMSklearnModel, rows: Float64Array, nRows: number, nCols: number, opts: LightGBMPredictOptions = {},
): { values: LightGBMPrediction } | { classIndex: Float64Array } {
  if (m.kind !== 'classifier' || opts.rawScore || opts.predLeaf) return { values: m.model.predict(rows, nRows, nCols, withBest(m, opts)) };
  const p = lgbmPredictProba(m, rows, nRows, nCols, opts);
  const k = p.shape[1];
  const idx = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p.data[r * k + j] > p.data[r * k + best]) best = j;
    idx[r] = best;
  }
  return { classIndex: idx };
}

/** LGBMClassifier.predict_proba: (n, classes); a binary model's p becomes [1 - p, p]. */
export function lgbmPredictProba(m: LGBMSklearnModel, rows: Float64Array, nRows: number, nCols: number, opts: LightGBMPredictOptions = {}): LightGBMPrediction {
  const p = m.model.predict(rows, nRows, nCols, withBest(m, opts));
  if (p.shape.length === 2 || opts.rawScore || opts.predLeaf) return p;
  const out = new Float64Array(nRows * 2);
  for (let r = 0; r < nRows; r++) {
    out[r * 2] = 1 - p.data[r];
    out[r * 2 + 1] = p.data[r];
  }
  return { data: out, shape: [nRows, 2] };
}

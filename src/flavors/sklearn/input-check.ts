import { MlflowError } from '../../errors.js';
import { allFinite } from '../../numeric/all-finite.js';
import { numCols, type Data } from './data.js';

/**
 * How sklearn 1.2's check_array treats missing and infinite values for each estimator (its
 * `allow_nan` tag and the force_all_finite argument its methods pass): 'finite' refuses NaN and
 * infinity, 'allow-nan' refuses infinity only, 'none' checks no values (encoders, function
 * transformers, dummies and meta-estimators, whose parts check their own input).
 */
type ValueCheck = 'finite' | 'allow-nan' | 'none';

const ALLOW_NAN = new Set([
  'SimpleImputer',
  'StandardScaler',
  'MinMaxScaler',
  'MaxAbsScaler',
  'RobustScaler',
  'PowerTransformer',
  'QuantileTransformer',
  'MissingIndicator',
  'IterativeImputer',
  'KNNImputer',
  // XGBoost and LightGBM route NaN as missing (src/boosters)
  'XGBClassifier', 'XGBRegressor', 'XGBRFClassifier', 'XGBRFRegressor', 'XGBRanker', 'LGBMClassifier', 'LGBMRegressor', 'LGBMRanker',
]);

/**
 * Tree models decide about NaN themselves, per fitted tree: sklearn >= 1.3 trees that record
 * missing_go_to_left route NaN, older ones refuse it (tree.ts, flat-forest.ts). Infinity is
 * refused here, as for every validated estimator.
 */
const TREES_DECIDE_NAN = new Set([
  'DecisionTreeClassifier',
  'DecisionTreeRegressor',
  'ExtraTreeClassifier',
  'ExtraTreeRegressor',
  'RandomForestClassifier',
  'RandomForestRegressor',
  'ExtraTreesClassifier',
  'ExtraTreesRegressor',
  'GradientBoostingClassifier',
  'GradientBoostingRegressor',
]);

/**
 * Estimators whose allow_nan tag a later scikit-learn turned on, with that version: their
 * pickles from it on take NaN (IsolationForest >= 1.6 routes it through its trees'
 * missing_go_to_left), older ones refuse it as their scikit-learn did.
 */
const ALLOW_NAN_SINCE: Record<string, [number, number]> = {
  IsolationForest: [1, 6],
};

const NO_VALUE_CHECK = new Set([
  'TransformedTargetRegressor',
  'DummyClassifier',
  'DummyRegressor',
  'VotingClassifier',
  'VotingRegressor',
  'BaggingClassifier',
  'BaggingRegressor',
  // their predict calls their parts' without check_array
  'OneVsRestClassifier',
  'OneVsOneClassifier',
  'CalibratedClassifierCV',
  'MultiOutputClassifier',
  'MultiOutputRegressor',
  'FeatureUnion',
  'Pipeline',
  // best_estimator_ / estimator_ / estimators_ answer: they check their input themselves
  'GridSearchCV',
  'RandomizedSearchCV',
  'FixedThresholdClassifier',
  'TunedThresholdClassifierCV',
  'StackingClassifier',
  'StackingRegressor',
  'RANSACRegressor',
  'FunctionTransformer',
  // HistGradientBoosting validates with force_all_finite=False: NaN is missing, and +-inf follow
  // a numeric split by its threshold (a log or reciprocal before it makes them)
  'HistGradientBoostingClassifier',
  'HistGradientBoostingRegressor',
  'OneHotEncoder',
  'OrdinalEncoder',
  'TargetEncoder',
]);

/** `atLeast(major, minor)`: whether the pickle was written by that scikit-learn version or later. */
function valueCheckOf(className: string, atLeast: (major: number, minor: number) => boolean): ValueCheck {
  if (NO_VALUE_CHECK.has(className)) return 'none';
  const since = Object.hasOwn(ALLOW_NAN_SINCE, className) ? ALLOW_NAN_SINCE[className] : null;
  if (since && atLeast(since[0], since[1])) return 'allow-nan';
  return ALLOW_NAN.has(className) || TREES_DECIDE_NAN.has(className) ? 'allow-nan' : 'finite';
}

/** The first non-finite value of `values` (NaN or ±Infinity) that is refused, or undefined. */
function firstRefused(values: Float64Array, allowNan: boolean): number | undefined {
  if (allFinite(values)) return undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0 && !(allowNan && v !== v)) return v;
  }
  return undefined;
}

/**
 * sklearn's check_array on the values an estimator's method receives: at least one row, and no
 * NaN or infinity where the estimator refuses them, with sklearn's messages. `rowsOnly`: the
 * estimator checks the values itself (Estimator.checksFiniteMatrix), calling this when it finds one.
 */
export function checkInputValues(className: string, x: Data, atLeast: (major: number, minor: number) => boolean, rowsOnly = false): void {
  if (x.rows === 0) {
    throw new MlflowError(`Found array with 0 sample(s) (shape=(0, ${numCols(x)})) while a minimum of 1 is required by ${className}.`, 'INVALID_PARAMETER_VALUE');
  }
  const check = valueCheckOf(className, atLeast);
  if (check === 'none' || rowsOnly) return;
  const columns = x.kind === 'matrix' ? [x.data] : x.kind === 'csr' ? [x.values] : x.columns.filter((c): c is Float64Array => c instanceof Float64Array);
  for (const values of columns) {
    const bad = firstRefused(values, check === 'allow-nan');
    if (bad === undefined) continue;
    if (Number.isNaN(bad)) {
      throw new MlflowError(`Input X contains NaN. ${className} does not accept missing values encoded as NaN natively.`, 'INVALID_PARAMETER_VALUE');
    }
    throw new MlflowError("Input X contains infinity or a value too large for dtype('float64').", 'INVALID_PARAMETER_VALUE');
  }
}

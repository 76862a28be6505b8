import { MlflowError, NotSupportedNativelyError } from '../../errors.js';
import type { PyInstance } from '../../formats/pickle/types.js';
import { allFinite } from '../../numeric/all-finite.js';
import { numCols, type Data } from './data.js';
import { isInstance } from './state.js';

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
  'VarianceThreshold',
  'IterativeImputer',
  'KNNImputer',
  // XGBoost and LightGBM route NaN as missing (src/boosters)
  'XGBClassifier', 'XGBRegressor', 'XGBRFClassifier', 'XGBRFRegressor', 'XGBRanker', 'LGBMClassifier', 'LGBMRegressor', 'LGBMRanker',
]);

/**
 * Estimators whose allow_nan tag a later scikit-learn turned on, with that version: their
 * pickles from it on take NaN (IsolationForest >= 1.6 routes it through its trees'
 * missing_go_to_left), older ones refuse it as their scikit-learn did.
 */
const ALLOW_NAN_SINCE: Record<string, [number, number]> = {
  IsolationForest: [1, 6],
};

/** A forest's trees: the class it makes them of (its criterion, the tree's default splitter). */
const FOREST_TREES: Record<string, string> = {
  RandomForestClassifier: 'DecisionTreeClassifier',
  RandomForestRegressor: 'DecisionTreeRegressor',
  ExtraTreesClassifier: 'ExtraTreeClassifier',
  ExtraTreesRegressor: 'ExtraTreeRegressor',
};

const TREES = new Set(['DecisionTreeClassifier', 'DecisionTreeRegressor', 'ExtraTreeClassifier', 'ExtraTreeRegressor']);

/** The criteria a 1.3-1.8 tree takes NaN with. */
const NAN_CRITERIA = { classifier: new Set(['gini', 'log_loss', 'entropy']), regressor: new Set(['squared_error', 'friedman_mse', 'poisson']) };

/**
 * Estimators whose allow_nan tag a scikit-learn after 1.2 sets from their parameters or parts
 * (bagging, voting, stacking, pipelines, neighbours' nan_euclidean, encoders...), which we do not
 * compute: a selector wrapping one refuses NaN by name from 1.3 (1.2.1 sets none of them).
 */
const TAG_NOT_READ = new Set([
  'BaggingClassifier', 'BaggingRegressor', 'VotingClassifier', 'VotingRegressor', 'StackingClassifier', 'StackingRegressor',
  'KNeighborsClassifier', 'KNeighborsRegressor', 'RadiusNeighborsClassifier', 'RadiusNeighborsRegressor', 'NearestCentroid',
  'Pipeline', 'GridSearchCV', 'RandomizedSearchCV', 'OneHotEncoder', 'OrdinalEncoder', 'TargetEncoder', 'SplineTransformer',
]);

/** Feature selectors whose transform takes the allow_nan tag of their unfitted `estimator`. */
const SELECTORS_TAKING_TAG = new Set(['SelectFromModel', 'RFE', 'RFECV', 'SequentialFeatureSelector']);

/**
 * A decision tree's allow_nan tag, which its predict (and a forest's, from 1.4) follows: read
 * from 1.2.1, 1.6.1 and 1.9.1 and the changelogs between (NaN support came to the best splitter
 * in 1.3, forests in 1.4, the random splitter and ExtraTrees in 1.6, every criterion by 1.9).
 * undefined where we have not read the rule of the pickle's version.
 */
function treeTag(name: string, splitter: unknown, criterion: unknown, atLeast: VersionTest): boolean | undefined {
  if (!atLeast(1, 3)) return false;
  const extra = name.startsWith('Extra');
  if (atLeast(1, 9)) return extra ? splitter === 'random' : true;
  const criterionOk = NAN_CRITERIA[name.endsWith('Classifier') ? 'classifier' : 'regressor'].has(criterion as string);
  if (!criterionOk) return atLeast(1, 7) ? undefined : false;
  if (!atLeast(1, 6)) return splitter === 'best' ? true : undefined;
  // 1.6: ExtraTreeClassifier asks for the random splitter; 1.6.1's ExtraTreeRegressor keeps
  // DecisionTreeRegressor's rule (its own assignment is a no-op there), 1.9.1's asks for random
  if (name === 'ExtraTreeClassifier') return splitter === 'random';
  if (splitter !== 'best' && splitter !== 'random') return false;
  return extra && splitter === 'best' && atLeast(1, 7) ? undefined : true;
}

/**
 * scikit-learn's allow_nan tag of an estimator (as check_array reads it for the estimators whose
 * tag depends on their parameters): undefined where we have not read it for the pickle's version.
 */
function allowNanTag(inst: PyInstance, atLeast: VersionTest): boolean | undefined {
  const { name, state } = inst;
  if (TREES.has(name)) return treeTag(name, state.splitter, state.criterion, atLeast);
  if (Object.hasOwn(FOREST_TREES, name)) {
    if (!atLeast(1, 4)) return false;
    const tree = FOREST_TREES[name];
    return treeTag(tree, tree.startsWith('Extra') ? 'random' : 'best', state.criterion, atLeast);
  }
  if (SELECTORS_TAKING_TAG.has(name)) return isInstance(state.estimator) ? allowNanTag(state.estimator, atLeast) : undefined;
  if (TAG_NOT_READ.has(name)) return atLeast(1, 3) ? undefined : false;
  if (name === 'HistGradientBoostingClassifier' || name === 'HistGradientBoostingRegressor') return true;
  const since = Object.hasOwn(ALLOW_NAN_SINCE, name) ? ALLOW_NAN_SINCE[name] : null;
  if (since) return atLeast(since[0], since[1]);
  return ALLOW_NAN.has(name);
}

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
type VersionTest = (major: number, minor: number) => boolean;

/** 'nan-unread': infinity refused, NaN refused by name (the allow_nan tag of that version is not read). */
function valueCheckOf(inst: PyInstance, atLeast: VersionTest): ValueCheck | 'nan-unread' {
  if (NO_VALUE_CHECK.has(inst.name)) return 'none';
  const tag = allowNanTag(inst, atLeast);
  return tag === undefined ? 'nan-unread' : tag ? 'allow-nan' : 'finite';
}

/** What check_array's NaN message goes on to say, after the estimator's name (one line here). */
const NAN_ADVICE =
  ' For supervised learning, you might want to consider sklearn.ensemble.HistGradientBoostingClassifier and Regressor which accept missing values encoded as NaNs natively.' +
  ' Alternatively, it is possible to preprocess the data, for instance by using an imputer transformer in a pipeline or drop samples with missing values.' +
  ' See https://scikit-learn.org/stable/modules/impute.html You can find a list of all estimators that handle NaN values at the following page:' +
  ' https://scikit-learn.org/stable/modules/impute.html#estimators-that-handle-nan-values';

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
export function checkInputValues(estimator: PyInstance | string, x: Data, atLeast: VersionTest, rowsOnly = false): void {
  const inst = typeof estimator === 'string' ? { kind: 'instance' as const, module: '', name: estimator, state: {}, args: [] } : estimator;
  const className = inst.name;
  if (x.rows === 0) {
    throw new MlflowError(`Found array with 0 sample(s) (shape=(0, ${numCols(x)})) while a minimum of 1 is required by ${className}.`, 'INVALID_PARAMETER_VALUE');
  }
  const check = valueCheckOf(inst, atLeast);
  if (check === 'none' || rowsOnly) return;
  const columns = x.kind === 'matrix' ? [x.data] : x.kind === 'csr' ? [x.values] : x.columns.filter((c): c is Float64Array => c instanceof Float64Array);
  for (const values of columns) {
    const bad = firstRefused(values, check !== 'finite');
    if (bad === undefined) continue;
    if (Number.isNaN(bad)) {
      throw new MlflowError(`Input X contains NaN. ${className} does not accept missing values encoded as NaN natively.${NAN_ADVICE}`, 'INVALID_PARAMETER_VALUE');
    }
    throw new MlflowError("Input X contains infinity or a value too large for dtype('float64').", 'INVALID_PARAMETER_VALUE');
  }
  if (check === 'nan-unread' && columns.some((values) => !allFinite(values))) {
    throw new NotSupportedNativelyError(
      `${className} from scikit-learn ${String(inst.state._sklearn_version)}: whether it takes NaN (its allow_nan tag${SELECTORS_TAKING_TAG.has(className) ? ', its estimator\'s' : ''}) is not read for this version; this input holds NaN`,
    );
  }
}

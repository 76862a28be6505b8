import { MlflowError } from '../../errors.js';
import { numCols, type Data } from './data.js';

/**
 * How sklearn 1.2's check_array treats missing and infinite values for each estimator (its
 * `allow_nan` tag and the force_all_finite argument its methods pass): 'finite' refuses NaN and
 * infinity, 'allow-nan' refuses infinity only, 'none' checks no values (encoders, function
 * transformers, dummies and meta-estimators, whose parts check their own input).
 */
type ValueCheck = 'finite' | 'allow-nan' | 'none';

const ALLOW_NAN = new Set([
  'HistGradientBoostingClassifier',
  'HistGradientBoostingRegressor',
  'SimpleImputer',
  'StandardScaler',
  'MinMaxScaler',
  'MaxAbsScaler',
  'RobustScaler',
]);

const NO_VALUE_CHECK = new Set([
  'TransformedTargetRegressor',
  'DummyClassifier',
  'DummyRegressor',
  'VotingClassifier',
  'VotingRegressor',
  'BaggingClassifier',
  'BaggingRegressor',
  'FeatureUnion',
  'Pipeline',
  'FunctionTransformer',
  'OneHotEncoder',
  'OrdinalEncoder',
]);

function valueCheckOf(className: string): ValueCheck {
  if (NO_VALUE_CHECK.has(className)) return 'none';
  return ALLOW_NAN.has(className) ? 'allow-nan' : 'finite';
}

/** The first non-finite value of `values` (NaN or ±Infinity), or undefined. */
function firstNonFinite(values: Float64Array, allowNan: boolean): number | undefined {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // v - v is 0 for every finite number and NaN for NaN and ±Infinity: one test per value.
    if (v - v !== 0 && !(allowNan && v !== v)) return v;
  }
  return undefined;
}

/**
 * sklearn's check_array on the values an estimator's method receives: at least one row, and no
 * NaN or infinity where the estimator refuses them, with sklearn's messages.
 */
export function checkInputValues(className: string, x: Data): void {
  if (x.rows === 0) {
    throw new MlflowError(`Found array with 0 sample(s) (shape=(0, ${numCols(x)})) while a minimum of 1 is required by ${className}.`, 'INVALID_PARAMETER_VALUE');
  }
  const check = valueCheckOf(className);
  if (check === 'none') return;
  const columns = x.kind === 'matrix' ? [x.data] : x.columns.filter((c): c is Float64Array => c instanceof Float64Array);
  for (const values of columns) {
    const bad = firstNonFinite(values, check === 'allow-nan');
    if (bad === undefined) continue;
    if (Number.isNaN(bad)) {
      throw new MlflowError(`Input X contains NaN. ${className} does not accept missing values encoded as NaN natively.`, 'INVALID_PARAMETER_VALUE');
    }
    throw new MlflowError("Input X contains infinity or a value too large for dtype('float64').", 'INVALID_PARAMETER_VALUE');
  }
}

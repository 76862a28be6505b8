import { MlflowError, NotSupportedNativelyError } from '../../errors.js';
import type { PyInstance } from '../../formats/pickle/types.js';
import { numCols, oneDError, type Data } from './data.js';
import type { Builder, Estimator } from './estimator.js';
import { boosterBuilders, boosterHelpers } from './estimators/booster-wrappers.js';
import { composeBuilders, composeHelpers, selectsByName } from './estimators/compose.js';
import { decompositionBuilders } from './estimators/decomposition.js';
import { dictFeatureBuilders, takesMappings } from './estimators/dict-features.js';
import { discretizationBuilders } from './estimators/discretization.js';
import { dummyBuilders } from './estimators/dummy.js';
import { featureSelectionBuilders, featureSelectionHelpers } from './estimators/feature-selection.js';
import { multiclassBuilders, multiclassHelpers } from './estimators/multiclass.js';
import { forestBuilders } from './estimators/forest.js';
import { gradientBoostingBuilders, gradientBoostingHelpers } from './estimators/gradient-boosting.js';
import { histGradientBoostingBuilders, histGradientBoostingHelpers } from './estimators/hist-gradient-boosting.js';
import { imputeEncodeBuilders, imputeEncodeHelpers } from './estimators/impute-encode.js';
import { isotonicBuilders } from './estimators/isotonic.js';
import { knnImputerBuilders } from './estimators/knn-imputer.js';
import { quadraticDiscriminantBuilders, quadraticDiscriminantHelpers } from './estimators/quadratic-discriminant.js';
import { ransacBuilders } from './estimators/ransac.js';
import { kernelRidgeBuilders } from './estimators/kernel-ridge.js';
import { chainBuilders } from './estimators/chains.js';
import { calibrationBuilders, calibrationHelpers } from './estimators/calibration.js';
import { mixtureBuilders } from './estimators/mixture.js';
import { linearBuilders, linearHelpers } from './estimators/linear.js';
import { metaBuilders, metaHelpers } from './estimators/meta.js';
import { naiveBayesBuilders } from './estimators/naive-bayes.js';
import { neuralNetworkBuilders, neuralNetworkHelpers } from './estimators/neural-network.js';
import { neighborsBuilders, neighborsHelpers } from './estimators/neighbors.js';
import { isNumpyFunction, preprocessingBuilders } from './estimators/preprocessing.js';
import { stackingBuilders } from './estimators/stacking.js';
import { powerTransformerBuilders } from './estimators/power-transformer.js';
import { quantileTransformerBuilders } from './estimators/quantile-transformer.js';
import { splineTransformerBuilders, splineTransformerHelpers } from './estimators/spline-transformer.js';
import { svmBuilders } from './estimators/svm.js';
import { takesDocuments, textBuilders, textHelpers } from './estimators/text.js';
import { treeBuilders, treeHelpers } from './estimators/tree.js';
import { isInstance, State } from './state.js';
import { checkInputValues } from './input-check.js';

const BUILDERS: Record<string, Builder> = {
  ...linearBuilders, ...treeBuilders, ...forestBuilders, ...gradientBoostingBuilders,
  ...histGradientBoostingBuilders, ...dummyBuilders, ...neighborsBuilders, ...svmBuilders,
  ...naiveBayesBuilders, ...decompositionBuilders, ...preprocessingBuilders, ...imputeEncodeBuilders,
  ...composeBuilders, ...metaBuilders, ...neuralNetworkBuilders, ...boosterBuilders, ...featureSelectionBuilders,
  ...multiclassBuilders, ...discretizationBuilders, ...stackingBuilders, ...isotonicBuilders,
  ...kernelRidgeBuilders, ...chainBuilders, ...calibrationBuilders, ...mixtureBuilders,
  ...textBuilders, ...dictFeatureBuilders, ...powerTransformerBuilders, ...quantileTransformerBuilders, ...splineTransformerBuilders,
  ...knnImputerBuilders, ...quadraticDiscriminantBuilders, ...ransacBuilders,
};

/** Classes read only as parts of a supported estimator (trees, losses, search structures...). */
const HELPERS = new Set([
  ...treeHelpers, ...linearHelpers, ...gradientBoostingHelpers, ...histGradientBoostingHelpers,
  ...neighborsHelpers, ...composeHelpers, ...metaHelpers, ...neuralNetworkHelpers, ...boosterHelpers, ...featureSelectionHelpers,
  ...multiclassHelpers, ...calibrationHelpers,
  ...multiclassHelpers,
  ...textHelpers, ...splineTransformerHelpers, ...imputeEncodeHelpers, ...quadraticDiscriminantHelpers,
  // newer numpy names the bit generator class in a pickled RandomState (GradientBoosting's _rng),
  // and scikit-learn >= 1.4 keeps a numpy Generator (PCG64 seeded by a SeedSequence) in
  // HistGradientBoosting: inert data, never used to predict;
  // older numpy pickles a ufunc (FunctionTransformer's func) through _ufunc_reconstruct
  'numpy.random._mt19937.MT19937', 'numpy.random._pcg64.PCG64', 'numpy.random._pcg64.PCG64DXSM',
  'numpy.random._philox.Philox', 'numpy.random._sfc64.SFC64',
  'numpy.random.bit_generator.SeedSequence', 'numpy.random.bit_generator.__pyx_unpickle_SeedSequence',
  'numpy.core._ufunc_reconstruct', 'numpy._core._ufunc_reconstruct',
  // FunctionTransformer(partial(check_array, ...)) in HistGradientBoosting's from_dtype preprocessor
  'functools.partial', 'sklearn.utils.check_array',
]);

/**
 * The name a class is known by: sklearn classes by public package and class name
 * (sklearn.linear_model._logistic.X and sklearn 0.19's sklearn.linear_model.logistic.X both
 * become sklearn.linear_model.X), anything else by its full path.
 */
export function canonicalName(module: string, name: string): string {
  // scikit-learn >= 1.5's Cython losses pickle under their extension's bare name (_loss.CyHalfSquaredError)
  if (module === '_loss') return `sklearn._loss.${name}`;
  const parts = module.split('.');
  if (parts[0] === 'sklearn' && parts.length >= 2) return `sklearn.${parts[1]}.${name}`;
  return `${module}.${name}`;
}

/** The pickle reader's allow-list: exactly the estimators implemented here and their parts. */
export function allowSklearnGlobal(module: string, name: string): boolean {
  const key = canonicalName(module, name);
  return Object.hasOwn(BUILDERS, key) || HELPERS.has(key) || HELPERS.has(`${module}.${name}`) || isNumpyFunction(module, name);
}

export function unsupportedMessage(className: string): string {
  return `${className} is not supported natively`;
}

/** Rebuilds a fitted estimator from the object the pickle reader produced. */
export function buildEstimator(obj: unknown, where = 'the pickled model'): Estimator {
  if (!isInstance(obj)) {
    throw new MlflowError(`${where} is not a scikit-learn estimator object`, 'INVALID_PARAMETER_VALUE');
  }
  const key = canonicalName(obj.module, obj.name);
  const builder = Object.hasOwn(BUILDERS, key) ? BUILDERS[key] : undefined;
  if (!builder) throw new NotSupportedNativelyError(unsupportedMessage(`${obj.module}.${obj.name}`));
  const est = withOutputContainer(obj, builder(new State(obj), buildEstimator));
  if (takesDocuments.has(key) || takesMappings.has(key)) return est;
  return selectsByName.has(key) ? est : withFeatureCheck(obj, est, PASS_ONE_D.has(key));
}

/**
 * `set_output(transform='pandas'|'polars')` makes scikit-learn's transform answer a DataFrame
 * (named by get_feature_names_out, which pyfunc would answer as records); ours answers an array.
 * A step inside a Pipeline only changes the container the next step sees, so transform stays
 * callable by the parts that hold it, but serving it is refused by name.
 */
function withOutputContainer(inst: PyInstance, est: Estimator): Estimator {
  const config = inst.state._sklearn_output_config;
  const container = config instanceof Map ? config.get('transform') : undefined;
  if (!est.transform || container === undefined || container === 'default') return est;
  const why = `set_output(transform=${JSON.stringify(container)}) answers a DataFrame, not an array`;
  return { ...est, notNative: { ...est.notNative, transform: why } };
}

/**
 * Estimators that hand a 1-D input (documents) on to their parts unchecked, as their sklearn
 * methods call their parts' methods on X without check_array.
 */
const PASS_ONE_D = new Set([
  'sklearn.pipeline.Pipeline', 'sklearn.pipeline.FeatureUnion',
  'sklearn.model_selection.GridSearchCV', 'sklearn.model_selection.RandomizedSearchCV',
  'sklearn.ensemble.VotingClassifier', 'sklearn.ensemble.VotingRegressor',
  'sklearn.compose.TransformedTargetRegressor', 'sklearn.multiclass.OneVsRestClassifier',
]);

/** Estimators whose methods look at X only for its length (sklearn's dummy estimators). */
const NO_FEATURE_CHECK = new Set(['DummyClassifier', 'DummyRegressor']);

/**
 * sklearn's input validation before every method: a DataFrame's columns must be the names seen
 * at fit, in fit order (from 1.2 another order is an error; before, sklearn warned and took the
 * columns by position, as we do), the number of columns must be n_features_in_, and the values
 * pass check_array (checkInputValues). A served model with a signature gets its columns in
 * signature order from pyfunc's schema enforcement, before this check.
 */
function withFeatureCheck(inst: PyInstance, est: Estimator, passOneD: boolean): Estimator {
  // Dummy* and FunctionTransformer(validate=False) take X as it comes: no name or width check
  const unchecked = NO_FEATURE_CHECK.has(inst.name) || (inst.name === 'FunctionTransformer' && inst.state.validate !== true);
  const fitNames = unchecked ? null : namesOf(inst.state.feature_names_in_);
  const nIn = !unchecked && typeof inst.state.n_features_in_ === 'number' ? inst.state.n_features_in_ : null;
  const state = new State(inst);
  const atLeast = (major: number, minor: number): boolean => state.sklearnAtLeast(major, minor);
  const check = (x: Data): Data => {
    if ((x.kind === 'table' || x.kind === 'matrix') && x.oneD) {
      if (passOneD) return x;
      throw oneDError();
    }
    if (x.kind === 'matrix' && x.blocks) throw new MlflowError(`Found array with dim 3. ${inst.name} expected <= 2.`, 'INVALID_PARAMETER_VALUE');
    if (fitNames && x.names) {
      const missing = fitNames.filter((n) => !x.names!.includes(n));
      const extra = x.names.filter((n) => !fitNames.includes(n));
      if (missing.length > 0 || extra.length > 0) {
        let msg = 'The feature names should match those that were passed during fit.';
        if (extra.length > 0) msg += ` Feature names unseen at fit time: ${extra.join(', ')}.`;
        if (missing.length > 0) msg += ` Feature names seen at fit time, yet now missing: ${missing.join(', ')}.`;
        throw new MlflowError(msg, 'INVALID_PARAMETER_VALUE');
      }
      if (atLeast(1, 2) && fitNames.some((n, j) => x.names![j] !== n)) {
        throw new MlflowError(
          'The feature names should match those that were passed during fit. Feature names must be in the same order as they were in fit.',
          'INVALID_PARAMETER_VALUE',
        );
      }
    }
    if (nIn !== null && numCols(x) !== nIn) {
      throw new MlflowError(
        `X has ${numCols(x)} features, but ${inst.name} is expecting ${nIn} features as input.`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    checkInputValues(inst, x, atLeast, est.checksFiniteMatrix === true && x.kind === 'matrix');
    return x;
  };
  const wrapped: Estimator = { className: est.className, notNative: est.notNative };
  if (est.predict) wrapped.predict = (x) => est.predict!(check(x));
  if (est.predictProba) wrapped.predictProba = (x) => est.predictProba!(check(x));
  if (est.predictLogProba) wrapped.predictLogProba = (x) => est.predictLogProba!(check(x));
  if (est.decisionFunction) wrapped.decisionFunction = (x) => est.decisionFunction!(check(x));
  if (est.transform) wrapped.transform = (x) => est.transform!(check(x));
  if (est.scoreSamples) wrapped.scoreSamples = (x) => est.scoreSamples!(check(x));
  if (est.inverseTransform) wrapped.inverseTransform = est.inverseTransform;
  return wrapped;
}

function namesOf(v: unknown): string[] | null {
  if (typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'ndarray') {
    const d = (v as { data: unknown }).data;
    if (Array.isArray(d) && d.every((n) => typeof n === 'string')) return d as string[];
  }
  return null;
}

export function supportedEstimators(): string[] {
  return Object.keys(BUILDERS).sort();
}

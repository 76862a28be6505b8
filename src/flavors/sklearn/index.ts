// The XGBoost/LightGBM wrappers' builders, so that buildEstimator knows them (booster-wrappers.ts).
import './estimators/boosters.js';
export { FLAVOR_NAME, loadSklearnFlavor } from './flavor.js';
export { loadSklearnEstimator } from './load.js';
export { allowSklearnGlobal, buildEstimator, supportedEstimators } from './build.js';
export { callMethod, SKLEARN_METHODS } from './methods.js';
export type { Estimator, SklearnMethod } from './estimator.js';
export { saveModel, PICKLED_MODEL_FILE, type SaveSklearnOptions } from './save.js';

/**
 * mlflow-ts's public API. Importing it registers the built-in flavors and the store's model URI
 * schemes (runs:, models:, mlflow-artifacts:, http(s):, s3:, gs:). Flavor modules are exported as
 * namespaces, since each has its own saveModel.
 */
import './flavors/index.js';

export { MlflowError, ModelRaisedError, NotSupportedNativelyError, isNotSupportedNatively, httpStatusOf, type ErrorCode } from './errors.js';
export { VERSION, MLFLOW_COMPAT_VERSION } from './version.js';
export * from './model/index.js';
export * from './frame/index.js';
export * from './store/index.js';
export * from './pyfunc/index.js';
export { registerFlavor, unregisterFlavor, getFlavor, registeredFlavors } from './flavors/registry.js';
export type { Flavor, FlavorModel, LoadContext, LoadOptions, Params, PredictInput, PredictOutput } from './flavors/flavor.js';
export * as jsFunction from './flavors/js_function/index.js';
export * as pythonFunction from './flavors/python_function/index.js';
export * as sklearn from './flavors/sklearn/index.js';
export * as spark from './flavors/spark/index.js';
export * as tensorflow from './flavors/tensorflow/index.js';
export * as tfjs from './flavors/tfjs/index.js';
export * as onnx from './flavors/onnx/index.js';
export * as xgboost from './boosters/xgboost/index.js';
export * as lightgbm from './boosters/lightgbm/index.js';
export * as pickle from './formats/pickle/index.js';
export * from './serve/index.js';

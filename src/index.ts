/**
 * mlflow-ts's public API: this list, on purpose, and nothing else (README "Library API").
 * Importing it registers the built-in flavors (each loaded on first use) and the store's model
 * URI schemes (runs:, models:, mlflow-artifacts:, http(s):, s3:, gs:, wasbs:), not the store's
 * barrel (store/index.ts), whose S3, GCS and Azure repositories only URIs of theirs load.
 *
 * Elsewhere, as subpaths: a flavor's own API (saveModel...) at `mlflow-ts/flavors/<name>`, the
 * XGBoost/LightGBM readers at `mlflow-ts/boosters/<name>`, Arrow and Parquet at `mlflow-ts/arrow`
 * and `mlflow-ts/parquet`. They are apart so that importing this module stays fast and its
 * declarations never name an optional package's types (tfjs, onnxruntime, the AWS SDK).
 */
import './flavors/index.js';
import './store/uri-schemes.js';

// Errors, with MLflow's error codes.
export { MlflowError, ModelRaisedError, NotSupportedNativelyError, isNotSupportedNatively, httpStatusOf, type ErrorCode } from './errors.js';
export { VERSION, MLFLOW_COMPAT_VERSION } from './version.js';

// The MLmodel file: Model, signatures, input examples, environments.
export { Model, MLMODEL_FILE_NAME, type FlavorConf, type ModelInit } from './model/model.js';
export type { SaveOptions } from './model/save.js';
export {
  AnyType, ArrayType, ColSpec, DATA_TYPES, MapType, ModelSignature, ObjectType, ParamSchema, ParamSpec, Property, Schema, TensorSpec,
  type ColType, type DataType, type InputSpec, type ParamType, type SignatureDict,
} from './model/signature.js';
export { inferSignature } from './model/infer-signature.js';
export { loadInputExample, type InputExample, type LoadedInputExample, type SavedInputExampleInfo } from './model/input-example.js';
export { PyFloat } from './formats/python-json.js';
export { registerModelUriResolver, type ModelUriResolver } from './model/uri-resolver.js';
export type { PythonEnvironment } from './model/environment.js';

// Tables and tensors, and the scoring wire formats.
export { Frame, isFrame, type Column, type ColumnData, type NumericArray, type NumericDType } from './frame/frame.js';
export { isTensor, makeTensor, type Tensor, type TensorDType } from './frame/tensor.js';
export { tensorFromJson, tensorToNested } from './frame/tensor-json.js';
export { frameFromColumns, frameFromRecords, frameFromRows } from './frame/frame-from-json.js';
export { frameToColumns, frameToRecords, sliceFrame } from './frame/frame-rows.js';
export { parseJsonRequest, type ParsedRequest } from './frame/request-json.js';
export { parseCsvRequest } from './frame/request-csv.js';
export { predictionsToJson } from './frame/predictions-json.js';
export { readFrameBatches, type BatchFormat, type BatchSource, type ReadBatchesOptions } from './frame/batch-read.js';
export { createFrameWriter, type FrameWriter } from './frame/batch-write.js';

// The generic predict, and flavors.
export { loadPredictor, planRuntime } from './pyfunc/deferred.js';
export type { LoadPredictorOptions, RuntimePlan } from './pyfunc/load-predictor.js';
export type { NamedTensors, Prediction, PredictOptions, Predictor, Records } from './pyfunc/predictor.js';
export { registerFlavor, unregisterFlavor, getFlavor, registeredFlavors } from './flavors/registry.js';
export type { Flavor, FlavorModel, LoadContext, LoadOptions, Params, PredictInput, PredictOutput } from './flavors/flavor.js';

// Tracking and registry.
export { MlflowClient } from './store/client.js';
export type {
  Experiment, FileInfo, LifecycleStage, Metric, ModelVersion, RegisteredModel, Run, RunData, RunInfo, RunStatus, Stage,
} from './store/entities.js';
export { logModel, registerModel, type LogModelOptions, type ModelInfo } from './store/log-model.js';

// Serving and batch scoring.
export { createScoringServer, type ScoringServer, type ScoringServerOptions } from './serve/scoring-server.js';
export type { ServeModelOptions } from './serve/serve-model.js';
export type { BatchInputFormat, BatchOutputFormat, BatchPredictOptions } from './serve/batch-predict.js';
export { serveModel, batchPredict } from './serve/deferred.js';

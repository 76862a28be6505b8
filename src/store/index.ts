/**
 * store/: model URIs (runs:/, models:/, mlflow-artifacts:/, http(s) artifact proxies, s3://, gs://, wasbs://), the
 * tracking and registry stores (MLflow's ./mlruns file store, or a tracking server over REST),
 * artifact repositories, logModel and registerModel.
 *
 * Importing this module registers the runs:, models:, mlflow-artifacts:, http:, https:, s3:, gs: and
 * wasbs: resolvers with model/, so that Model.load('models:/iris@champion') works. Remote models are
 * downloaded into a new folder per load, under a per-process folder removed at exit.
 */
import './uri-schemes.js';

export { MlflowClient } from './client.js';
export type {
  Experiment, FileInfo, LifecycleStage, Metric, ModelVersion, RegisteredModel, Run, RunData, RunInfo, RunStatus, Stage,
} from './entities.js';
export { STAGES } from './entities.js';
export type { ArtifactRepository, CreateModelVersionArgs, CreateRunArgs, LogBatch, RegistryStore, TrackingStore } from './store.js';
export { FileTrackingStore } from './file-tracking-store.js';
export { FileRegistryStore } from './file-registry-store.js';
export { RestStore } from './rest-store.js';
export { callEndpoint, hostCredsFromEnv, httpRequest, type HostCreds } from './rest-client.js';
export { registerRequestAuthProvider, type RequestAuthProvider } from './request-auth.js';
export { retryPolicyFromEnv, type RetryPolicy } from './retry-policy.js';
export { LocalArtifactRepository } from './local-artifact-repository.js';
export { HttpArtifactRepository } from './http-artifact-repository.js';
export { S3ArtifactRepository, parseS3Uri, type S3Location } from './s3-artifact-repository.js';
export { GcsArtifactRepository, parseGcsUri, type GcsLocation, type GcsOptions } from './gcs-artifact-repository.js';
export { AzureBlobArtifactRepository, parseWasbsUri, type WasbsLocation } from './azure-blob-artifact-repository.js';
export { getArtifactRepository, resolveMlflowArtifactsUri, type ArtifactContext } from './artifact-repository.js';
export { parseModelsUri, parseRunsUri, type ParsedModelsUri, type ParsedRunsUri } from './model-uri.js';
export { modelVersionForUri } from './registry-uri.js';
export { getRegistryUri, getTrackingUri, parseStoreUri, type StoreLocation } from './tracking-uri.js';
export { logModel, loggedModelTags, registerModel, type LogModelOptions, type ModelInfo } from './log-model.js';
export { describeModel, type ModelDescription } from './model-description.js';
export { canonicalStage } from './stage.js';

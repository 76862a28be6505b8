// Importing this module registers the `sagemaker` deployment target.
export { sageMakerTarget, sageMakerClient, deployOptionsFromConfig } from './target.js';
export { deploySageMaker, type DeployResult } from './deploy.js';
export { deleteSageMaker, type DeleteOptions } from './delete.js';
export { pushModelToSageMaker } from './push-model.js';
export { deployTransformJob, terminateTransformJob, type TerminateTransformJobOptions, type TransformJobOptions } from './transform-job.js';
export { predictSageMaker } from './predict.js';
export { buildAndPushContainer, type PushImageOptions } from './push-image.js';
export { runLocal, runLocalArgs, type RunLocalOptions } from './run-local.js';
export { awsClients, type AwsClients } from './aws-clients.js';
export { DEFAULT_IMAGE_TAG, IMAGE_URL_ENV, assumedRoleArn, defaultImageUrl, sdkIdentity, type AwsIdentity } from './default-resources.js';
export {
  DEFAULT_IMAGE_NAME,
  DEFAULT_INSTANCE_TYPE,
  DEFAULT_REGION,
  DEFAULT_TIMEOUT_SECONDS,
  DEPLOY_MODES,
  resolveRegion,
  type AsyncInferenceConfig,
  type DeployMode,
  type DeployOptions,
  type ModelOptions,
  type VpcConfig,
} from './deploy-options.js';

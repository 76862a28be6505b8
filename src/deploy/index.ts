// The deploy layer: container images and deployment targets. Importing it registers the
// built-in targets (sagemaker, azureml); others register with registerDeploymentTarget.
import './sagemaker/index.js';
import './azureml/index.js';
export {
  clientMethod,
  deploymentTargets,
  getDeploymentTarget,
  parseConfigPairs,
  registerDeploymentTarget,
  targetName,
  targetPath,
  type DeploymentClient,
  type DeploymentConfig,
  type DeploymentInfo,
  type DeploymentTarget,
} from './target-registry.js';
export { Rollback } from './rollback.js';
export { waitForStatus, type WaitOptions } from './wait-for-status.js';
export * as docker from './docker/index.js';
export * as sagemaker from './sagemaker/index.js';
export * as azureml from './azureml/index.js';

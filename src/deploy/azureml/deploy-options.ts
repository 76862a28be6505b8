import { MlflowError } from '../../errors.js';
import { checkImageName } from '../docker/image-name.js';

export const DEFAULT_INSTANCE_TYPE = 'Standard_DS3_v2';
export const DEFAULT_DEPLOYMENT_NAME = 'default';
/** How long `azureml deploy` waits for each step. */
export const DEFAULT_TIMEOUT_SECONDS = 1800;

/** Online endpoint and deployment names: 3 to 32 letters, digits and hyphens, starting with a letter. */
const NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;

export function checkAzureName(name: string, field: string): string {
  if (!NAME.test(name)) {
    throw new MlflowError(`Invalid ${field} '${name}': 3 to 32 letters, digits and hyphens, starting with a letter`, 'INVALID_PARAMETER_VALUE');
  }
  return name;
}

/** Model asset names: up to 255 letters, digits, '-', '_' and '.', starting with a letter or digit. */
export function checkModelName(name: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/.test(name)) {
    throw new MlflowError(`Invalid model name '${name}': up to 255 letters, digits, '-', '_' and '.', starting with a letter or digit`, 'INVALID_PARAMETER_VALUE');
  }
  return name;
}

export interface OnlineDeploymentSpec {
  endpointName: string;
  deploymentName?: string;
  /** The serving image (from `models build-docker`, pushed to a registry the workspace can pull from). */
  image: string;
  instanceType?: string;
  instanceCount?: number;
  environmentVariables?: Record<string, string>;
}

export function checkSpec(s: OnlineDeploymentSpec): Required<Omit<OnlineDeploymentSpec, 'environmentVariables'>> & Pick<OnlineDeploymentSpec, 'environmentVariables'> {
  checkAzureName(s.endpointName, 'endpoint name');
  const deploymentName = checkAzureName(s.deploymentName ?? DEFAULT_DEPLOYMENT_NAME, 'deployment name');
  checkImageName(s.image, 'image');
  const instanceCount = s.instanceCount ?? 1;
  if (!Number.isInteger(instanceCount) || instanceCount < 1) {
    throw new MlflowError(`Invalid instance count '${instanceCount}': a positive integer`, 'INVALID_PARAMETER_VALUE');
  }
  const instanceType = s.instanceType ?? DEFAULT_INSTANCE_TYPE;
  if (!/^[A-Za-z0-9_]+$/.test(instanceType)) throw new MlflowError(`Invalid instance type '${instanceType}' (e.g. ${DEFAULT_INSTANCE_TYPE})`, 'INVALID_PARAMETER_VALUE');
  return { ...s, deploymentName, instanceCount, instanceType };
}

/** The routes the image answers, as Azure ML's inference_config wants them (SageMaker's contract, port 8080). */
export const INFERENCE_ROUTES = {
  liveness: { path: '/ping', port: 8080 },
  readiness: { path: '/ping', port: 8080 },
  scoring: { path: '/invocations', port: 8080 },
};

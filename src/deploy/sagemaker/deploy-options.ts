import { MlflowError } from '../../errors.js';
import { checkImageName } from '../docker/image-name.js';

/** The ECR repository `build-and-push-container` pushes to by default, and deploys look up. */
export const DEFAULT_IMAGE_NAME = 'mlflow-pyfunc';
/** MLflow's region when none is given. */
export const DEFAULT_REGION = 'us-west-2';
/** MLflow's DEFAULT_SAGEMAKER_INSTANCE_TYPE. */
export const DEFAULT_INSTANCE_TYPE = 'ml.m4.xlarge';
export const DEFAULT_TIMEOUT_SECONDS = 1200;
export type DeployMode = 'create' | 'replace' | 'add';
export const DEPLOY_MODES: readonly DeployMode[] = ['create', 'replace', 'add'];

export interface VpcConfig {
  SecurityGroupIds: string[];
  Subnets: string[];
}

/** SageMaker's AsyncInferenceConfig, as the API takes it. */
export type AsyncInferenceConfig = Record<string, unknown>;

/** What every call that creates a SageMaker model needs. */
export interface ModelOptions {
  modelUri: string;
  region: string;
  /** Default: the role of the assumed-role credentials (MLflow's _get_assumed_role_arn). */
  executionRoleArn?: string;
  /** Default: MLFLOW_SAGEMAKER_DEPLOY_IMG_URL, else the account's mlflow-pyfunc ECR repository. */
  imageUrl?: string;
  /** Where model.tar.gz goes; default mlflow-sagemaker-<region>-<account of the role>. */
  bucket?: string;
  vpcConfig?: VpcConfig;
  /** Environment of the serving container. */
  env?: Record<string, string>;
  /** MLflow's -f/--flavor: the model flavor to deploy (python_function); default the model's python_function. */
  flavor?: string;
  /** A cross-account role every AWS call assumes (MLflow's assume_role_arn); default none. */
  assumeRoleArn?: string;
  /** Tags of the SageMaker model, besides the `model_uri` tag MLflow always adds (values: strings, booleans or null). */
  tags?: Record<string, unknown>;
}

/** What removing SageMaker resources takes: an endpoint (`delete`) or a transform job (`terminate`). */
export interface TeardownOptions {
  region?: string;
  /** A cross-account role the calls assume (MLflow's assume_role_arn). */
  assumeRoleArn?: string;
  /** Keep the models (and endpoint configs) instead of deleting them (MLflow's --archive). */
  archive?: boolean;
  /** Wait until the removal is done (default true); only then can what it used be deleted. */
  synchronous?: boolean;
  timeoutSeconds?: number;
  pollSeconds?: number;
  onProgress?: (message: string) => void;
}

export interface DeployOptions extends ModelOptions {
  appName: string;
  mode?: DeployMode;
  instanceType?: string;
  instanceCount?: number;
  asyncInferenceConfig?: AsyncInferenceConfig;
  /** SageMaker's DataCaptureConfig for the endpoint configuration, as the API takes it. */
  dataCaptureConfig?: Record<string, unknown>;
  variantName?: string;
  /** Wait until the endpoint is InService (default true). */
  synchronous?: boolean;
  timeoutSeconds?: number;
  /** Keep the old configuration and models after `replace` instead of deleting them. */
  archive?: boolean;
  /** Progress lines while waiting. */
  onProgress?: (message: string) => void;
  /** Seconds between two status checks (default 10). */
  pollSeconds?: number;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const RESOURCE_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * The region from the option, else AWS_REGION / AWS_DEFAULT_REGION (the SDK's chain, as boto3's
 * session region that MLflow's build-and-push-container reads), else MLflow's us-west-2.
 */
export function resolveRegion(region: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const value = region || env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_REGION;
  if (!REGION.test(value)) throw new MlflowError(`Invalid AWS region '${value}' (expected e.g. us-east-1)`, 'INVALID_PARAMETER_VALUE');
  return value;
}

/** The account id inside an IAM role ARN; refuses anything that is not one. */
export function roleAccount(arn: string, what = 'execution role'): string {
  const m = ROLE_ARN.exec(arn);
  if (!m) throw new MlflowError(`Invalid ${what} ARN '${arn}' (expected arn:aws:iam::<12-digit account>:role/<name>)`, 'INVALID_PARAMETER_VALUE');
  return m[1];
}

export function checkResourceName(name: string, field: string): string {
  if (!RESOURCE_NAME.test(name)) {
    throw new MlflowError(`Invalid ${field} '${name}': 1 to 63 letters, digits and hyphens, starting with a letter or digit`, 'INVALID_PARAMETER_VALUE');
  }
  return name;
}

/**
 * A tag value as MLflow sends it (Python's str(value)): strings as they are, True/False, None.
 * A JSON number or object is refused: after JSON parsing, 1.0 and 1 are the same number here
 * while Python's str() writes them differently, and str() of a dict is Python syntax.
 */
export function tagValue(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null) return 'None';
  throw new MlflowError(`Invalid tag '${key}': give its value as a JSON string (got ${typeof value})`, 'INVALID_PARAMETER_VALUE');
}

/** Checks what was given, before any default is looked up at AWS. */
export function checkModelOptions(o: ModelOptions): void {
  if (o.executionRoleArn !== undefined) roleAccount(o.executionRoleArn);
  resolveRegion(o.region);
  for (const [key, value] of Object.entries(o.tags ?? {})) tagValue(key, value);
  if (o.imageUrl !== undefined) checkImageName(o.imageUrl, 'image URL');
  if (o.vpcConfig !== undefined && (!Array.isArray(o.vpcConfig.SecurityGroupIds) || !Array.isArray(o.vpcConfig.Subnets))) {
    throw new MlflowError('Invalid vpc_config: expected {"SecurityGroupIds": [...], "Subnets": [...]}', 'INVALID_PARAMETER_VALUE');
  }
}

export function checkDeployOptions(o: DeployOptions): void {
  checkResourceName(o.appName, 'app name');
  if (o.mode !== undefined && !DEPLOY_MODES.includes(o.mode)) {
    throw new MlflowError(`Invalid mode '${String(o.mode)}': expected one of ${DEPLOY_MODES.join(', ')}`, 'INVALID_PARAMETER_VALUE');
  }
  if (o.instanceCount !== undefined && (!Number.isInteger(o.instanceCount) || o.instanceCount < 1)) {
    throw new MlflowError(`Invalid instance count '${o.instanceCount}': a positive integer`, 'INVALID_PARAMETER_VALUE');
  }
  if (o.instanceType !== undefined && !/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(o.instanceType)) {
    throw new MlflowError(`Invalid instance type '${o.instanceType}' (expected e.g. ${DEFAULT_INSTANCE_TYPE})`, 'INVALID_PARAMETER_VALUE');
  }
  if (o.timeoutSeconds !== undefined && !(o.timeoutSeconds > 0)) {
    throw new MlflowError(`Invalid timeout '${o.timeoutSeconds}': seconds, above 0`, 'INVALID_PARAMETER_VALUE');
  }
}

/** Parses a JSON option (vpc_config, async_inference_config, env), naming it when it is not a JSON object. */
export function parseJsonObject<T = Record<string, unknown>>(text: string | undefined, field: string): T | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new MlflowError(`Invalid ${field}: not JSON (${(e as Error).message})`, 'INVALID_PARAMETER_VALUE');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MlflowError(`Invalid ${field}: expected a JSON object`, 'INVALID_PARAMETER_VALUE');
  }
  return value as T;
}

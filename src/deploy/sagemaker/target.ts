import { MlflowError } from '../../errors.js';
import {
  registerDeploymentTarget,
  targetPath,
  type DeploymentClient,
  type DeploymentConfig,
  type DeploymentInfo,
  type DeploymentTarget,
} from '../target-registry.js';
import { awsCallFailed, awsClients } from './aws-clients.js';
import { deleteSageMaker } from './delete.js';
import { deploySageMaker } from './deploy.js';
import { DEFAULT_REGION, parseJsonObject, resolveRegion, type DeployMode, type DeployOptions, type VpcConfig } from './deploy-options.js';
import { predictSageMaker } from './predict.js';
import { runLocal } from './run-local.js';

const HELP = `Deploys to an Amazon SageMaker endpoint. Target URI: sagemaker, sagemaker:/<region> or
sagemaker:/<region>/<assume role ARN> (a cross-account role every AWS call assumes, as MLflow's).
Config (-C key=value) of create and update: assume_role_arn, execution_role_arn, bucket, image_url, region_name,
mode (update: replace|add), archive (true|false), instance_type, instance_count, vpc_config (JSON),
data_capture_config (JSON), synchronous (true|false), timeout_seconds, variant_name, env (JSON), tags (JSON),
async_inference_config (JSON). Of delete: assume_role_arn, region_name, archive, synchronous, timeout_seconds.
run-local: port, image.`;

/** The config keys MLflow's SageMaker deployment client reads, per call; any other key is refused by name. */
const DEPLOY_KEYS = [
  'assume_role_arn', 'execution_role_arn', 'bucket', 'image_url', 'region_name', 'mode', 'archive', 'instance_type',
  'instance_count', 'vpc_config', 'data_capture_config', 'synchronous', 'timeout_seconds', 'variant_name', 'env', 'tags',
  'async_inference_config',
];
const DELETE_KEYS = ['assume_role_arn', 'region_name', 'archive', 'synchronous', 'timeout_seconds'];
const RUN_LOCAL_KEYS = ['port', 'image'];
/** MLflow's delete_deployment waits 300 s by default (deploys wait 1200 s). */
const DELETE_TIMEOUT_SECONDS = 300;

/**
 * MLflow ignores config keys it does not read; a mistyped key (bucket_name for bucket) would then
 * deploy with a default the user did not mean, so here it is an error naming the key.
 */
function checkConfigKeys(config: DeploymentConfig, known: readonly string[], call: string): void {
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) {
      throw new MlflowError(`Unknown config key '${key}' for SageMaker ${call}: expected one of ${known.join(', ')}`, 'INVALID_PARAMETER_VALUE');
    }
  }
}

/**
 * MLflow's reading of the target URI: the region, then everything after it is the role to assume;
 * a URI that starts with a role ARN has no region, which MLflow refuses.
 */
export function sageMakerTargetUri(targetUri: string): { region?: string; assumeRoleArn?: string } {
  const [region, ...roleParts] = targetPath(targetUri);
  if (region?.startsWith('arn')) {
    throw new MlflowError(
      `It looks like the target_uri contains an IAM role ARN without a region name. A region name must be provided when the target_uri contains a role ARN: sagemaker:/region_name/assumed_role_arn. The provided target_uri is: ${targetUri}`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  return { region, assumeRoleArn: roleParts.length > 0 ? roleParts.join('/') : undefined };
}

/** The region of a call: config region_name, else the target URI's, else MLflow's us-west-2 (not AWS_REGION, as MLflow's client). */
function callRegion(config: DeploymentConfig | undefined, targetUri: string): string {
  return resolveRegion(config?.region_name || sageMakerTargetUri(targetUri).region || DEFAULT_REGION);
}

function bool(value: string | undefined, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'True') return true;
  if (value === 'false' || value === 'False') return false;
  throw new MlflowError(`Invalid ${field} '${value}': true or false`, 'INVALID_PARAMETER_VALUE');
}

function int(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new MlflowError(`Invalid ${field} '${value}': an integer`, 'INVALID_PARAMETER_VALUE');
  return n;
}

/** MLflow's SageMaker plugin config keys, turned into deploy options. */
export function deployOptionsFromConfig(name: string, modelUri: string, config: DeploymentConfig, targetUri: string): DeployOptions {
  checkConfigKeys(config, DEPLOY_KEYS, 'create/update');
  return {
    appName: name,
    modelUri,
    region: callRegion(config, targetUri),
    assumeRoleArn: config.assume_role_arn || sageMakerTargetUri(targetUri).assumeRoleArn,
    executionRoleArn: config.execution_role_arn,
    imageUrl: config.image_url,
    bucket: config.bucket,
    mode: config.mode as DeployMode | undefined,
    instanceType: config.instance_type,
    instanceCount: int(config.instance_count, 'instance_count'),
    vpcConfig: parseJsonObject<VpcConfig>(config.vpc_config, 'vpc_config'),
    dataCaptureConfig: parseJsonObject(config.data_capture_config, 'data_capture_config'),
    asyncInferenceConfig: parseJsonObject(config.async_inference_config, 'async_inference_config'),
    env: parseJsonObject<Record<string, string>>(config.env, 'env'),
    tags: parseJsonObject(config.tags, 'tags'),
    variantName: config.variant_name,
    synchronous: bool(config.synchronous, 'synchronous'),
    timeoutSeconds: int(config.timeout_seconds, 'timeout_seconds'),
    archive: bool(config.archive, 'archive'),
    onProgress: (m) => process.stderr.write(`${m}\n`),
  };
}

export function sageMakerClient(targetUri: string): DeploymentClient {
  // list, get and predict take no config: MLflow uses the target URI's region and role for them.
  const uri = sageMakerTargetUri(targetUri);
  const clients = () => awsClients(callRegion(undefined, targetUri), uri.assumeRoleArn);
  return {
    async createDeployment(name, modelUri, { flavor, config }) {
      const o = deployOptionsFromConfig(name, modelUri, config, targetUri);
      if (o.mode !== undefined && o.mode !== 'create') {
        throw new MlflowError(`Invalid mode '${o.mode}' for creating a deployment: mode applies to update (replace or add)`, 'INVALID_PARAMETER_VALUE');
      }
      const r = await deploySageMaker({ ...o, flavor, mode: 'create' });
      return { name: r.endpointName, ...r };
    },
    async updateDeployment(name, { modelUri, flavor, config }) {
      if (modelUri === undefined) throw new MlflowError('Updating a SageMaker deployment needs a model URI (-m)', 'INVALID_PARAMETER_VALUE');
      const o = deployOptionsFromConfig(name, modelUri, config, targetUri);
      if (o.mode === 'create') {
        throw new MlflowError("Invalid mode `create` for deployment to a pre-existing application: expected replace or add", 'INVALID_PARAMETER_VALUE');
      }
      const r = await deploySageMaker({ ...o, flavor, mode: o.mode ?? 'replace' });
      return { name: r.endpointName, ...r };
    },
    async deleteDeployment(name, { config }) {
      checkConfigKeys(config, DELETE_KEYS, 'delete');
      await deleteSageMaker({
        appName: name,
        region: callRegion(config, targetUri),
        assumeRoleArn: config.assume_role_arn || uri.assumeRoleArn,
        archive: bool(config.archive, 'archive'),
        synchronous: bool(config.synchronous, 'synchronous'),
        timeoutSeconds: int(config.timeout_seconds, 'timeout_seconds') ?? DELETE_TIMEOUT_SECONDS,
        onProgress: (m) => process.stderr.write(`${m}\n`),
      });
    },
    async listDeployments() {
      const { sm, SM } = await clients();
      const out: DeploymentInfo[] = [];
      let token: string | undefined;
      do {
        const page = await sm.send(new SM.ListEndpointsCommand({ NextToken: token })).catch((e: unknown) => {
          throw awsCallFailed('ListEndpoints', e);
        });
        for (const e of page.Endpoints ?? []) out.push({ name: e.EndpointName, ...e });
        token = page.NextToken;
      } while (token);
      return out;
    },
    async getDeployment(name) {
      const { sm, SM } = await clients();
      const d = await sm.send(new SM.DescribeEndpointCommand({ EndpointName: name })).catch((e: unknown) => {
        throw awsCallFailed(`DescribeEndpoint ${name}`, e);
      });
      const { $metadata: _meta, ...fields } = d;
      return { name: d.EndpointName, ...fields };
    },
    predict(name, body) {
      return predictSageMaker(name, body, { region: callRegion(undefined, targetUri), assumeRoleArn: uri.assumeRoleArn });
    },
  };
}

export const sageMakerTarget: DeploymentTarget = {
  name: 'sagemaker',
  help: HELP,
  createClient: sageMakerClient,
  runLocal(_name, modelUri, { config }) {
    checkConfigKeys(config, RUN_LOCAL_KEYS, 'run-local');
    return runLocal({ modelUri, port: int(config.port, 'port'), image: config.image });
  },
};

registerDeploymentTarget(sageMakerTarget);

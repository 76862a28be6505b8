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
import { parseJsonObject, resolveRegion, type DeployMode, type DeployOptions, type VpcConfig } from './deploy-options.js';
import { predictSageMaker } from './predict.js';
import { runLocal } from './run-local.js';

const HELP = `Deploys to an Amazon SageMaker endpoint. Target URI: sagemaker, sagemaker:/<region> or sagemaker:/<region>/<execution role ARN>.
Config (-C key=value): execution_role_arn, bucket, image_url, region_name, mode (create|replace|add, for update),
instance_type, instance_count, vpc_config (JSON), async_inference_config (JSON), env (JSON), variant_name,
synchronous (true|false), timeout_seconds, archive (true|false). run-local: port, image.`;

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
  const [uriRegion, ...roleParts] = targetPath(targetUri);
  return {
    appName: name,
    modelUri,
    region: resolveRegion(config.region_name ?? uriRegion),
    executionRoleArn: config.execution_role_arn ?? (roleParts.length > 0 ? roleParts.join('/') : undefined),
    imageUrl: config.image_url,
    bucket: config.bucket,
    mode: config.mode as DeployMode | undefined,
    instanceType: config.instance_type,
    instanceCount: int(config.instance_count, 'instance_count'),
    vpcConfig: parseJsonObject<VpcConfig>(config.vpc_config, 'vpc_config'),
    asyncInferenceConfig: parseJsonObject(config.async_inference_config, 'async_inference_config'),
    env: parseJsonObject<Record<string, string>>(config.env, 'env'),
    variantName: config.variant_name,
    synchronous: bool(config.synchronous, 'synchronous'),
    timeoutSeconds: int(config.timeout_seconds, 'timeout_seconds'),
    archive: bool(config.archive, 'archive'),
    onProgress: (m) => process.stderr.write(`${m}\n`),
  };
}

export function sageMakerClient(targetUri: string): DeploymentClient {
  const region = (config?: DeploymentConfig) => resolveRegion(config?.region_name ?? targetPath(targetUri)[0]);
  return {
    async createDeployment(name, modelUri, { flavor, config }) {
      const r = await deploySageMaker({ ...deployOptionsFromConfig(name, modelUri, config, targetUri), flavor, mode: 'create' });
      return { name: r.endpointName, ...r };
    },
    async updateDeployment(name, { modelUri, flavor, config }) {
      if (modelUri === undefined) throw new MlflowError('Updating a SageMaker deployment needs a model URI (-m)', 'INVALID_PARAMETER_VALUE');
      const o = deployOptionsFromConfig(name, modelUri, config, targetUri);
      const r = await deploySageMaker({ ...o, flavor, mode: o.mode ?? 'replace' });
      return { name: r.endpointName, ...r };
    },
    async deleteDeployment(name, { config }) {
      await deleteSageMaker({
        appName: name,
        region: region(config),
        archive: bool(config.archive, 'archive'),
        synchronous: bool(config.synchronous, 'synchronous'),
        timeoutSeconds: int(config.timeout_seconds, 'timeout_seconds'),
      });
    },
    async listDeployments() {
      const { sm, SM } = await awsClients(region());
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
      const { sm, SM } = await awsClients(region());
      const d = await sm.send(new SM.DescribeEndpointCommand({ EndpointName: name })).catch((e: unknown) => {
        throw awsCallFailed(`DescribeEndpoint ${name}`, e);
      });
      const { $metadata: _meta, ...fields } = d;
      return { name: d.EndpointName, ...fields };
    },
    predict(name, body) {
      return predictSageMaker(name, body, { region: region() });
    },
  };
}

export const sageMakerTarget: DeploymentTarget = {
  name: 'sagemaker',
  help: HELP,
  createClient: sageMakerClient,
  runLocal(_name, modelUri, { config }) {
    return runLocal({ modelUri, port: int(config.port, 'port'), image: config.image });
  },
};

registerDeploymentTarget(sageMakerTarget);

import { MlflowError } from '../../errors.js';
import { registerDeploymentTarget, targetPath, type DeploymentClient, type DeploymentConfig, type DeploymentTarget } from '../target-registry.js';
import { runLocal } from '../sagemaker/run-local.js';
import { ArmClient, type Workspace } from './arm-client.js';
import { defaultTokenProvider } from './credentials.js';
import { deleteAzureMl, deployAzureMl, describeAzureMl } from './deploy.js';

const HELP = `Deploys to an Azure ML managed online endpoint through Azure Resource Manager.
Target URI: azureml or azureml:/subscriptions/<id>/resourceGroups/<group>/workspaces/<workspace>
(else config subscription_id, resource_group, workspace, or AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME).
Config (-C key=value): image (required: a models build-docker image, in a registry the workspace pulls from),
model_name (the registered model; default the endpoint name), instance_type, instance_count, timeout_seconds.
The model (-m) is uploaded to the workspace's default datastore and registered as a model version the deployment mounts. --endpoint names the online endpoint (default: the deployment name).
Credentials: @azure/identity's DefaultAzureCredential (AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, managed identity, az login...).`;

/** The workspace from the target URI, else config, else environment. */
export function workspaceOf(targetUri: string, config: DeploymentConfig = {}, env: NodeJS.ProcessEnv = process.env): Workspace {
  const parts = targetPath(targetUri);
  const after = (key: string): string | undefined => {
    const i = parts.findIndex((p) => p.toLowerCase() === key.toLowerCase());
    return i >= 0 ? parts[i + 1] : undefined;
  };
  return {
    subscriptionId: after('subscriptions') ?? config.subscription_id ?? env.AZURE_SUBSCRIPTION_ID ?? '',
    resourceGroup: after('resourceGroups') ?? config.resource_group ?? env.AZURE_RESOURCE_GROUP ?? '',
    workspace: after('workspaces') ?? config.workspace ?? env.AZUREML_WORKSPACE_NAME ?? '',
  };
}

function int(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new MlflowError(`Invalid ${field} '${value}': an integer`, 'INVALID_PARAMETER_VALUE');
  return n;
}

export function azureMlClient(targetUri: string): DeploymentClient {
  const ws = (config?: DeploymentConfig) => ({ workspace: workspaceOf(targetUri, config), managementUrl: process.env.AZURE_RESOURCE_MANAGER_URL });
  const deploy = async (name: string, modelUri: string | undefined, config: DeploymentConfig, endpoint: string | undefined, allTraffic: boolean) => {
    if (!config.image) throw new MlflowError("Azure ML deployments need -C image=<registry/image:tag> (built by 'models build-docker -m')", 'INVALID_PARAMETER_VALUE');
    const r = await deployAzureMl({
      ...ws(config),
      endpointName: endpoint ?? name,
      deploymentName: name,
      image: config.image,
      modelUri,
      modelName: config.model_name,
      instanceType: config.instance_type,
      instanceCount: int(config.instance_count, 'instance_count'),
      timeoutSeconds: int(config.timeout_seconds, 'timeout_seconds'),
      allTraffic,
      onProgress: (m) => process.stderr.write(`${m}\n`),
    });
    return { name, ...r };
  };
  return {
    createDeployment: (name, modelUri, { config, endpoint }) => deploy(name, modelUri, config, endpoint, false),
    updateDeployment: async (name, { modelUri, config, endpoint }) => {
      await deleteAzureMl({ ...ws(config), endpointName: endpoint ?? name, deploymentName: name });
      return deploy(name, modelUri, config, endpoint, true);
    },
    deleteDeployment: (name, { config, endpoint }) =>
      deleteAzureMl({ ...ws(config), endpointName: endpoint ?? name, deploymentName: endpoint ? name : undefined }),
    async listDeployments(endpoint) {
      const r = await describeAzureMl(ws(), endpoint ? `/onlineEndpoints/${encodeURIComponent(endpoint)}/deployments` : '/onlineEndpoints');
      return ((r.value as Record<string, unknown>[] | undefined) ?? []).map((v) => ({ ...v }));
    },
    getDeployment: (name, endpoint) =>
      describeAzureMl(ws(), endpoint ? `/onlineEndpoints/${encodeURIComponent(endpoint)}/deployments/${encodeURIComponent(name)}` : `/onlineEndpoints/${encodeURIComponent(name)}`),
    async predict(name, body, endpoint) {
      const { workspace, managementUrl } = ws();
      const arm = new ArmClient(workspace, defaultTokenProvider(), managementUrl);
      const endpointPath = `/onlineEndpoints/${encodeURIComponent(endpoint ?? name)}`;
      const scoringUri = (await arm.request('GET', endpointPath))?.properties?.scoringUri;
      const keys = await arm.request('POST', `${endpointPath}/listKeys`);
      if (typeof scoringUri !== 'string' || typeof keys?.primaryKey !== 'string') {
        throw new MlflowError(`Endpoint '${endpoint ?? name}' has no scoring URI or key yet`, 'INVALID_STATE');
      }
      const res = await fetch(scoringUri, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.primaryKey}`, 'content-type': 'application/json', ...(endpoint ? { 'azureml-model-deployment': name } : {}) },
        body,
      });
      const text = await res.text();
      if (!res.ok) throw new MlflowError(`Scoring at ${scoringUri} failed (${res.status}): ${text.slice(0, 500)}`, 'INTERNAL_ERROR');
      return JSON.parse(text) as unknown;
    },
  };
}

export const azureMlTarget: DeploymentTarget = {
  name: 'azureml',
  help: HELP,
  createClient: azureMlClient,
  // Azure ML runs the same image as SageMaker does; locally that is the same container command.
  runLocal: (_name, modelUri, { config }) => runLocal({ modelUri, port: int(config.port, 'port'), image: config.image }),
};

registerDeploymentTarget(azureMlTarget);

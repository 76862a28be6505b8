import { MlflowError } from '../../errors.js';
// Registers store/'s model URI schemes (runs:, models:, http(s):...) for resolveModelDir.
import '../../store/uri-schemes.js';
import { resolveModelDir } from '../../model/uri-resolver.js';
import { Rollback } from '../rollback.js';
import { waitForStatus } from '../wait-for-status.js';
import { ArmClient, type ArmResource, type Workspace } from './arm-client.js';
import { defaultTokenProvider, type TokenProvider } from './credentials.js';
import { checkModelName, checkSpec, DEFAULT_TIMEOUT_SECONDS, INFERENCE_ROUTES, type OnlineDeploymentSpec } from './deploy-options.js';
import { registerModel, STORAGE_SCOPE } from './register-model.js';

export { DEFAULT_TIMEOUT_SECONDS };

export interface AzureMlDeployOptions extends OnlineDeploymentSpec {
  workspace: Workspace;
  /** Send all of the endpoint's traffic to this deployment (always, for a new endpoint). */
  allTraffic?: boolean;
  timeoutSeconds?: number;
  pollSeconds?: number;
  onProgress?: (message: string) => void;
  getToken?: TokenProvider;
  /** Azure Resource Manager's URL (tests point it at a local server). */
  managementUrl?: string;
  /**
   * The model to upload and register as a model version that the deployment mounts. Without it
   * the image must carry the model (`models build-docker -m`).
   */
  modelUri?: string;
  /** Registered model name (default: the endpoint name). */
  modelName?: string;
  /** Tokens for Azure Storage, used when the default datastore holds no key or SAS. */
  getStorageToken?: TokenProvider;
  /** Replaces https://<account>.blob.core.windows.net (tests point it at a local server). */
  blobServiceUrl?: string;
}

export interface AzureMlDeployment {
  endpointName: string;
  deploymentName: string;
  scoringUri?: string;
  environmentId: string;
  /** The registered model version's ARM id, when a model was uploaded. */
  modelId?: string;
}

function checkWorkspace(ws: Workspace): void {
  for (const [field, value] of [['subscription id', ws.subscriptionId], ['resource group', ws.resourceGroup], ['workspace', ws.workspace]] as const) {
    if (!value) throw new MlflowError(`No Azure ML ${field}: pass it (or set AZURE_SUBSCRIPTION_ID for the subscription)`, 'INVALID_PARAMETER_VALUE');
  }
}

function armClient(o: Pick<AzureMlDeployOptions, 'workspace' | 'getToken' | 'managementUrl'>): ArmClient {
  return new ArmClient(o.workspace, o.getToken ?? defaultTokenProvider(), o.managementUrl);
}

/** Polls a resource's provisioningState until Succeeded (Failed or Canceled is an error naming it). */
function waitProvisioned(arm: ArmClient, path: string, what: string, o: AzureMlDeployOptions): Promise<string> {
  return waitForStatus({
    what,
    describe: async () => {
      const r = await arm.request('GET', path);
      const props = r?.properties ?? {};
      return { status: String(props.provisioningState ?? 'Unknown'), reason: props.error === undefined ? undefined : JSON.stringify(props.error) };
    },
    done: ['Succeeded'],
    failed: ['Failed', 'Canceled'],
    timeoutSeconds: o.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    pollSeconds: o.pollSeconds ?? 15,
    onProgress: o.onProgress,
  });
}

/**
 * `azureml deploy`: with a model URI, the model's files uploaded to the workspace's default
 * datastore and registered as a model version; an environment version for the image (with its
 * /ping and /invocations routes), the online endpoint if it does not exist, the deployment
 * (mounting the model version), then the endpoint's traffic; each waited for until provisioned.
 * On failure what this call created is deleted again.
 */
export async function deployAzureMl(options: AzureMlDeployOptions): Promise<AzureMlDeployment> {
  checkWorkspace(options.workspace);
  const spec = checkSpec(options);
  const modelName = options.modelUri === undefined ? undefined : checkModelName(options.modelName ?? spec.endpointName);
  // A model URI that does not resolve fails here, before anything is created.
  const modelDir = options.modelUri === undefined ? undefined : await resolveModelDir(options.modelUri);
  const arm = armClient(options);
  const say = options.onProgress ?? (() => undefined);
  const endpointPath = `/onlineEndpoints/${encodeURIComponent(spec.endpointName)}`;
  const deploymentPath = `${endpointPath}/deployments/${encodeURIComponent(spec.deploymentName)}`;

  const workspace = await arm.request('GET', '', undefined, true);
  if (!workspace) {
    throw new MlflowError(`Azure ML workspace '${options.workspace.workspace}' not found in resource group '${options.workspace.resourceGroup}'`, 'RESOURCE_DOES_NOT_EXIST');
  }
  const location = workspace.location;
  const existing = await arm.request('GET', endpointPath, undefined, true);
  if (existing && (await arm.request('GET', deploymentPath, undefined, true))) {
    throw new MlflowError(`Deployment '${spec.deploymentName}' already exists on endpoint '${spec.endpointName}'; delete it or choose another name`, 'RESOURCE_ALREADY_EXISTS');
  }

  const rollback = new Rollback();
  try {
    const modelId =
      modelDir === undefined || modelName === undefined
        ? undefined
        : await registerModel(arm, rollback, {
            name: modelName,
            version: String(Date.now()),
            modelDir,
            getStorageToken: options.getStorageToken ?? defaultTokenProvider(STORAGE_SCOPE),
            blobServiceUrl: options.blobServiceUrl,
            say,
          });
    const envName = `${spec.endpointName}-env`;
    const envVersion = String(Date.now());
    const envPath = `/environments/${encodeURIComponent(envName)}/versions/${envVersion}`;
    say(`Creating environment ${envName}:${envVersion} for ${spec.image}`);
    await arm.request('PUT', envPath, {
      properties: {
        image: spec.image,
        inferenceConfig: { livenessRoute: INFERENCE_ROUTES.liveness, readinessRoute: INFERENCE_ROUTES.readiness, scoringRoute: INFERENCE_ROUTES.scoring },
      },
    });
    rollback.add(`environment ${envName}:${envVersion}`, () => arm.request('DELETE', envPath));

    let endpoint: ArmResource | undefined = existing;
    if (!existing) {
      say(`Creating endpoint ${spec.endpointName}`);
      await arm.request('PUT', endpointPath, { location, identity: { type: 'SystemAssigned' }, properties: { authMode: 'Key' } });
      rollback.add(`endpoint ${spec.endpointName}`, () => arm.request('DELETE', endpointPath));
      await waitProvisioned(arm, endpointPath, `endpoint ${spec.endpointName}`, options);
    }

    say(`Creating deployment ${spec.deploymentName} (${spec.instanceCount} x ${spec.instanceType})`);
    await arm.request('PUT', deploymentPath, {
      location,
      sku: { name: 'Default', capacity: spec.instanceCount },
      properties: {
        endpointComputeType: 'Managed',
        instanceType: spec.instanceType,
        environmentId: arm.resourceId(envPath),
        model: modelId,
        environmentVariables: spec.environmentVariables,
      },
    });
    rollback.add(`deployment ${spec.deploymentName}`, () => arm.request('DELETE', deploymentPath));
    // Succeeded means Azure ML saw the container answer its readiness route (/ping).
    await waitProvisioned(arm, deploymentPath, `deployment ${spec.deploymentName}`, options);

    if (!existing || options.allTraffic) {
      say(`Routing all traffic of ${spec.endpointName} to ${spec.deploymentName}`);
      const current = (await arm.request('GET', endpointPath)) ?? {};
      await arm.request('PUT', endpointPath, {
        location,
        identity: current.identity,
        properties: { ...(current.properties ?? {}), traffic: { [spec.deploymentName]: 100 } },
      });
      await waitProvisioned(arm, endpointPath, `endpoint ${spec.endpointName}`, options);
      endpoint = await arm.request('GET', endpointPath);
    }
    return {
      endpointName: spec.endpointName,
      deploymentName: spec.deploymentName,
      scoringUri: endpoint?.properties?.scoringUri as string | undefined,
      environmentId: arm.resourceId(envPath),
      modelId,
    };
  } catch (e) {
    throw await rollback.run(e);
  }
}

/** `azureml delete`: the deployment, or the whole endpoint when no deployment is named. */
export async function deleteAzureMl(options: Pick<AzureMlDeployOptions, 'workspace' | 'getToken' | 'managementUrl'> & { endpointName: string; deploymentName?: string }): Promise<void> {
  checkWorkspace(options.workspace);
  const arm = armClient(options);
  const endpointPath = `/onlineEndpoints/${encodeURIComponent(options.endpointName)}`;
  const path = options.deploymentName ? `${endpointPath}/deployments/${encodeURIComponent(options.deploymentName)}` : endpointPath;
  if (!(await arm.request('GET', path, undefined, true))) {
    throw new MlflowError(`Azure ML ${options.deploymentName ? `deployment '${options.deploymentName}' of ` : ''}endpoint '${options.endpointName}' does not exist`, 'RESOURCE_DOES_NOT_EXIST');
  }
  await arm.request('DELETE', path);
}

/** GET of an endpoint (or one of its deployments), or the list of the workspace's endpoints. */
export async function describeAzureMl(
  options: Pick<AzureMlDeployOptions, 'workspace' | 'getToken' | 'managementUrl'>,
  path: string,
): Promise<ArmResource> {
  checkWorkspace(options.workspace);
  const r = await armClient(options).request('GET', path, undefined, true);
  if (!r) throw new MlflowError(`Azure ML resource ${path} does not exist`, 'RESOURCE_DOES_NOT_EXIST');
  return r;
}

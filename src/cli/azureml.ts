import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_DEPLOYMENT_NAME, DEFAULT_INSTANCE_TYPE, DEFAULT_TIMEOUT_SECONDS } from '../deploy/azureml/deploy-options.js';

// The deploy code is loaded by each action, not at the top: every command's module is loaded to parse any command line.
const azureMl = (): Promise<typeof import('../deploy/azureml/index.js')> => import('../deploy/azureml/index.js');

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${value}' is not a positive integer`);
  return n;
}

interface WorkspaceFlags {
  subscriptionId?: string;
  resourceGroup?: string;
  workspaceName?: string;
}

function workspaceOptions(cmd: Command): Command {
  return cmd
    .option('--subscription-id <id>', 'Azure subscription (default AZURE_SUBSCRIPTION_ID)')
    .option('-g, --resource-group <group>', 'resource group (default AZURE_RESOURCE_GROUP)')
    .option('-w, --workspace-name <name>', 'Azure ML workspace (default AZUREML_WORKSPACE_NAME)');
}

function workspace(f: WorkspaceFlags) {
  return {
    subscriptionId: f.subscriptionId ?? process.env.AZURE_SUBSCRIPTION_ID ?? '',
    resourceGroup: f.resourceGroup ?? process.env.AZURE_RESOURCE_GROUP ?? '',
    workspace: f.workspaceName ?? process.env.AZUREML_WORKSPACE_NAME ?? '',
  };
}

/** `azureml export|deploy|delete`: Azure ML managed online endpoints serving the mlflow-ts image. */
export function registerAzureMl(parent: Command): void {
  const az = parent.command('azureml').description('Serve models on Azure ML managed online endpoints');

  az.command('export')
    .description('Write the model and the model/environment/endpoint/deployment YAML for `az ml online-deployment create`')
    .requiredOption('-m, --model-uri <uri>', 'URI of the model')
    .requiredOption('-o, --output-dir <dir>', 'directory to write to (new or empty)')
    .requiredOption('-i, --image <image>', 'serving image from `models build-docker`, in a registry the workspace pulls from')
    .option('-e, --endpoint-name <name>', 'online endpoint name', 'mlflow-endpoint')
    .option('-d, --deployment-name <name>', 'deployment name', DEFAULT_DEPLOYMENT_NAME)
    .option('-n, --model-name <name>', 'registered model name (default: the endpoint name)')
    .option('-t, --instance-type <type>', 'VM size', DEFAULT_INSTANCE_TYPE)
    .option('-c, --instance-count <n>', 'instances', positiveInt, 1)
    .action(async (o: { modelUri: string; outputDir: string; image: string; endpointName: string; deploymentName: string; modelName?: string; instanceType: string; instanceCount: number }) => {
      const files = await (await azureMl()).exportAzureMl({ ...o });
      process.stdout.write(`${files.join('\n')}\n`);
    });

  workspaceOptions(az.command('deploy').description('Deploy the serving image to an Azure ML online endpoint and wait until it serves'))
    .requiredOption('-i, --image <image>', 'serving image with the model (`models build-docker -m`), in a registry the workspace pulls from')
    .requiredOption('-e, --endpoint-name <name>', 'online endpoint (created if missing)')
    .option('-d, --deployment-name <name>', 'deployment name', DEFAULT_DEPLOYMENT_NAME)
    .option('-t, --instance-type <type>', 'VM size', DEFAULT_INSTANCE_TYPE)
    .option('-c, --instance-count <n>', 'instances', positiveInt, 1)
    .option('-m, --model-uri <uri>', "upload the model to the workspace's default datastore and register it as a model version the deployment uses")
    .option('-n, --model-name <name>', 'registered model name (default: the endpoint name)')
    .option('--all-traffic', "route all of an existing endpoint's traffic to the new deployment")
    .option('--timeout <seconds>', 'how long to wait for each step', positiveInt, DEFAULT_TIMEOUT_SECONDS)
    .action(async (o: WorkspaceFlags & { image: string; endpointName: string; deploymentName: string; modelUri?: string; modelName?: string; instanceType: string; instanceCount: number; allTraffic?: boolean; timeout: number }) => {
      const r = await (await azureMl()).deployAzureMl({
        workspace: workspace(o),
        image: o.image,
        modelUri: o.modelUri,
        modelName: o.modelName,
        endpointName: o.endpointName,
        deploymentName: o.deploymentName,
        instanceType: o.instanceType,
        instanceCount: o.instanceCount,
        allTraffic: o.allTraffic,
        timeoutSeconds: o.timeout,
        managementUrl: process.env.AZURE_RESOURCE_MANAGER_URL,
        onProgress: (m) => process.stderr.write(`${m}\n`),
      });
      process.stdout.write(`${JSON.stringify(r)}\n`);
    });

  workspaceOptions(az.command('delete').description('Delete a deployment, or the whole endpoint'))
    .requiredOption('-e, --endpoint-name <name>', 'online endpoint')
    .option('-d, --deployment-name <name>', 'only this deployment')
    .action(async (o: WorkspaceFlags & { endpointName: string; deploymentName?: string }) => {
      await (await azureMl()).deleteAzureMl({ workspace: workspace(o), endpointName: o.endpointName, deploymentName: o.deploymentName, managementUrl: process.env.AZURE_RESOURCE_MANAGER_URL });
    });
}

import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { DeploymentConfig, DeploymentTarget } from '../deploy/index.js';
import { usageError } from './usage-errors.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

// The deploy layer (which registers the built-in targets) is loaded by each action, not at the
// top: every command's module is loaded to parse any command line.
const deploy = (): Promise<typeof import('../deploy/index.js')> => import('../deploy/index.js');
const getDeploymentTarget = async (uri: string): Promise<DeploymentTarget> => (await deploy()).getDeploymentTarget(uri);
const parseConfigPairs = async (pairs: string[]): Promise<DeploymentConfig> => (await deploy()).parseConfigPairs(pairs);

/** `deployments create|update|delete|list|get|predict|run-local|help -t <target>`, as MLflow's. */
export function registerDeployments(parent: Command): void {
  const d = parent
    .command('deployments')
    .description('Deploy models to a target (built in: sagemaker, azureml; others register with registerDeploymentTarget)');
  const target = (cmd: Command): Command => cmd.requiredOption('-t, --target <uri>', 'deployment target URI, e.g. sagemaker:/us-east-1');
  const config = (cmd: Command): Command => cmd.option('-C, --config <key=value>', "a target setting (repeatable)", collect, [] as string[]);
  const endpoint = (cmd: Command): Command => cmd.option('--endpoint <name>', 'endpoint the deployment belongs to');

  config(endpoint(target(d.command('create').description('Create a deployment'))))
    .requiredOption('--name <name>', 'deployment name')
    .requiredOption('-m, --model-uri <uri>', 'URI of the model')
    .option('-f, --flavor <flavor>', 'flavor to serve the model with')
    .action(async (o: { target: string; name: string; modelUri: string; flavor?: string; config: string[]; endpoint?: string }) => {
      const client = (await getDeploymentTarget(o.target)).createClient(o.target);
      const info = await client.createDeployment(o.name, o.modelUri, { flavor: o.flavor, config: await parseConfigPairs(o.config), endpoint: o.endpoint });
      process.stdout.write(`Deployment ${o.name} is created\n${json(info)}`);
    });

  config(endpoint(target(d.command('update').description('Update a deployment'))))
    .requiredOption('--name <name>', 'deployment name')
    .option('-m, --model-uri <uri>', 'URI of the new model')
    .option('-f, --flavor <flavor>', 'flavor to serve the model with')
    .action(async (o: { target: string; name: string; modelUri?: string; flavor?: string; config: string[]; endpoint?: string }) => {
      const client = (await getDeploymentTarget(o.target)).createClient(o.target);
      const info = await client.updateDeployment(o.name, { modelUri: o.modelUri, flavor: o.flavor, config: await parseConfigPairs(o.config), endpoint: o.endpoint });
      process.stdout.write(`Deployment ${o.name} is updated\n${json(info)}`);
    });

  config(endpoint(target(d.command('delete').description('Delete a deployment'))))
    .requiredOption('--name <name>', 'deployment name')
    .action(async (o: { target: string; name: string; config: string[]; endpoint?: string }) => {
      await (await getDeploymentTarget(o.target)).createClient(o.target).deleteDeployment(o.name, { config: await parseConfigPairs(o.config), endpoint: o.endpoint });
      process.stdout.write(`Deployment ${o.name} is deleted\n`);
    });

  endpoint(target(d.command('list').description('List deployments'))).action(async (o: { target: string; endpoint?: string }) => {
    process.stdout.write(json(await (await getDeploymentTarget(o.target)).createClient(o.target).listDeployments(o.endpoint)));
  });

  endpoint(target(d.command('get').description('Describe a deployment')))
    .requiredOption('--name <name>', 'deployment name')
    .action(async (o: { target: string; name: string; endpoint?: string }) => {
      process.stdout.write(json(await (await getDeploymentTarget(o.target)).createClient(o.target).getDeployment(o.name, o.endpoint)));
    });

  const predict = endpoint(target(d.command('predict').description('Score a JSON request with a deployment or an endpoint')))
    .option('--name <name>', 'deployment name (exactly one of --name or --endpoint)')
    .requiredOption('-I, --input-path <file>', 'JSON request, as the scoring server takes it')
    .option('-O, --output-path <file>', 'where to write the predictions (default: standard output)');
  predict.action(async (o: { target: string; name?: string; inputPath: string; outputPath?: string; endpoint?: string }) => {
      // click.UsageError in MLflow's CLI; a SageMaker deployment and its endpoint share the name.
      if ((o.name === undefined) === (o.endpoint === undefined)) usageError(predict, 'Must specify exactly one of --name or --endpoint.');
      const body = await readFile(o.inputPath, 'utf8');
      const name = o.name ?? (o.endpoint as string);
      const out = json(await (await getDeploymentTarget(o.target)).createClient(o.target).predict(name, body, o.endpoint));
      if (o.outputPath) await writeFile(o.outputPath, out);
      else process.stdout.write(out);
    });

  config(target(d.command('run-local').description('Serve the model locally as the target would')))
    .requiredOption('--name <name>', 'deployment name')
    .requiredOption('-m, --model-uri <uri>', 'URI of the model')
    .option('-f, --flavor <flavor>', 'flavor to serve the model with')
    .action(async (o: { target: string; name: string; modelUri: string; flavor?: string; config: string[] }) => {
      await (await getDeploymentTarget(o.target)).runLocal(o.name, o.modelUri, { flavor: o.flavor, config: await parseConfigPairs(o.config) });
    });

  target(d.command('help').description("Show a target's settings")).action(async (o: { target: string }) => {
    process.stdout.write(`${(await getDeploymentTarget(o.target)).help}\n`);
  });
}

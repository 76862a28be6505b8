import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { DeploymentClient, DeploymentConfig, DeploymentTarget } from '../deploy/index.js';
import { usageError } from './usage-errors.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

// The deploy layer (which registers the built-in targets) is loaded by each action, not at the
// top: every command's module is loaded to parse any command line.
const deploy = (): Promise<typeof import('../deploy/index.js')> => import('../deploy/index.js');
const getDeploymentTarget = async (uri: string): Promise<DeploymentTarget> => (await deploy()).getDeploymentTarget(uri);
const parseConfigPairs = async (pairs: string[]): Promise<DeploymentConfig> => (await deploy()).parseConfigPairs(pairs);
const client = async (uri: string): Promise<DeploymentClient> => (await getDeploymentTarget(uri)).createClient(uri);
type OptionalVerb = 'explain' | 'createEndpoint' | 'updateEndpoint' | 'deleteEndpoint' | 'listEndpoints' | 'getEndpoint';
/** The target client's optional method, or the error naming the command the target cannot run. */
const optional = async <K extends OptionalVerb>(uri: string, method: K, command: string): Promise<NonNullable<DeploymentClient[K]>> =>
  (await deploy()).clientMethod(await client(uri), method, uri, command);

/**
 * `deployments create|update|delete|list|get|predict|explain|run-local|help` and the endpoint
 * commands `create-endpoint|update-endpoint|delete-endpoint|list-endpoints|get-endpoint`, as MLflow's.
 */
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
      const info = await (await client(o.target)).createDeployment(o.name, o.modelUri, { flavor: o.flavor, config: await parseConfigPairs(o.config), endpoint: o.endpoint });
      process.stdout.write(`Deployment ${o.name} is created\n${json(info)}`);
    });

  config(endpoint(target(d.command('update').description('Update a deployment'))))
    .requiredOption('--name <name>', 'deployment name')
    .option('-m, --model-uri <uri>', 'URI of the new model')
    .option('-f, --flavor <flavor>', 'flavor to serve the model with')
    .action(async (o: { target: string; name: string; modelUri?: string; flavor?: string; config: string[]; endpoint?: string }) => {
      const info = await (await client(o.target)).updateDeployment(o.name, { modelUri: o.modelUri, flavor: o.flavor, config: await parseConfigPairs(o.config), endpoint: o.endpoint });
      process.stdout.write(`Deployment ${o.name} is updated\n${json(info)}`);
    });

  config(endpoint(target(d.command('delete').description('Delete a deployment'))))
    .requiredOption('--name <name>', 'deployment name')
    .action(async (o: { target: string; name: string; config: string[]; endpoint?: string }) => {
      await (await client(o.target)).deleteDeployment(o.name, { config: await parseConfigPairs(o.config), endpoint: o.endpoint });
      process.stdout.write(`Deployment ${o.name} is deleted\n`);
    });

  endpoint(target(d.command('list').description('List deployments'))).action(async (o: { target: string; endpoint?: string }) => {
    process.stdout.write(json(await (await client(o.target)).listDeployments(o.endpoint)));
  });

  endpoint(target(d.command('get').description('Describe a deployment')))
    .requiredOption('--name <name>', 'deployment name')
    .action(async (o: { target: string; name: string; endpoint?: string }) => {
      process.stdout.write(json(await (await client(o.target)).getDeployment(o.name, o.endpoint)));
    });

  // predict and explain: a scoring request in, the target's JSON answer out.
  for (const verb of ['predict', 'explain'] as const) {
    const cmd = endpoint(target(d.command(verb).description(verb === 'predict' ? 'Score a JSON request with a deployment or an endpoint' : "Explain a deployment's predictions for a JSON request")))
      .option('--name <name>', 'deployment name (exactly one of --name or --endpoint)')
      .requiredOption('-I, --input-path <file>', 'JSON request, as the scoring server takes it')
      .option('-O, --output-path <file>', 'where to write the answer (default: standard output)');
    cmd.action(async (o: { target: string; name?: string; inputPath: string; outputPath?: string; endpoint?: string }) => {
      // click.UsageError in MLflow's CLI; a SageMaker deployment and its endpoint share the name.
      if ((o.name === undefined) === (o.endpoint === undefined)) usageError(cmd, 'Must specify exactly one of --name or --endpoint.');
      const c = await client(o.target);
      const call = verb === 'predict' ? c.predict.bind(c) : (await deploy()).clientMethod(c, 'explain', o.target, verb);
      const body = await readFile(o.inputPath, 'utf8');
      const out = json(await call(o.name ?? (o.endpoint as string), body, o.endpoint));
      if (o.outputPath) await writeFile(o.outputPath, out);
      else process.stdout.write(out);
    });
  }

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

  const requiredEndpoint = (cmd: Command): Command => cmd.requiredOption('--endpoint <name>', 'name of the endpoint');
  config(requiredEndpoint(target(d.command('create-endpoint').description('Create an endpoint')))).action(
    async (o: { target: string; endpoint: string; config: string[] }) => {
      const info = await (await optional(o.target, 'createEndpoint', 'create-endpoint'))(o.endpoint, await parseConfigPairs(o.config));
      process.stdout.write(`Endpoint ${o.endpoint} is created\n${json(info)}`);
    },
  );
  config(requiredEndpoint(target(d.command('update-endpoint').description('Update an endpoint')))).action(
    async (o: { target: string; endpoint: string; config: string[] }) => {
      await (await optional(o.target, 'updateEndpoint', 'update-endpoint'))(o.endpoint, await parseConfigPairs(o.config));
      process.stdout.write(`Endpoint ${o.endpoint} is updated\n`);
    },
  );
  requiredEndpoint(target(d.command('delete-endpoint').description('Delete an endpoint'))).action(async (o: { target: string; endpoint: string }) => {
    await (await optional(o.target, 'deleteEndpoint', 'delete-endpoint'))(o.endpoint);
    process.stdout.write(`Endpoint ${o.endpoint} is deleted\n`);
  });
  target(d.command('list-endpoints').description('List endpoints')).action(async (o: { target: string }) => {
    process.stdout.write(json(await (await optional(o.target, 'listEndpoints', 'list-endpoints'))()));
  });
  requiredEndpoint(target(d.command('get-endpoint').description('Describe an endpoint'))).action(async (o: { target: string; endpoint: string }) => {
    process.stdout.write(json(await (await optional(o.target, 'getEndpoint', 'get-endpoint'))(o.endpoint)));
  });
}

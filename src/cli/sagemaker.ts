import { readFile, writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_BASE_IMAGE } from '../deploy/docker/dockerfile.js';
import { DEFAULT_IMAGE_TAG, IMAGE_URL_ENV } from '../deploy/sagemaker/default-resources.js';
import {
  DEFAULT_IMAGE_NAME,
  DEFAULT_INSTANCE_TYPE,
  DEFAULT_REGION,
  DEFAULT_TIMEOUT_SECONDS,
  DEPLOY_MODES,
  type DeployMode,
  type VpcConfig,
} from '../deploy/sagemaker/deploy-options.js';
import { MlflowError } from '../errors.js';
import { imageCompatOptions } from './models-docker.js';

const progress = (m: string): void => void process.stderr.write(`${m}\n`);

// The deploy code is loaded by each action, not at the top: every command's module is loaded to parse any command line.
const sageMaker = (): Promise<typeof import('../deploy/sagemaker/index.js')> => import('../deploy/sagemaker/index.js');

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${value}' is not a positive integer`);
  return n;
}

/** A JSON file (MLflow's --vpc-config is a path) or inline JSON text. */
async function jsonOption<T>(value: string | undefined, field: string): Promise<T | undefined> {
  if (value === undefined) return undefined;
  const text = value.trimStart().startsWith('{') ? value : await readFile(value, 'utf8').catch(() => {
    throw new MlflowError(`--${field}: cannot read the JSON file '${value}'`, 'INVALID_PARAMETER_VALUE');
  });
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new MlflowError(`--${field}: not JSON (${(e as Error).message})`, 'INVALID_PARAMETER_VALUE');
  }
}

interface ModelFlags {
  modelUri: string;
  executionRoleArn?: string;
  bucket?: string;
  imageUrl?: string;
  regionName: string;
  vpcConfig?: string;
  flavor?: string;
}

/** MLflow's region default for its SageMaker commands (boto3's session region is not read there). */
const regionOption = (cmd: Command, short = false): Command =>
  cmd.option(`${short ? '-r, ' : ''}--region-name <region>`, 'AWS region', DEFAULT_REGION);

function modelOptions(cmd: Command): Command {
  return regionOption(
    cmd
      .requiredOption('-m, --model-uri <uri>', 'URI of the model')
      .option('-e, --execution-role-arn <arn>', 'IAM role SageMaker assumes (default: the role of the assumed-role credentials)')
      .option('-b, --bucket <bucket>', 'S3 bucket for model.tar.gz (default mlflow-sagemaker-<region>-<account>)')
      .option('-i, --image-url <url>', `ECR URL of the serving image (default ${IMAGE_URL_ENV}, else the account's ${DEFAULT_IMAGE_NAME} ECR repository)`),
  )
    .option('-v, --vpc-config <file>', 'JSON file (or text) with SecurityGroupIds and Subnets')
    .option('-f, --flavor <flavor>', 'model flavor to deploy: python_function (default: the model\'s python_function)');
}

async function modelArgs(f: ModelFlags) {
  return {
    modelUri: f.modelUri,
    executionRoleArn: f.executionRoleArn,
    bucket: f.bucket,
    imageUrl: f.imageUrl,
    region: f.regionName,
    vpcConfig: await jsonOption<VpcConfig>(f.vpcConfig, 'vpc-config'),
    flavor: f.flavor,
  };
}

/** `sagemaker ...`: MLflow's SageMaker commands. */
export function registerSageMaker(parent: Command): void {
  const sm = parent.command('sagemaker').description('Serve models on Amazon SageMaker');

  const push = sm
    .command('build-and-push-container')
    .description('Build the serving image (model mounted by SageMaker at /opt/ml/model) and push it to ECR')
    .option('--build', 'build the image (default)')
    .option('--no-build', 'push an image built before')
    .option('--push', 'push the image to ECR (default)')
    .option('--no-push', 'only build')
    .option('-c, --container <name>', `image and ECR repository name (tagged ${DEFAULT_IMAGE_TAG} when no tag is given)`, DEFAULT_IMAGE_NAME)
    .option('--region-name <region>', `AWS region (default AWS_REGION / AWS_DEFAULT_REGION, else ${DEFAULT_REGION})`)
    .option('--base-image <image>', 'base image with Node 20', DEFAULT_BASE_IMAGE);
  imageCompatOptions(push).action(async (o: { container: string; build: boolean; push: boolean; regionName?: string; baseImage: string }) => {
    const onOutput = (c: string) => void process.stderr.write(c);
    if (!o.build && !o.push) {
      process.stdout.write('skipping both build and push, have nothing to do!\n');
      return;
    }
    if (!o.push) {
      const { buildImage } = await import('../deploy/docker/index.js');
      await buildImage({ imageName: o.container, baseImage: o.baseImage, onOutput });
      return;
    }
    const url = await (await sageMaker()).buildAndPushContainer({ imageName: o.container, region: o.regionName, skipBuild: !o.build, baseImage: o.baseImage, onOutput });
    process.stdout.write(`${url}\n`);
  });

  sm.command('run-local')
    .description('Run the serving image locally as SageMaker would: the model mounted at /opt/ml/model, `serve`')
    .requiredOption('-m, --model-uri <uri>', 'URI of the model')
    .option('-p, --port <port>', 'local port', positiveInt, 5000)
    .option('-i, --image <image>', 'image to run', DEFAULT_IMAGE_NAME)
    .action(async (o: { modelUri: string; port: number; image: string }) => {
      await (await sageMaker()).runLocal({ modelUri: o.modelUri, port: o.port, image: o.image });
    });

  modelOptions(sm.command('deploy').description('Deploy a model to a SageMaker endpoint'))
    .requiredOption('-a, --app-name <name>', 'endpoint name')
    .addOption(new Option('--mode <mode>', 'create a new endpoint, replace its model, or add a variant').choices(DEPLOY_MODES).default('create'))
    .option('-t, --instance-type <type>', 'instance type', DEFAULT_INSTANCE_TYPE)
    .option('-c, --instance-count <n>', 'instances', positiveInt, 1)
    .option('--async-inference-config <json>', 'AsyncInferenceConfig (JSON file or text)')
    .option('--env <json>', 'environment of the serving container (JSON object)')
    .option('--archive', 'keep the replaced configuration and models')
    .option('--async', 'return without waiting for InService')
    .option('--timeout <seconds>', 'how long to wait for InService', positiveInt, DEFAULT_TIMEOUT_SECONDS)
    .action(async (o: ModelFlags & { appName: string; mode: DeployMode; instanceType: string; instanceCount: number; asyncInferenceConfig?: string; env?: string; archive?: boolean; async?: boolean; timeout: number }) => {
      const r = await (await sageMaker()).deploySageMaker({
        ...(await modelArgs(o)),
        appName: o.appName,
        mode: o.mode,
        instanceType: o.instanceType,
        instanceCount: o.instanceCount,
        asyncInferenceConfig: await jsonOption(o.asyncInferenceConfig, 'async-inference-config'),
        env: await jsonOption<Record<string, string>>(o.env, 'env'),
        archive: o.archive,
        synchronous: !o.async,
        timeoutSeconds: o.timeout,
        onProgress: progress,
      });
      process.stdout.write(`${JSON.stringify(r)}\n`);
    });

  regionOption(sm.command('delete')
    .description('Delete a SageMaker endpoint with its configuration, models and archives')
    .requiredOption('-a, --app-name <name>', 'endpoint name'))
    .option('--archive', 'keep the configuration and models')
    .option('--async', 'return without waiting for the deletion')
    .option('--timeout <seconds>', 'how long to wait', positiveInt, DEFAULT_TIMEOUT_SECONDS)
    .action(async (o: { appName: string; regionName: string; archive?: boolean; async?: boolean; timeout: number }) => {
      await (await sageMaker()).deleteSageMaker({ appName: o.appName, region: o.regionName, archive: o.archive, synchronous: !o.async, timeoutSeconds: o.timeout, onProgress: progress });
    });

  modelOptions(sm.command('push-model').description('Create a SageMaker model from an MLflow model (no endpoint)'))
    .requiredOption('-n, --model-name <name>', 'SageMaker model name')
    .action(async (o: ModelFlags & { modelName: string }) => {
      process.stdout.write(`${await (await sageMaker()).pushModelToSageMaker(o.modelName, await modelArgs(o))}\n`);
    });

  modelOptions(sm.command('deploy-transform-job').description('Run a SageMaker batch transform job with the model'))
    .requiredOption('-n, --job-name <name>', 'transform job name')
    .requiredOption('--input-data-type <type>', 'S3Prefix or ManifestFile')
    .requiredOption('-u, --input-uri <uri>', 's3:// input')
    .requiredOption('--content-type <type>', 'input content type, e.g. text/csv')
    .requiredOption('-o, --output-path <uri>', 's3:// output prefix')
    .option('--compression-type <type>', 'None or Gzip', 'None')
    .option('-s, --split-type <type>', 'None, Line, RecordIO or TFRecord', 'Line')
    .option('-a, --accept <type>', 'output content type', 'text/csv')
    .option('--assemble-with <how>', 'None or Line', 'Line')
    .option('--input-filter <jsonpath>', 'JSONPath selecting the input', '$')
    .option('--output-filter <jsonpath>', 'JSONPath selecting the output', '$')
    .option('-j, --join-resource <source>', 'Input or None', 'None')
    .option('-t, --instance-type <type>', 'instance type', DEFAULT_INSTANCE_TYPE)
    .option('-c, --instance-count <n>', 'instances', positiveInt, 1)
    .option('--archive', 'keep the SageMaker model after the job')
    .option('--async', 'return without waiting for the job')
    .option('--timeout <seconds>', 'how long to wait', positiveInt, DEFAULT_TIMEOUT_SECONDS)
    .action(async (o: ModelFlags & Record<string, string | number | boolean | undefined>) => {
      const r = await (await sageMaker()).deployTransformJob({
        ...(await modelArgs(o)),
        jobName: o.jobName as string,
        inputDataType: o.inputDataType as 'S3Prefix',
        inputUri: o.inputUri as string,
        contentType: o.contentType as string,
        outputPath: o.outputPath as string,
        compressionType: o.compressionType as 'None',
        splitType: o.splitType as 'Line',
        accept: o.accept as string,
        assembleWith: o.assembleWith as 'Line',
        inputFilter: o.inputFilter as string | undefined,
        outputFilter: o.outputFilter as string | undefined,
        joinResource: o.joinResource as 'Input' | undefined,
        instanceType: o.instanceType as string,
        instanceCount: o.instanceCount as number,
        archive: o.archive as boolean | undefined,
        synchronous: !o.async,
        timeoutSeconds: o.timeout as number,
        onProgress: progress,
      });
      process.stdout.write(`${JSON.stringify(r)}\n`);
    });

  regionOption(sm.command('terminate-transform-job')
    .description('Stop a transform job and delete its model')
    .requiredOption('-n, --job-name <name>', 'transform job name'), true)
    .option('--archive', 'keep the SageMaker model')
    .option('--async', 'return without waiting for the job to stop')
    .option('--timeout <seconds>', 'how long to wait for the job to stop', positiveInt, DEFAULT_TIMEOUT_SECONDS)
    .action(async (o: { jobName: string; regionName: string; archive?: boolean; async?: boolean; timeout: number }) => {
      await (await sageMaker()).terminateTransformJob({ jobName: o.jobName, region: o.regionName, archive: o.archive, synchronous: !o.async, timeoutSeconds: o.timeout, onProgress: progress });
    });

  regionOption(sm.command('predict')
    .description('Score a JSON request (file or stdin) with a SageMaker endpoint')
    .requiredOption('-a, --app-name <name>', 'endpoint name'))
    .option('-i, --input-path <file>', 'request body (default: standard input)')
    .option('-o, --output-path <file>', 'where to write the predictions (default: standard output)')
    .action(async (o: { appName: string; regionName: string; inputPath?: string; outputPath?: string }) => {
      const body = o.inputPath ? await readFile(o.inputPath, 'utf8') : await readStdin();
      const out = `${JSON.stringify(await (await sageMaker()).predictSageMaker(o.appName, body, { region: o.regionName }))}\n`;
      if (o.outputPath) await writeFile(o.outputPath, out);
      else process.stdout.write(out);
    });
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

import { Command } from 'commander';
import { DEFAULT_BASE_IMAGE } from '../deploy/docker/dockerfile.js';
import { ENV_MANAGERS, ignoredOption, refusedOption } from './mlflow-options.js';

/**
 * MLflow's image options that mean nothing for an mlflow-ts image, shared by generate-dockerfile,
 * build-docker and sagemaker build-and-push-container.
 */
export function imageCompatOptions(cmd: Command, which: { java?: boolean; installMlflow?: boolean; mlserver?: boolean } = {}): Command {
  ignoredOption(
    cmd,
    `--env-manager <manager>`,
    `MLflow's environment manager for the image (${ENV_MANAGERS.join(', ')})`,
    "the image installs the model's requirements.txt into the image's own Python at build time, and only when the model needs the Python bridge",
  );
  ignoredOption(cmd, '--mlflow-home <path>', 'a local MLflow checkout to install in the image', 'the image runs mlflow-ts, not MLflow');
  if (which.java) {
    ignoredOption(cmd, '--install-java [bool]', 'install Java in the image', 'no flavor needs a JVM here: Spark and H2O MOJO models are scored natively');
  }
  if (which.installMlflow) {
    ignoredOption(cmd, '--install-mlflow', 'install mlflow in the image', "the image serves with mlflow-ts; a model whose code imports mlflow lists it in its requirements.txt, which the image installs");
  }
  if (which.mlserver) {
    refusedOption(cmd, '--enable-mlserver', 'serve with MLServer', "the image serves with mlflow-ts's own server (which speaks the Open Inference Protocol V2 beside MLflow's), not MLServer");
  }
  return cmd;
}

/** `models generate-dockerfile` and `models build-docker`, as MLflow's. */
export function registerModelsDocker(parent: Command): void {
  const generate = parent
    .command('generate-dockerfile')
    .description('Write a Docker build context (Dockerfile, mlflow-ts, the model) that serves the model on port 8080')
    .option('-m, --model-uri <uri>', 'model to copy into the image; without it, mount one at /opt/ml/model')
    .option('-d, --output-directory <dir>', 'directory to write the build context to', 'mlflow-dockerfile')
    .option('--base-image <image>', 'base image with Node 20', DEFAULT_BASE_IMAGE);
  imageCompatOptions(generate, { java: true, installMlflow: true, mlserver: true }).action(
    async (opts: { modelUri?: string; outputDirectory: string; baseImage: string }) => {
      const { generateBuildContext } = await import('../deploy/docker/index.js');
      const context = await generateBuildContext({ modelUri: opts.modelUri, outputDir: opts.outputDirectory, baseImage: opts.baseImage });
      process.stdout.write(`Wrote the build context to ${context.dir}${context.python ? ' (with python3 for the Python bridge)' : ''}\n`);
    },
  );
  const build = parent
    .command('build-docker')
    .description('Build an image that serves the model on port 8080 (docker, else podman, else buildah)')
    .option('-m, --model-uri <uri>', 'model to copy into the image; without it, mount one at /opt/ml/model')
    .option('-n, --name <name>', 'image name', 'mlflow-pyfunc-servable')
    .option('--base-image <image>', 'base image with Node 20', DEFAULT_BASE_IMAGE);
  imageCompatOptions(build, { java: true, installMlflow: true, mlserver: true }).action(async (opts: { modelUri?: string; name: string; baseImage: string }) => {
    const { buildImage, formatBytes } = await import('../deploy/docker/index.js');
    const image = await buildImage({
      modelUri: opts.modelUri,
      imageName: opts.name,
      baseImage: opts.baseImage,
      onOutput: (chunk) => process.stderr.write(chunk),
    });
    process.stdout.write(`Built ${image.imageName} with ${image.tool.name}: ${formatBytes(image.sizeBytes)}\n`);
  });
}

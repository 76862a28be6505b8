import { Command } from 'commander';
import { buildImage, DEFAULT_BASE_IMAGE, formatBytes, generateBuildContext } from '../deploy/docker/index.js';

/** `models generate-dockerfile` and `models build-docker`, as MLflow's. */
export function registerModelsDocker(parent: Command): void {
  parent
    .command('generate-dockerfile')
    .description('Write a Docker build context (Dockerfile, mlflow-ts, the model) that serves the model on port 8080')
    .option('-m, --model-uri <uri>', 'model to copy into the image; without it, mount one at /opt/ml/model')
    .option('-d, --output-directory <dir>', 'directory to write the build context to', 'mlflow-dockerfile')
    .option('--base-image <image>', 'base image with Node 20', DEFAULT_BASE_IMAGE)
    .action(async (opts: { modelUri?: string; outputDirectory: string; baseImage: string }) => {
      const context = await generateBuildContext({ modelUri: opts.modelUri, outputDir: opts.outputDirectory, baseImage: opts.baseImage });
      process.stdout.write(`Wrote the build context to ${context.dir}${context.python ? ' (with python3 for the Python bridge)' : ''}\n`);
    });
  parent
    .command('build-docker')
    .description('Build an image that serves the model on port 8080 (docker, else podman, else buildah)')
    .option('-m, --model-uri <uri>', 'model to copy into the image; without it, mount one at /opt/ml/model')
    .option('-n, --name <name>', 'image name', 'mlflow-pyfunc-servable')
    .option('--base-image <image>', 'base image with Node 20', DEFAULT_BASE_IMAGE)
    .action(async (opts: { modelUri?: string; name: string; baseImage: string }) => {
      const image = await buildImage({
        modelUri: opts.modelUri,
        imageName: opts.name,
        baseImage: opts.baseImage,
        onOutput: (chunk) => process.stderr.write(chunk),
      });
      process.stdout.write(`Built ${image.imageName} with ${image.tool.name}: ${formatBytes(image.sizeBytes)}\n`);
    });
}

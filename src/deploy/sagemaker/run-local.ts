import { spawn } from 'node:child_process';
import { MlflowError } from '../../errors.js';
// Registers store/'s model URI schemes (runs:, models:, http(s):...) for resolveModelDir.
import '../../store/uri-schemes.js';
import { resolveModelDir } from '../../model/uri-resolver.js';
import { detectContainerTool, type ContainerTool } from '../docker/container-tool.js';
import { CONTAINER_PORT, MODEL_DIR_IN_IMAGE } from '../docker/dockerfile.js';
import { checkImageName } from '../docker/image-name.js';
import { DEFAULT_IMAGE_NAME } from './deploy-options.js';

export interface RunLocalOptions {
  modelUri: string;
  port?: number;
  image?: string;
  tool?: ContainerTool;
  /** Extra environment for the container (e.g. MLFLOW_MODELS_WORKERS). */
  env?: Record<string, string>;
  /** The container's name, to stop it from elsewhere. */
  containerName?: string;
}

/** The container command SageMaker would run: the model mounted read-only at /opt/ml/model, started with `serve`. */
export function runLocalArgs(tool: ContainerTool, modelDir: string, options: RunLocalOptions): string[] {
  const image = checkImageName(options.image ?? DEFAULT_IMAGE_NAME);
  const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  return [
    ...tool.globalArgs, 'run', '--rm', ...tool.limitArgs,
    ...(options.containerName ? ['--name', options.containerName] : []),
    '-p', `${options.port ?? 5000}:${CONTAINER_PORT}`,
    '-v', `${modelDir}:${MODEL_DIR_IN_IMAGE}:ro`,
    ...env, image, 'serve',
  ];
}

/** `sagemaker run-local`: runs the image in the foreground until it exits (Ctrl-C stops it). */
export async function runLocal(options: RunLocalOptions): Promise<void> {
  const modelDir = await resolveModelDir(options.modelUri);
  const tool = options.tool ?? (await detectContainerTool());
  if (tool.name === 'buildah') throw new MlflowError('run-local needs docker or podman; buildah only builds images', 'INVALID_STATE');
  const args = runLocalArgs(tool, modelDir, options);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(tool.name, args, { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', reject);
    child.on('exit', (code) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      if (code === 0 || code === null) resolve();
      else reject(new MlflowError(`'${tool.name} ${args.join(' ')}' exited with ${code}`, 'INVALID_STATE'));
    });
  });
}

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runChecked } from '../run-command.js';
import { generateBuildContext } from './build-context.js';
import { detectContainerTool, type ContainerTool } from './container-tool.js';
import { checkImageName } from './image-name.js';

export interface BuildImageOptions {
  /** The model to copy in; without it, the image serves a model mounted at /opt/ml/model. */
  modelUri?: string;
  imageName: string;
  baseImage?: string;
  tool?: ContainerTool;
  appDir?: string;
  /** The build's output as it comes. */
  onOutput?: (chunk: string) => void;
}

export interface BuiltImage {
  imageName: string;
  sizeBytes: number;
  python: boolean;
  tool: ContainerTool;
}

/** `models build-docker`: writes a build context to a temporary directory and builds it. */
export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const imageName = checkImageName(options.imageName);
  const tool = options.tool ?? (await detectContainerTool());
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-image-'));
  try {
    const context = await generateBuildContext({
      modelUri: options.modelUri,
      outputDir: path.join(tmp, 'context'),
      baseImage: options.baseImage,
      appDir: options.appDir,
    });
    const build = tool.name === 'buildah' ? ['bud'] : ['build'];
    await runChecked(`Building image '${imageName}'`, tool.name, [...tool.globalArgs, ...build, ...tool.limitArgs, '-t', imageName, context.dir], {
      onOutput: options.onOutput,
    });
    return { imageName, sizeBytes: await imageSize(tool, imageName), python: context.python, tool };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The image's uncompressed size in bytes, as the tool reports it. */
export async function imageSize(tool: ContainerTool, imageName: string): Promise<number> {
  const args =
    tool.name === 'buildah'
      ? ['inspect', '--type', 'image', '--format', '{{.Docker.Size}}', imageName]
      : [...tool.globalArgs, 'image', 'inspect', '--format', '{{.Size}}', imageName];
  const { stdout } = await runChecked(`Inspecting image '${imageName}'`, tool.name, args);
  return Number(stdout.trim());
}

export function formatBytes(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

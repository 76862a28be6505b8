import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
// Registers the built-in flavors, and store/'s model URI schemes (runs:, models:, http(s):...).
import '../../flavors/index.js';
import '../../store/uri-schemes.js';
import { getFlavor } from '../../flavors/registry.js';
import { REQUIREMENTS_FILE } from '../../model/environment.js';
import { Model } from '../../model/model.js';
import { resolveModelDir } from '../../model/uri-resolver.js';
import { appRoot, copyAppPackage, packagesToOmit } from './app-package.js';
import { DEFAULT_BASE_IMAGE, renderDockerfile, renderEntrypoint } from './dockerfile.js';

export interface BuildContextOptions {
  /** The model to copy into the image; without it the image serves a model mounted at /opt/ml/model. */
  modelUri?: string;
  /** The directory to write the context to: created, and must be empty if it exists. */
  outputDir: string;
  baseImage?: string;
  /** The mlflow-ts installation to package (default: the one running). */
  appDir?: string;
}

export interface BuildContext {
  dir: string;
  /** Whether the image carries python3 for the Python bridge. */
  python: boolean;
}

/**
 * True when only the Python bridge can score the model: none of its flavors is registered as
 * a js or native flavor here.
 */
export function needsPythonBridge(model: Model): boolean {
  return !Object.keys(model.flavors).some((name) => {
    const kind = getFlavor(name)?.kind;
    return kind === 'js' || kind === 'native';
  });
}

/** Writes a Docker build context: Dockerfile, entrypoint.sh, mlflow-ts/ (app + deps), model_dir/. */
export async function generateBuildContext(options: BuildContextOptions): Promise<BuildContext> {
  const dir = path.resolve(options.outputDir);
  // Resolve and read the model before writing anything, so a bad URI leaves nothing behind.
  const modelDir = options.modelUri === undefined ? undefined : await resolveModelDir(options.modelUri);
  const model = modelDir === undefined ? undefined : await Model.load(modelDir);
  const baseImage = options.baseImage ?? DEFAULT_BASE_IMAGE;
  if (!/^\S+$/.test(baseImage)) {
    throw new MlflowError(`Invalid base image '${baseImage}': an image reference has no spaces`, 'INVALID_PARAMETER_VALUE');
  }
  if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new MlflowError(`Output directory '${dir}' is not empty`, 'RESOURCE_ALREADY_EXISTS');
  }
  await mkdir(dir, { recursive: true });
  try {
    return await writeBuildContext(dir, options, modelDir, model, baseImage);
  } catch (e) {
    // A failed build leaves nothing behind: the folder was absent or empty when we started.
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function writeBuildContext(
  dir: string,
  options: BuildContextOptions,
  modelDir: string | undefined,
  model: Model | undefined,
  baseImage: string,
): Promise<BuildContext> {
  // Without a model, any model may be mounted later, so keep the Python bridge available.
  const python = model === undefined || needsPythonBridge(model);
  const requirements = modelDir !== undefined && existsSync(path.join(modelDir, REQUIREMENTS_FILE));
  await copyAppPackage(options.appDir ?? appRoot(), path.join(dir, 'mlflow-ts'), packagesToOmit(model && Object.keys(model.flavors)));
  const entrypoint = path.join(dir, 'mlflow-ts', 'entrypoint.sh');
  await writeFile(entrypoint, renderEntrypoint());
  await chmod(entrypoint, 0o755);
  if (modelDir !== undefined) await cp(modelDir, path.join(dir, 'model_dir'), { recursive: true });
  const dockerfile = renderDockerfile({
    baseImage,
    modelIncluded: modelDir !== undefined,
    python: python ? { requirementsFile: requirements ? `model_dir/${REQUIREMENTS_FILE}` : undefined } : undefined,
  });
  await writeFile(path.join(dir, 'Dockerfile'), dockerfile);
  await writeFile(path.join(dir, '.dockerignore'), '**/__pycache__\n');
  return { dir, python };
}

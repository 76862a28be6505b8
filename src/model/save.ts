import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { writeEnvironmentFiles, type PythonEnvironment } from './environment.js';
import { saveInputExample, type InputExample, type SavedInputExampleInfo } from './input-example.js';
import { totalFileSize } from './model-size.js';

/** What saving needs of a `Model` (declared here so save.ts does not import model.ts, which imports it). */
export interface SavableModel {
  readonly flavors: Record<string, unknown>;
  savedInputExampleInfo?: SavedInputExampleInfo;
  modelSizeBytes?: number;
  toYaml(): string;
}

export interface SaveOptions {
  /** Writes the flavor's own files (weights, code...) into the directory being built. */
  writeFiles?: (dir: string) => Promise<void>;
  /** Saved as input_example.json and serving_input_example.json; fills saved_input_example_info. */
  inputExample?: InputExample;
  /** conda.yaml, python_env.yaml and requirements.txt, written last as MLflow does. */
  environment?: PythonEnvironment;
}

/**
 * Builds the model directory in a temporary sibling and renames it into place, so a failed
 * save leaves nothing behind. Order as mlflow.<flavor>.save_model: input example, the flavor's
 * files, model_size_bytes (so it counts those but not MLmodel or the environment files), MLmodel,
 * environment files.
 */
export async function saveModelDir(model: SavableModel, dir: string, options: SaveOptions): Promise<void> {
  const target = path.resolve(dir);
  await refuseNonEmpty(target);
  if (Object.keys(model.flavors).length === 0) {
    throw new MlflowError(`Cannot save model to '${target}': it has no flavors (call addFlavor first)`, 'INVALID_PARAMETER_VALUE');
  }
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex')}`);
  await mkdir(tmp);
  try {
    if (options.inputExample !== undefined) {
      model.savedInputExampleInfo = await saveInputExample(tmp, options.inputExample);
    }
    if (options.writeFiles) await options.writeFiles(tmp);
    const size = await totalFileSize(tmp);
    if (size > 0) model.modelSizeBytes = size;
    await writeFile(path.join(tmp, 'MLmodel'), model.toYaml());
    if (options.environment) await writeEnvironmentFiles(tmp, options.environment);
    await refuseNonEmpty(target);
    try {
      await rename(tmp, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new MlflowError(`Path '${target}' already exists and is not empty`, 'RESOURCE_ALREADY_EXISTS', { cause: e });
      }
      throw e;
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (e instanceof MlflowError) throw e;
    throw new MlflowError(`Failed to save model to '${target}': ${(e as Error).message}`, 'INTERNAL_ERROR', { cause: e });
  }
}

async function refuseNonEmpty(target: string): Promise<void> {
  const entries = await readdir(target).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    if (e.code === 'ENOTDIR') {
      throw new MlflowError(`Path '${target}' already exists and is not a directory`, 'RESOURCE_ALREADY_EXISTS');
    }
    throw e;
  });
  if (entries.length > 0) {
    throw new MlflowError(`Path '${target}' already exists and is not empty`, 'RESOURCE_ALREADY_EXISTS');
  }
}

import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import {
  CONDA_ENV_FILE, defaultPythonEnvironment, Model, PYTHON_ENV_FILE,
  type InputExample, type ModelSignature, type PythonEnvironment,
} from '../../model/index.js';
import { localPython, pythonVersion } from './prepare-env.js';

export interface SavePythonFunctionOptions {
  /** The Python module with `_load_pyfunc(data_path)`, e.g. 'my_loader' from `code`. */
  loaderModule: string;
  /** Files or directories copied into the model's `code/` directory (MLflow's code_paths). */
  code?: string | string[];
  /** A file or directory copied to `data/<its name>`; its path is what _load_pyfunc receives. */
  data?: string;
  /**
   * The Python environment: python version (default: the local Python's) and pip requirements
   * (default: MLflow pinned; an mlflow requirement is added when the list has none, as MLflow does).
   */
  env?: Partial<PythonEnvironment>;
  /** Passed to `_load_pyfunc(data_path, model_config)` (MLflow's model_config). */
  modelConfig?: Record<string, unknown>;
  signature?: ModelSignature;
  inputExample?: InputExample;
  metadata?: Record<string, unknown>;
}

function isMlflowRequirement(req: string): boolean {
  return /^mlflow(\[[^\]]*\])?\s*([=<>!~;@]|$)/i.test(req.trim());
}

async function environmentFor(env: Partial<PythonEnvironment> = {}): Promise<PythonEnvironment> {
  const python = env.python ?? (await pythonVersion(localPython()));
  if (!python) {
    throw new MlflowError(
      `saveModel needs env.python (the Python version): '${localPython()}' could not tell its own (set MLFLOW_TS_PYTHON)`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  const defaults = defaultPythonEnvironment(python);
  const requirements = env.requirements ?? defaults.requirements;
  return {
    python,
    requirements: requirements.some(isMlflowRequirement) ? requirements : [defaults.requirements[0], ...requirements],
    buildDependencies: env.buildDependencies ?? defaults.buildDependencies,
    channels: env.channels,
  };
}

async function copyInto(src: string, dest: string, option: string): Promise<void> {
  try {
    await mkdir(path.dirname(dest), { recursive: true });
    await cp(src, dest, { recursive: true, errorOnExist: true, force: false });
  } catch (e) {
    throw new MlflowError(`saveModel could not copy ${option} '${src}': ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: e });
  }
}

/**
 * Saves a python_function model with a custom loader_module, laid out as
 * mlflow.pyfunc.save_model(loader_module=..., data_path=..., code_paths=...) lays it out, so
 * Python MLflow loads it too: MLmodel, code/, data/, conda.yaml, python_env.yaml, requirements.txt.
 */
export async function saveModel(dir: string, options: SavePythonFunctionOptions): Promise<Model> {
  if (typeof options.loaderModule !== 'string' || !/^[A-Za-z_][\w.]*$/.test(options.loaderModule)) {
    throw new MlflowError(`saveModel needs loaderModule, a Python module name; got '${String(options.loaderModule)}'`, 'INVALID_PARAMETER_VALUE');
  }
  const environment = await environmentFor(options.env);
  const codePaths = options.code === undefined ? [] : [options.code].flat();
  const data = options.data === undefined ? undefined : `data/${path.basename(path.resolve(options.data))}`;
  // Keys as mlflow.pyfunc.add_to_model writes them (the YAML writer sorts them).
  const conf: Record<string, unknown> = {
    loader_module: options.loaderModule,
    python_version: environment.python,
    env: { conda: CONDA_ENV_FILE, virtualenv: PYTHON_ENV_FILE },
  };
  if (codePaths.length > 0) conf.code = 'code';
  if (data) conf.data = data;
  if (options.modelConfig) conf.config = options.modelConfig;
  const model = new Model({ signature: options.signature, metadata: options.metadata }).addFlavor('python_function', conf);
  await model.save(dir, {
    inputExample: options.inputExample,
    environment,
    writeFiles: async (tmp) => {
      for (const p of codePaths) await copyInto(p, path.join(tmp, 'code', path.basename(path.resolve(p))), 'code');
      if (options.data !== undefined) await copyInto(options.data, path.join(tmp, data!), 'data');
    },
  });
  return model;
}

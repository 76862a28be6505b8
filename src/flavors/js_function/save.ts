import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import { Model, type InputExample, type ModelSignature } from '../../model/index.js';
import { logModel as logSavedModel, type MlflowClient, type ModelInfo } from '../../store/index.js';
import { FLAVOR_NAME } from './load.js';

export interface SaveJsFunctionOptions {
  /** The loader: a file name inside `code` (e.g. 'loader.mjs'), or an installed package name. */
  loaderModule: string;
  /** Files or directories copied into the model's `code/` directory. */
  code?: string | string[];
  /** A file or directory copied to `data/<its name>`; its path is what loadModel receives. */
  data?: string;
  /** The model's package.json, copied next to MLmodel. */
  env?: string;
  /** The Node versions the loader needs, e.g. '>=20' (default: this Node's major). */
  nodeVersion?: string;
  signature?: ModelSignature;
  inputExample?: InputExample;
  metadata?: Record<string, unknown>;
}

/**
 * Saves a js_function model: the loader code, its data and an MLmodel whose `js_function`
 * flavor names them. There is no `python_function` flavor, so Python MLflow reads the MLmodel
 * (Model.load, the signature, the registry) but cannot load the model itself.
 */
export async function saveModel(dir: string, options: SaveJsFunctionOptions): Promise<Model> {
  if (typeof options.loaderModule !== 'string' || options.loaderModule === '') {
    throw new MlflowError('saveModel needs loaderModule, the module that exports loadModel', 'INVALID_PARAMETER_VALUE');
  }
  const codePaths = options.code === undefined ? [] : [options.code].flat();
  const conf: Record<string, unknown> = {
    loader_module: options.loaderModule,
    code: codePaths.length > 0 ? 'code' : null,
    data: options.data === undefined ? null : `data/${path.basename(path.resolve(options.data))}`,
    env: options.env === undefined ? null : 'package.json',
    node_version: options.nodeVersion ?? `>=${process.versions.node.split('.')[0]}`,
  };
  const model = new Model({ signature: options.signature, metadata: options.metadata }).addFlavor(FLAVOR_NAME, conf);
  await model.save(dir, {
    inputExample: options.inputExample,
    writeFiles: async (tmp) => {
      if (codePaths.length > 0) await mkdir(path.join(tmp, 'code'));
      for (const p of codePaths) await copyInto(p, path.join(tmp, 'code', path.basename(path.resolve(p))), 'code');
      if (options.data !== undefined) await copyInto(options.data, path.join(tmp, conf.data as string), 'data');
      if (options.env !== undefined) await copyInto(options.env, path.join(tmp, 'package.json'), 'env');
    },
  });
  return model;
}

export interface LogJsFunctionOptions extends SaveJsFunctionOptions {
  runId: string;
  artifactPath: string;
  registeredModelName?: string;
  /** The tracking client; by default one for MLFLOW_TRACKING_URI. */
  client?: MlflowClient;
}

/** Saves a js_function model and logs it to a run (store/'s logModel), optionally registering it. */
export async function logModel(options: LogJsFunctionOptions): Promise<ModelInfo> {
  const staging = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-js-function-'));
  try {
    const modelDir = path.join(staging, 'model');
    const model = await saveModel(modelDir, options);
    return await logSavedModel({
      runId: options.runId,
      artifactPath: options.artifactPath,
      modelDir,
      model,
      registeredModelName: options.registeredModelName,
      client: options.client,
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function copyInto(src: string, dest: string, option: string): Promise<void> {
  try {
    await mkdir(path.dirname(dest), { recursive: true });
    await cp(src, dest, { recursive: true, errorOnExist: true, force: false });
  } catch (e) {
    throw new MlflowError(`saveModel could not copy ${option} '${src}': ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: e });
  }
}

import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MlflowError } from '../../errors.js';
import { resolveInside } from '../../model/path-safety.js';
import type { FlavorModel, LoadContext } from '../flavor.js';

export const FLAVOR_NAME = 'js_function';

/** What a js_function loader module exports. */
export interface JsFunctionLoader {
  loadModel(dataPath: string, config: Record<string, unknown>): FlavorModel | Promise<FlavorModel>;
}

/** File endings tried after the exact `loader_module` name inside the `code` directory. */
const EXTENSIONS = ['', '.mjs', '.js', '.cjs'];
/** An npm package name, optionally with a subpath; never a relative or absolute path. */
const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w.-]+)*$/i;

/**
 * Loads a js_function model: imports its loader module and calls `loadModel(dataPath, conf)`.
 * This runs the model's own code, by design: a js_function model IS code, as a
 * python_function model with a loader_module is in MLflow. Only load models you trust.
 */
export async function loadJsFunction(ctx: LoadContext): Promise<FlavorModel> {
  const { conf, modelDir } = ctx;
  const loaderModule = conf.loader_module;
  if (typeof loaderModule !== 'string' || loaderModule === '') {
    throw new MlflowError(
      `MLmodel in '${modelDir}': flavors.js_function.loader_module must be a module name`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  checkNodeVersion(conf.node_version, modelDir);
  const specifier = resolveLoader(modelDir, conf.code, loaderModule);
  const dataPath = typeof conf.data === 'string' ? resolveInside(modelDir, conf.data, 'flavors.js_function.data') : modelDir;

  let mod: Partial<JsFunctionLoader>;
  try {
    mod = (await import(specifier)) as Partial<JsFunctionLoader>;
  } catch (err) {
    throw new MlflowError(
      `Could not import the js_function loader module '${loaderModule}' of the model in '${modelDir}': ${(err as Error).message}`,
      'INVALID_PARAMETER_VALUE',
      { cause: err },
    );
  }
  if (typeof mod.loadModel !== 'function') {
    throw new MlflowError(
      `The js_function loader module '${loaderModule}' does not export a function loadModel(dataPath, config)`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  const loaded = await mod.loadModel(dataPath, conf);
  if (typeof loaded !== 'object' || loaded === null || typeof loaded.predict !== 'function') {
    throw new MlflowError(
      `loadModel of the js_function loader module '${loaderModule}' did not return an object with a predict(input, params) method`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  return loaded;
}

/** A file inside the model's `code` directory when there is one, else a package name. */
function resolveLoader(modelDir: string, code: unknown, loaderModule: string): string {
  if (typeof code === 'string') {
    const codeDir = resolveInside(modelDir, code, 'flavors.js_function.code');
    for (const ext of EXTENSIONS) {
      const candidate = resolveInside(codeDir, loaderModule + ext, 'flavors.js_function.loader_module');
      if (existsSync(candidate) && statSync(candidate).isFile()) return pathToFileURL(candidate).href;
    }
  }
  if (!PACKAGE_NAME.test(loaderModule)) {
    throw new MlflowError(
      `The js_function loader module '${loaderModule}' is neither a file in the model's code directory` +
        ` (${typeof code === 'string' ? `'${code}'` : 'none'}) nor a package name`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  // A package installed next to the model (its node_modules, per its package.json), else one
  // installed with mlflow-ts.
  try {
    return pathToFileURL(createRequire(path.join(modelDir, 'MLmodel')).resolve(loaderModule)).href;
  } catch {
    return loaderModule;
  }
}

/** Refuses a model that declares `node_version: '>=N'` when this Node is older. */
function checkNodeVersion(nodeVersion: unknown, modelDir: string): void {
  if (typeof nodeVersion !== 'string') return;
  const min = /^>=\s*(\d+)/.exec(nodeVersion.trim());
  const running = Number(process.versions.node.split('.')[0]);
  if (min && running < Number(min[1])) {
    throw new MlflowError(
      `The model in '${modelDir}' needs Node ${nodeVersion} (flavors.js_function.node_version); this is Node ${process.versions.node}`,
      'INVALID_PARAMETER_VALUE',
    );
  }
}

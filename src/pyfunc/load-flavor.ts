import { MlflowError } from '../errors.js';
import type { LoadOptions } from '../flavors/flavor.js';
import { getFlavor } from '../flavors/registry.js';
// Registers the built-in flavors (each imports its code on first load).
import '../flavors/index.js';
import { Model } from '../model/model.js';
import { makePredictor, type Predictor } from './predictor.js';

const RUNTIMES = ['auto', 'native', 'python'] as const;

/** The runtime asked for, else MLFLOW_TS_RUNTIME, else auto. */
export function runtimeOf(options: LoadOptions): NonNullable<LoadOptions['runtime']> {
  if (options.runtime !== undefined) return options.runtime;
  const env = process.env.MLFLOW_TS_RUNTIME;
  if (env === undefined || env === '') return 'auto';
  if (!(RUNTIMES as readonly string[]).includes(env)) {
    throw new MlflowError(`MLFLOW_TS_RUNTIME must be one of ${RUNTIMES.join(', ')}, not '${env}'`, 'INVALID_PARAMETER_VALUE');
  }
  return env as NonNullable<LoadOptions['runtime']>;
}

/** The MLmodel section a flavor loads from, with the python_function section's predict_fn when it has none. */
export function flavorConf(model: Model, name: string): Record<string, unknown> {
  const own = model.flavors[name] ?? {};
  const predictFn = model.flavors.python_function?.predict_fn;
  if (own.predict_fn === undefined && predictFn !== undefined) return { ...own, predict_fn: predictFn };
  return own;
}

/**
 * Loads the model in the local directory `modelDir` with the flavor `name`, as loadPredictor
 * loads it once it has chosen that flavor: for a `models predict --workers` thread, whose main
 * thread already resolved the URI and chose the flavor, so that the thread imports neither the
 * URI schemes (store/) nor any flavor but this one.
 */
export async function loadFlavorPredictor(modelDir: string, name: string, options: LoadOptions): Promise<Predictor> {
  const model = await Model.load(modelDir);
  const flavor = getFlavor(name);
  if (!flavor || model.flavors[name] === undefined) {
    throw new MlflowError(`The model at '${modelDir}' cannot be loaded with flavor '${name}'`, 'INVALID_PARAMETER_VALUE');
  }
  const flavorModel = await flavor.loadPredictor({ modelDir, model, conf: flavorConf(model, name), options: { ...options, runtime: runtimeOf(options) } });
  return makePredictor(model, flavor.name, flavorModel, { kind: flavor.kind, modelDir });
}

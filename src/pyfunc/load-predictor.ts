import { MlflowError } from '../errors.js';
import type { Flavor, LoadOptions } from '../flavors/flavor.js';
import { getFlavor, registeredFlavors } from '../flavors/registry.js';
// Registers the built-in flavors, and store/'s model URI schemes (runs:, models:, http(s):...).
import '../flavors/index.js';
import '../store/index.js';
import { Model } from '../model/model.js';
import { resolveModelDir } from '../model/uri-resolver.js';
import { makePredictor, type Predictor } from './predictor.js';

export interface LoadPredictorOptions extends LoadOptions {
  /** Load with this flavor (a name in the model's MLmodel), whatever the usual order says. */
  flavor?: string;
}

/** A flavor's place in the usual order: a js_function model, then native scoring, then Python. */
const KIND_ORDER: Record<Flavor['kind'], number> = { js: 0, native: 1, python: 2 };

/**
 * Loads the model at `uri` (a local path, file://, or any scheme registered with
 * registerModelUriResolver) as a Predictor.
 *
 * The flavor is, in order: a `js_function` flavor; a registered native flavor present in the
 * model; the Python bridge (registered as 'python_function', kind 'python'). `runtime: 'native'`
 * keeps the first two, `runtime: 'python'` only the bridge; `flavor` names one outright.
 *
 * The flavor gets its own MLmodel section as `conf`, plus `predict_fn` from the
 * `python_function` section when its own section has none: a flavor with several methods
 * (predict, predict_proba, ...) calls the one `conf.predict_fn` names.
 */
export async function loadPredictor(uri: string, options: LoadPredictorOptions = {}): Promise<Predictor> {
  const modelDir = await resolveModelDir(uri);
  const model = await Model.load(modelDir);
  const flavor = chooseFlavor(model, uri, options);
  const conf = flavorConf(model, flavor.name);
  const { flavor: _forced, ...loadOptions } = options;
  const flavorModel = await flavor.loadPredictor({ modelDir, model, conf, options: loadOptions });
  return makePredictor(model, flavor.name, flavorModel);
}

function allowedKinds(runtime: LoadOptions['runtime']): Flavor['kind'][] {
  if (runtime === 'native') return ['js', 'native'];
  if (runtime === 'python') return ['python'];
  return ['js', 'native', 'python'];
}

function chooseFlavor(model: Model, uri: string, options: LoadPredictorOptions): Flavor {
  const inModel = Object.keys(model.flavors);
  const kinds = allowedKinds(options.runtime);
  if (options.flavor !== undefined) {
    const forced = getFlavor(options.flavor);
    if (!inModel.includes(options.flavor)) {
      throw new MlflowError(
        `The model at '${uri}' has no '${options.flavor}' flavor; its flavors are ${list(inModel)}`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    if (!forced) {
      throw new MlflowError(
        `No flavor named '${options.flavor}' is registered; registered flavors: ${describeRegistered()}`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    if (!kinds.includes(forced.kind)) {
      throw new MlflowError(
        `Flavor '${forced.name}' is of kind '${forced.kind}', which runtime '${options.runtime}' excludes`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    return forced;
  }
  const candidates = inModel
    .map((name) => getFlavor(name))
    .filter((f): f is Flavor => f !== undefined && kinds.includes(f.kind))
    // Array.prototype.sort is stable: within a kind, MLmodel order decides.
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  if (candidates.length === 0) {
    throw new MlflowError(
      `No registered flavor can load the model at '${uri}' with runtime '${options.runtime ?? 'auto'}'. ` +
        `The model's flavors are ${list(inModel)}; registered flavors: ${describeRegistered()}.`,
      'RESOURCE_DOES_NOT_EXIST',
    );
  }
  return candidates[0];
}

function flavorConf(model: Model, name: string): Record<string, unknown> {
  const own = model.flavors[name] ?? {};
  const predictFn = model.flavors.python_function?.predict_fn;
  if (own.predict_fn === undefined && predictFn !== undefined) return { ...own, predict_fn: predictFn };
  return own;
}

function list(names: string[]): string {
  return names.length === 0 ? '(none)' : names.map((n) => `'${n}'`).join(', ');
}

function describeRegistered(): string {
  const all = registeredFlavors();
  return all.length === 0 ? '(none)' : all.map((f) => `'${f.name}' (${f.kind})`).join(', ');
}

import { isNotSupportedNatively, MlflowError, NotSupportedNativelyError } from '../errors.js';
import type { Flavor, LoadOptions } from '../flavors/flavor.js';
import { getFlavor, registeredFlavors } from '../flavors/registry.js';
// Registers the built-in flavors, and store/'s model URI schemes (runs:, models:, http(s):...).
import '../flavors/index.js';
import '../store/uri-schemes.js';
import { Model } from '../model/model.js';
import { resolveModelDir } from '../model/uri-resolver.js';
import { flavorConf, runtimeOf } from './load-flavor.js';
import { makePredictor, type Prediction, type Predictor } from './predictor.js';
import { warnOnStderr, type WarningSink } from '../warnings.js';

export interface LoadPredictorOptions extends LoadOptions {
  /** Load with this flavor (a name in the model's MLmodel), whatever the usual order says. */
  flavor?: string;
  /**
   * Where the one-line warning goes when a native flavor refuses the model and the Python bridge
   * takes it (default: a line on stderr).
   */
  onWarning?: WarningSink;
  /**
   * Called as a flavor that is not the Python bridge starts loading the model, with the local
   * directory and the flavor's name, and awaited before the load (`models predict --workers`
   * starts its threads loading the same model, then cuts the input file while they load).
   */
  onLoadStart?: (modelDir: string, flavor: string) => void | Promise<void>;
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
 * A flavor that refuses the model with NotSupportedNativelyError hands it to the next in that
 * order (with `runtime: 'auto'`, the bridge), after one warning line naming the reason; any
 * other error (a corrupt file, a missing artifact) ends the load.
 *
 * The flavor gets its own MLmodel section as `conf`, plus `predict_fn` from the
 * `python_function` section when its own section has none: a flavor with several methods
 * (predict, predict_proba, ...) calls the one `conf.predict_fn` names.
 */
export async function loadPredictor<Out extends Prediction = Prediction>(uri: string, options: LoadPredictorOptions = {}): Promise<Predictor<Out>> {
  const modelDir = await resolveModelDir(uri);
  const model = await Model.load(modelDir);
  const { flavor: _forced, onWarning, onLoadStart, ...rest } = options;
  const loadOptions = { ...rest, runtime: runtimeOf(options) };
  const warn = onWarning ?? warnOnStderr;
  const candidates = candidateFlavors(model, uri, { ...options, runtime: loadOptions.runtime });
  const refusals: string[] = [];
  for (let i = 0; ; i++) {
    const flavor = candidates[i];
    try {
      const conf = flavorConf(model, flavor.name);
      // Said before the load, which is when a bridge model's code first runs (unpickling).
      if (i === 0 && flavor.kind === 'python' && loadOptions.runtime === 'auto' && options.flavor === undefined) {
        warn(`WARNING: the model at '${uri}' has no flavor mlflow-ts scores natively, so the Python bridge loads it, ` +
          "which runs the model's own Python code; --runtime native (MLFLOW_TS_RUNTIME=native) refuses such models");
      }
      if (flavor.kind !== 'python') await onLoadStart?.(modelDir, flavor.name);
      const flavorModel = await flavor.loadPredictor({ modelDir, model, conf, options: loadOptions });
      return makePredictor<Out>(model, flavor.name, flavorModel, { kind: flavor.kind, modelDir });
    } catch (e) {
      const next = candidates[i + 1];
      if (!isNotSupportedNatively(e)) throw withRefusals(e, refusals);
      if (next === undefined) throw withRuntimeAdvice(e, model, options);
      warn(fallbackWarning(flavor, e, next));
      refusals.push(`${e.message} (flavor '${flavor.name}')`);
    }
  }
}

/** A fallback that failed too: its error says why the model went there, not only how it failed. */
function withRefusals(e: unknown, refusals: string[]): unknown {
  if (refusals.length === 0 || !(e instanceof MlflowError)) return e;
  return new MlflowError(`${e.message}. The model was loaded this way because ${refusals.join('; ')}`, e.errorCode, { cause: e });
}

/** Which flavor and runtime loadPredictor gives a model, and why (for `models describe`). */
export interface RuntimePlan {
  flavor: string;
  runtime: 'js' | 'native' | 'python';
  reason: string;
}

/**
 * What loadPredictor would do with the model, found the same way: each native flavor is loaded
 * (and closed) to see whether it refuses the model; the Python bridge is not started.
 */
export async function planRuntime(uri: string, options: LoadPredictorOptions = {}): Promise<RuntimePlan> {
  const modelDir = await resolveModelDir(uri);
  const model = await Model.load(modelDir);
  const { flavor: _forced, onWarning: _w, onLoadStart: _s, ...rest } = options;
  const loadOptions = { ...rest, runtime: runtimeOf(options) };
  const candidates = candidateFlavors(model, uri, { ...options, runtime: loadOptions.runtime });
  const refusals: string[] = [];
  for (const flavor of candidates) {
    const why = options.flavor !== undefined ? `flavor '${flavor.name}' was asked for` : undefined;
    if (flavor.kind === 'python') {
      const reason = why ?? (refusals.length > 0 ? refusals.join('; ') : `no flavor of the model (${list(Object.keys(model.flavors))}) is scored natively`);
      return { flavor: flavor.name, runtime: 'python', reason };
    }
    try {
      const conf = flavorConf(model, flavor.name);
      const loaded = await flavor.loadPredictor({ modelDir, model, conf, options: loadOptions });
      await loaded.close?.();
      const reason = why ?? (flavor.kind === 'js' ? 'the model is a JavaScript (js_function) model' : `the ${flavor.name} flavor loads natively`);
      return { flavor: flavor.name, runtime: flavor.kind, reason };
    } catch (e) {
      if (!isNotSupportedNatively(e) || flavor === candidates[candidates.length - 1]) throw e;
      refusals.push(e.message);
    }
  }
  throw new MlflowError(`No flavor can load the model at '${uri}'`, 'RESOURCE_DOES_NOT_EXIST');
}

function fallbackWarning(flavor: Flavor, e: Error, next: Flavor): string {
  const using = next.kind === 'python' ? 'the Python bridge' : `the '${next.name}' flavor`;
  return `WARNING: ${e.message} (flavor '${flavor.name}'); loading the model with ${using} instead`;
}

/** A refusal that ends the load: says how the model could still be scored, when it can. */
function withRuntimeAdvice(e: NotSupportedNativelyError, model: Model, options: LoadPredictorOptions): Error {
  const bridge = getFlavor('python_function');
  if (options.flavor !== undefined || !bridge || !('python_function' in model.flavors)) return e;
  return new NotSupportedNativelyError(`${e.message}; use --runtime python (or auto) to load it with the Python bridge`, { cause: e });
}

/** `native` promises that no code from the model runs: neither the bridge nor a js_function module. */
function allowedKinds(runtime: LoadOptions['runtime']): Flavor['kind'][] {
  if (runtime === 'native') return ['native'];
  if (runtime === 'python') return ['python'];
  return ['js', 'native', 'python'];
}

/** The flavors to try, in order: the one forced, else every allowed one in KIND_ORDER. */
function candidateFlavors(model: Model, uri: string, options: LoadPredictorOptions): Flavor[] {
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
    return [forced];
  }
  const candidates = inModel
    .map((name) => getFlavor(name))
    .filter((f): f is Flavor => f !== undefined && kinds.includes(f.kind))
    // Array.prototype.sort is stable: within a kind, MLmodel order decides.
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  if (candidates.length === 0) {
    const code = inModel.filter((name) => getFlavor(name)?.kind === 'js');
    if (options.runtime === 'native' && code.length > 0) {
      throw new MlflowError(
        `The model at '${uri}' is a JavaScript model (flavor ${list(code)}), whose loader runs the model's own code; ` +
          '--runtime native never runs code from a model: use --runtime auto to load it',
        'INVALID_PARAMETER_VALUE',
      );
    }
    throw new MlflowError(
      `No registered flavor can load the model at '${uri}' with runtime '${options.runtime ?? 'auto'}'. ` +
        `The model's flavors are ${list(inModel)}; registered flavors: ${describeRegistered()}.`,
      'RESOURCE_DOES_NOT_EXIST',
    );
  }
  return candidates;
}

function list(names: string[]): string {
  return names.length === 0 ? '(none)' : names.map((n) => `'${n}'`).join(', ');
}

function describeRegistered(): string {
  const all = registeredFlavors();
  return all.length === 0 ? '(none)' : all.map((f) => `'${f.name}' (${f.kind})`).join(', ');
}

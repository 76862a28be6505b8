import type { Frame } from '../frame/frame.js';
import type { Tensor } from '../frame/tensor.js';
import type { Model } from '../model/model.js';

/**
 * What a model's predict takes after signature enforcement: a table for column signatures, a
 * tensor (or named tensors) for tensor signatures, the parsed JSON for a model without signature.
 */
export type PredictInput = Frame | Tensor | { [name: string]: Tensor } | unknown;
/** What a predict may return: a table, a tensor, named tensors, an array or plain JSON. */
export type PredictOutput = Frame | Tensor | { [name: string]: Tensor } | unknown;
export type Params = Record<string, unknown>;

/** How a caller wants a model loaded. */
export interface LoadOptions {
  /** native: score in Node only; python: the Python bridge only; auto: native, else the bridge. */
  runtime?: 'auto' | 'native' | 'python';
  /** Environment manager for the Python bridge, as MLflow's --env-manager. */
  envManager?: 'local' | 'virtualenv' | 'uv' | 'conda';
  /**
   * pip requirements installed into the built environment after the model's own, overriding its
   * pins (MLflow's `-r/--pip-requirements-override`, and `mlflow==<version>` for --install-mlflow).
   * Refused with envManager 'local', which builds nothing.
   */
  extraPipRequirements?: string[];
  /**
   * MLflow's load_model(model_config=...): keys that override the python_function section's
   * `config` for a model the Python bridge loads (serve reads it from SERVING_MODEL_CONFIG).
   */
  modelConfig?: Record<string, unknown>;
  /** Python bridge workers. */
  workers?: number;
  /** The signature to use for a flavor with several (tensorflow), else the MLmodel's. */
  signatureKey?: string;
  /**
   * Longest one predict may take, waiting included, in a runtime that scores out of process (the
   * Python bridge): past it the work is dropped or its worker killed. `models serve -t` sets it.
   */
  requestTimeoutMs?: number;
}

export interface LoadContext {
  /** Absolute path of the local model directory (the one holding MLmodel). */
  readonly modelDir: string;
  readonly model: Model;
  /** This flavor's section of the MLmodel file. */
  readonly conf: Record<string, unknown>;
  readonly options: LoadOptions;
}

/** A loaded model as a flavor hands it to pyfunc, which wraps it with signature enforcement. */
export interface FlavorModel {
  /** `options.signal`: a flavor that can stop work in flight (the Python bridge) listens to it. */
  predict(input: PredictInput, params?: Params, options?: { signal?: AbortSignal }): PredictOutput | Promise<PredictOutput>;
  close?(): void | Promise<void>;
  /** How many of the model's worker processes died and were replaced (the Python bridge). */
  workerRestarts?(): number;
}

/**
 * A flavor: the name it has in MLmodel and how to load it. `kind` places it in loadPredictor's
 * order: js (a js_function model), native (scored in Node), python (the Python bridge).
 */
export interface Flavor {
  readonly name: string;
  readonly kind: 'js' | 'native' | 'python';
  loadPredictor(ctx: LoadContext): Promise<FlavorModel>;
}

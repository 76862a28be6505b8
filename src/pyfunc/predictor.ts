import type { Flavor, FlavorModel, Params, PredictInput } from '../flavors/flavor.js';
import type { Frame } from '../frame/frame.js';
import type { Tensor } from '../frame/tensor.js';
import type { Model } from '../model/model.js';
import { enforceParams } from './enforce-params.js';
import { enforceOnce } from './enforced-input.js';

/** Tensors by input or output name (numpy arrays in a dict, in MLflow). */
export type NamedTensors = { readonly [name: string]: Tensor };

/** A table as a list of records (what MLflow's `dataframe_records` holds). */
export type Records = readonly Readonly<Record<string, unknown>>[];

/**
 * What a model answers: a table (a pandas DataFrame or Series), one tensor (a numpy array), named
 * tensors, or a JSON-like value (a list, a dict, a scalar from a custom python_function model).
 * Which one depends on the flavor and the model, not on the input's kind: loadPredictor's type
 * parameter narrows it when the caller knows.
 */
export type Prediction = Frame | Tensor | NamedTensors | readonly unknown[] | { readonly [key: string]: unknown } | string | number | boolean | null;

export interface PredictOptions {
  /**
   * Aborts the call: it rejects with the signal's reason at once. A Python-bridge call kills the
   * worker scoring it (the pool starts a replacement); a native predict already computing in
   * this thread runs to its end, and its answer is dropped.
   */
  signal?: AbortSignal;
}

/** The generic predict of mlflow-ts: one interface for every flavor. */
export interface Predictor<Out extends Prediction = Prediction> extends AsyncDisposable {
  /** The model's MLmodel file. */
  readonly metadata: Model;
  /** The flavor that loaded the model (e.g. 'js_function', 'sklearn', 'python_function'). */
  readonly flavor: string;
  /** The local directory the model was loaded from, when it came from one. */
  readonly modelDir?: string;
  /** Where the model runs: `native` flavors score rows independently, in this process. */
  readonly kind?: Flavor['kind'];
  /**
   * Checks `input` and `params` against the signature, then scores them. `params` may be any
   * value, as MLflow's pyfunc takes it: without a params schema it is ignored, with one anything
   * but a dictionary is refused.
   */
  predict(input: Frame | Records, params?: Params, options?: PredictOptions): Promise<Out>;
  predict(input: Tensor | NamedTensors, params?: Params, options?: PredictOptions): Promise<Out>;
  /** Any other value a python_function model takes (a string, a list, a dict...). */
  predict(input: unknown, params?: unknown, options?: PredictOptions): Promise<Out>;
  /** Stops the model's workers and frees what it holds; `await using` calls it too. */
  close(): Promise<void>;
  /** How many of the model's worker processes died and were replaced; only models scored in workers (the Python bridge) have it. */
  readonly workerRestarts?: () => number;
}

/** Settles as `run` does, or rejects with the signal's reason as soon as it aborts. */
function abortable<T>(run: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Wraps a flavor's model with MLflow's signature enforcement of inputs and params. */
export function makePredictor<Out extends Prediction = Prediction>(
  metadata: Model,
  flavor: string,
  model: FlavorModel,
  where: { kind?: Flavor['kind']; modelDir?: string } = {},
): Predictor<Out> {
  const inputSchema = metadata.getInputSchema();
  const paramsSchema = metadata.getParamsSchema();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await model.close?.();
  };
  return {
    metadata,
    flavor,
    kind: where.kind,
    modelDir: where.modelDir,
    // Not an async function: a synchronous flavor's output is one resolved promise, where
    // `return await` cost a second promise and its hops on every 1-row request.
    predict(input: PredictInput, params?: unknown, options: PredictOptions = {}): Promise<Out> {
      try {
        const { signal } = options;
        signal?.throwIfAborted();
        const enforced = inputSchema ? enforceOnce(input, inputSchema) : input;
        const enforcedParams = enforceParams(params, paramsSchema);
        const run = Promise.resolve(model.predict(enforced, enforcedParams, { signal })) as Promise<Out>;
        return signal ? abortable(run, signal) : run;
      } catch (err) {
        return Promise.reject(err as Error);
      }
    },
    close,
    [Symbol.asyncDispose]: close,
    ...(model.workerRestarts ? { workerRestarts: () => (model.workerRestarts as () => number).call(model) } : {}),
  };
}

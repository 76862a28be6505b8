import type { Flavor, FlavorModel, Params, PredictInput, PredictOutput } from '../flavors/flavor.js';
import type { Model } from '../model/model.js';
import { enforceParams } from './enforce-params.js';
import { enforceSchema } from './enforce-schema.js';

/** The generic predict of mlflow-ts: one interface for every flavor. */
export interface Predictor {
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
  predict(input: PredictInput, params?: Params | unknown): Promise<PredictOutput>;
  close(): Promise<void>;
}

/** Wraps a flavor's model with MLflow's signature enforcement of inputs and params. */
export function makePredictor(metadata: Model, flavor: string, model: FlavorModel, where: { kind?: Flavor['kind']; modelDir?: string } = {}): Predictor {
  const inputSchema = metadata.getInputSchema();
  const paramsSchema = metadata.getParamsSchema();
  let closed = false;
  return {
    metadata,
    flavor,
    kind: where.kind,
    modelDir: where.modelDir,
    async predict(input, params) {
      const enforced = inputSchema ? enforceSchema(input, inputSchema) : input;
      const enforcedParams = enforceParams(params, paramsSchema);
      return await model.predict(enforced, enforcedParams);
    },
    async close() {
      if (closed) return;
      closed = true;
      await model.close?.();
    },
  };
}

import * as tf from './tf.js';
import { MlflowError, ModelRaisedError } from '../../errors.js';
import { isFrame } from '../../frame/frame.js';
import { outputsAsFrame } from '../../frame/outputs-as-frame.js';
import type { FlavorModel, PredictInput, PredictOutput } from '../flavor.js';
import { availableTfBackend, chooseLayersBackend, runWithFallback } from './backend.js';
import { checkShape } from './check-shape.js';
import { signatureFeeds } from './signature-input.js';
import { fromTf, toTf } from './tfjs-tensors.js';

/**
 * A Keras model as MLflow's _KerasModelWrapper serves it: inputs by input-layer name (a table is
 * the single input, whole), outputs as one tensor or named by output layer; a table in gives a
 * table out (columns 0..n-1), as pandas.DataFrame(model.predict(df.values)). Runs on wasm when
 * its layers allow (chooseLayersBackend), moving to cpu if wasm fails.
 */
export async function kerasFlavorModel(model: tf.LayersModel): Promise<FlavorModel> {
  // Sequential models leave inputNames empty; their symbolic inputs carry the names.
  const names = model.inputNames.length > 0 ? model.inputNames : model.inputs.map((t) => t.name);
  const outputNames = model.outputNames.length > 0 ? model.outputNames : model.outputs.map((t) => t.name);
  const state = { backend: await availableTfBackend(chooseLayersBackend(model.layers.map((l) => l.getClassName()))) };
  const failed = (err: unknown): Error => {
    if (err instanceof MlflowError) return err;
    // A TypeError comes from inside tfjs-layers, not from the request.
    if (err instanceof TypeError) return new MlflowError(`Keras model cannot be computed natively: tfjs-layers fails inside it (${err.message})`, 'NOT_IMPLEMENTED');
    // Keras raising is the model raising: MLflow's server answers it BAD_REQUEST, generically.
    return new ModelRaisedError(`Keras model predict failed: ${(err as Error).message}`, { cause: err });
  };
  return {
    async predict(input: PredictInput): Promise<PredictOutput> {
      const feeds = signatureFeeds(input, names);
      const results = await runWithFallback(state, async () => {
        const xs: tf.Tensor[] = [];
        const ys: tf.Tensor[] = [];
        try {
          names.forEach((n, i) => {
            if (feeds[n] === undefined) throw new MlflowError(`The model takes inputs ${names.map((k) => `'${k}'`).join(', ')}; '${n}' is missing`, 'INVALID_PARAMETER_VALUE');
            checkShape(feeds[n].shape, model.inputs[i].shape, `Input '${n}'`);
            xs.push(toTf(feeds[n], model.inputs[i].dtype, `Input '${n}'`));
          });
          // The whole request as one batch: tfjs's default of 32 rows per call is ~20x slower on 1000 rows.
          const out = model.predict(xs.length === 1 ? xs[0] : xs, { batchSize: Math.max(1, xs[0]?.shape[0] ?? 1) });
          ys.push(...(Array.isArray(out) ? out : [out]));
          return await Promise.all(ys.map(fromTf));
        } finally {
          tf.dispose([...xs, ...ys]);
        }
      }, failed);
      if (results.length === 1) {
        const [r] = results;
        return isFrame(input) && (r.shape.length === 1 || r.shape.length === 2) ? outputsAsFrame([r], outputNames) : r;
      }
      return Object.fromEntries(outputNames.map((n, i) => [n, results[i]]));
    },
    close(): void {
      model.dispose();
    },
  };
}

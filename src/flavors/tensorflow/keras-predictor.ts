import * as tf from '../../tfjs/tf.js';
import { MlflowError, ModelRaisedError } from '../../errors.js';
import { isFrame } from '../../frame/frame.js';
import type { FlavorModel, PredictInput, PredictOutput } from '../flavor.js';
import { availableTfBackend, chooseLayersBackend, onTfBackend, runWithFallback } from '../../tfjs/backend.js';
import { checkShape } from './check-shape.js';
import { layersRunner } from './layers-runner.js';
import { kerasOutputKeys, kerasOutputs, type KerasWrapper } from './keras-outputs.js';
import { signatureFeeds } from './signature-input.js';
import { fromTf, toTf } from '../../tfjs/tensors.js';

/**
 * A Keras model as MLflow's wrappers serve it: inputs by input-layer name (a table is the single
 * input, whole); outputs as `wrapper` returns model.predict's (keras-outputs.ts: one tensor, a
 * dict for dict outputs, a list or a stacked array for several; a table in gives a table out, as
 * pandas.DataFrame(model.predict(df.values))). Runs on wasm when its layers allow
 * (chooseLayersBackend), moving to cpu if wasm fails.
 */
export async function kerasFlavorModel(model: tf.LayersModel, wrapper: KerasWrapper = 'tensorflow'): Promise<FlavorModel> {
  // Sequential models leave inputNames empty; their symbolic inputs carry the names.
  const names = model.inputNames.length > 0 ? model.inputNames : model.inputs.map((t) => t.name);
  const outputNames = model.outputNames.length > 0 ? model.outputNames : model.outputs.map((t) => t.name);
  const state = { backend: await availableTfBackend(chooseLayersBackend(model.layers.map((l) => l.getClassName()))) };
  // Built on the backend it will run on, so the tensors it precomputes need no move at the first request.
  const runner = await onTfBackend(state.backend, () => Promise.resolve(layersRunner(model)));
  const failed = (err: unknown): Error => {
    if (err instanceof MlflowError) return err;
    // A TypeError comes from inside tfjs-layers, not from the request.
    // Its text is tfjs's, not the client's business: it stays in the cause.
    if (err instanceof TypeError) return new MlflowError('Keras model cannot be computed natively: tfjs-layers fails inside it', 'NOT_IMPLEMENTED', { cause: err });
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
          // Keras refuses inputs of different batch sizes (tfjs would broadcast some of them).
          const rows = names.map((n) => feeds[n].shape[0]);
          if (rows.some((r) => r !== rows[0])) {
            throw new ModelRaisedError(`Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. ${names.map((n, i) => `'${n}' sizes: ${rows[i]}`).join(', ')}`);
          }
          // Keras 3's predict fails on an empty batch (its loop never runs).
          if (rows[0] === 0) throw new ModelRaisedError("cannot access local variable 'batch_outputs' where it is not associated with a value");
          // The whole request as one batch, as predict(x, {batchSize: rows}) computes it.
          ys.push(...runner.run(xs));
          return await Promise.all(ys.map(fromTf));
        } finally {
          tf.dispose([...xs, ...ys]);
        }
      }, failed);
      return kerasOutputs(results, outputNames, kerasOutputKeys(model), wrapper, isFrame(input));
    },
    close(): void {
      runner.dispose();
      model.dispose();
    },
  };
}

import { MlflowError } from '../../errors.js';
import { importOptional } from '../../optional-packages.js';
import { isFrame } from '../../frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../../frame/tensor.js';
import { tensorFromJson } from '../../frame/tensor-json.js';
import { flavorPath } from '../../model/path-safety.js';
import type { FlavorModel, LoadContext, PredictInput, PredictOutput } from '../flavor.js';
import { outputsAsFrame } from '../../frame/outputs-as-frame.js';

export const FLAVOR_NAME = 'tfjs';

/** The input as one tensor per model input: a tensor or table to the single input, named tensors by name. */
function feeds(input: PredictInput, names: readonly string[]): Tensor[] {
  if (isFrame(input)) {
    const rows = input.numRows;
    const cols = input.columns;
    const data = new Float64Array(rows * cols.length);
    cols.forEach((c, j) => {
      if (c.data.kind !== 'number') throw new MlflowError(`Column '${c.name}' is not numeric`, 'INVALID_PARAMETER_VALUE');
      for (let i = 0; i < rows; i++) data[i * cols.length + j] = c.data.values[i];
    });
    return feeds(makeTensor({ dtype: 'float64', shape: [rows, cols.length], data }), names);
  }
  if (isTensor(input) || Array.isArray(input)) {
    if (names.length !== 1) throw new MlflowError(`The model takes ${names.length} inputs (${names.join(', ')}); send named tensors`, 'INVALID_PARAMETER_VALUE');
    return [isTensor(input) ? input : tensorFromJson(input)];
  }
  if (typeof input === 'object' && input !== null) {
    const rec = input as Record<string, unknown>;
    return names.map((n) => {
      if (!(n in rec)) throw new MlflowError(`Missing model input '${n}'`, 'INVALID_PARAMETER_VALUE');
      return isTensor(rec[n]) ? rec[n] : tensorFromJson(rec[n]);
    });
  }
  throw new MlflowError('TensorFlow.js models take a tensor, a table or named tensors', 'INVALID_PARAMETER_VALUE');
}

/**
 * Loads the `tfjs` flavor: a TensorFlow.js layers or graph model saved by saveModel (or any
 * model.json directory). Answers as the tensorflow flavor does: a table in gives a table out
 * (see outputsAsFrame); tensors in give one tensor, or named tensors for several outputs.
 */
export async function loadTfjsFlavor(ctx: LoadContext): Promise<FlavorModel> {
  const dir = flavorPath(ctx.modelDir, ctx.conf, FLAVOR_NAME, 'model_dir');
  // Imported here: tfjs takes a second or more to load, and is an optional package.
  const tf = await importOptional(() => import('../../tfjs/tf.js'));
  const { readTfjsArtifacts } = await import('./artifacts.js');
  tf.enableProdMode();
  const artifacts = await readTfjsArtifacts(dir);
  const handler = { load: () => Promise.resolve(artifacts) };
  const model = artifacts.format === 'graph-model' ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  const inputs = model.inputs.map((i) => ({ name: i.name, dtype: i.dtype as string }));
  // A layers model names its outputs by layer; a graph model's outputs are named nodes.
  const outputNames = model instanceof tf.LayersModel ? model.outputNames : model.outputs.map((o) => o.name);
  // On cpu, tfjs's own backend in Node, unless MLFLOW_TS_TF_BACKEND says wasm: a model trained
  // in Node then predicts exactly what it predicted in memory (wasm differs in the last float32
  // bit). A model that fails on wasm moves to cpu.
  const { availableTfBackend, configuredTfBackend, runWithFallback } = await import('../../tfjs/backend.js');
  const { fromTf, toTf } = await import('../../tfjs/tensors.js');
  const state = { backend: await availableTfBackend(configuredTfBackend() ?? 'cpu') };
  const failed = (err: unknown): Error =>
    err instanceof MlflowError ? err : new MlflowError(`TensorFlow.js model predict failed: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  return {
    async predict(input: PredictInput): Promise<PredictOutput> {
      const given = feeds(input, inputs.map((i) => i.name));
      const results = await runWithFallback(state, async () => {
        const xs = given.map((t, k) => toTf(t, inputs[k].dtype, `Input '${inputs[k].name}'`));
        const ys: import('../../tfjs/tf.js').Tensor[] = [];
        try {
          const arg = xs.length === 1 ? xs[0] : xs;
          // The whole request as one batch: tfjs's default of 32 rows per call is ~20x slower on 1000 rows.
          const out = model instanceof tf.GraphModel ? await model.executeAsync(arg) : model.predict(arg, { batchSize: Math.max(1, xs[0]?.shape[0] ?? 1) });
          ys.push(...(Array.isArray(out) ? out : [out]));
          return await Promise.all(ys.map(fromTf));
        } finally {
          tf.dispose([...xs, ...ys]);
        }
      }, failed);
      if (isFrame(input)) return outputsAsFrame(results, outputNames);
      return results.length === 1 ? results[0] : Object.fromEntries(outputNames.map((n, i) => [n, results[i]]));
    },
    close(): void {
      model.dispose();
    },
  };
}

import type * as tf from '../../tfjs/tf.js';
import { ModelRaisedError } from '../../errors.js';
import { Frame } from '../../frame/frame.js';
import { outputsAsFrame, type NumericTensor } from '../../frame/outputs-as-frame.js';
import { makeTensor } from '../../frame/tensor.js';

/**
 * Which MLflow 2.22.1 wrapper serves the model: `tensorflow` is mlflow.tensorflow's
 * _KerasModelWrapper (model.predict's result as it is), `keras` is mlflow.keras's
 * KerasModelWrapper on Keras 3 (keras.ops.convert_to_numpy of it, i.e. np.array).
 */
export type KerasWrapper = 'tensorflow' | 'keras';

/**
 * The keys of a model whose outputs Keras names by a dict (`keras.Model(x, {"a": ..., "b": ...})`):
 * its predict returns a dict in that order. tfjs-layers keeps outputs as a flat list only, so the
 * loaders record the keys here, beside the model they built.
 */
const outputKeys = new WeakMap<tf.LayersModel, string[]>();

export function setKerasOutputKeys(model: tf.LayersModel, keys: string[] | undefined): void {
  if (keys !== undefined) outputKeys.set(model, keys);
}

/** A Keras config's output_layers: the keys when it is a dict (Keras 2.4+ and 3 write dict outputs so). */
export function outputKeysOf(outputLayers: unknown): string[] | undefined {
  if (outputLayers === null || typeof outputLayers !== 'object' || Array.isArray(outputLayers)) return undefined;
  return Object.keys(outputLayers);
}

/** A shape as Python prints a tuple: (2,) or (2, 3). */
function pyTuple(dims: readonly number[]): string {
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

/** numpy's np.array of several arrays: stacked when their shapes agree, else its ValueError. */
function stacked(results: NumericTensor[]): NumericTensor {
  const first = results[0];
  for (const r of results) {
    const at = first.shape.findIndex((d, i) => r.shape.length !== first.shape.length || r.shape[i] !== d);
    if (at >= 0 || r.dtype !== first.dtype) {
      const depth = Math.max(at, 0) + 1;
      throw new ModelRaisedError(
        `setting an array element with a sequence. The requested array has an inhomogeneous shape after ${depth} dimensions. ` +
          `The detected shape was ${pyTuple([results.length, ...first.shape.slice(0, depth - 1)])} + inhomogeneous part.`,
      );
    }
  }
  const data = new (first.data.constructor as new (n: number) => Float32Array | Int32Array)(first.data.length * results.length);
  results.forEach((r, i) => data.set(r.data, i * first.data.length));
  return makeTensor<NumericTensor>({ dtype: first.dtype, shape: [results.length, ...first.shape], data } as Omit<NumericTensor, 'kind'>);
}

/**
 * A Keras model's outputs as MLflow's wrapper returns them. A table in: pandas.DataFrame of
 * model.predict(df.values) — one output as columns 0..n-1; several outputs only when they are a
 * dict of rank-1 arrays, else pandas raises (a 400, as MLflow's server answers a model error).
 * Tensors in: one output as a tensor; dict outputs as a dict by key; a list of outputs as the
 * list (tensorflow flavor), or stacked by np.array (keras flavor), which fails on unequal shapes.
 */
export function kerasOutputs(results: NumericTensor[], names: readonly string[], keys: readonly string[] | undefined, wrapper: KerasWrapper, frameIn: boolean): unknown {
  if (results.length === 1 && keys === undefined) {
    const [r] = results;
    return frameIn && (r.shape.length === 1 || r.shape.length === 2) ? outputsAsFrame([r], names) : r;
  }
  if (frameIn) {
    if (keys !== undefined && results.every((r) => r.shape.length === 1)) {
      return new Frame(results.map((r, i) => ({ name: keys[i], data: { kind: 'number', dtype: r.dtype, values: r.data } })));
    }
    if (keys !== undefined) {
      const bad = results.find((r) => r.shape.length !== 1) ?? results[0];
      throw new ModelRaisedError(`Per-column arrays must each be 1-dimensional (output '${keys[results.indexOf(bad)]}' has shape [${bad.shape.join(', ')}])`);
    }
    // np.array of the list, then a table of it with the request's index.
    const s = stacked(results);
    const rows = s.shape[1];
    if (s.shape.length === 2 && s.shape[0] === rows) return outputsAsFrame([s], names);
    if (s.shape.length === 2) throw new ModelRaisedError(`Shape of passed values is (${s.shape.join(', ')}), indices imply (${rows}, ${rows})`);
    throw new ModelRaisedError(`Must pass 2-d input. shape=${pyTuple(s.shape)}`);
  }
  if (keys !== undefined) {
    const out: Record<string, NumericTensor> = {};
    // defineProperty: an output named "__proto__" is data here.
    keys.forEach((k, i) => Object.defineProperty(out, k, { value: results[i], enumerable: true, writable: true, configurable: true }));
    return out;
  }
  return wrapper === 'keras' ? stacked(results) : results;
}

export function kerasOutputKeys(model: tf.LayersModel): string[] | undefined {
  return outputKeys.get(model);
}

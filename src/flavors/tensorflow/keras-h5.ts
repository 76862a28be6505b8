import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import { MlflowError } from '../../errors.js';
import { prepareTfjs } from './custom-ops.js';
import { RESET_AFTER_GRU, registerResetAfterGru } from './keras-gru.js';
import { concatBytes } from '../../formats/concat-bytes.js';

/** Keras 2 class names tfjs-layers knows under another name (as tensorflowjs's converter maps them). */
const CLASS_RENAMES: Record<string, string> = {
  BatchNormalizationV1: 'BatchNormalization',
  BatchNormalizationV2: 'BatchNormalization',
  UnifiedLSTM: 'LSTM',
  UnifiedGRU: 'GRU',
  LSTMV2: 'LSTM',
  GRUV2: 'GRU',
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function attrString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return undefined;
}

function attrStrings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => attrString(x) ?? String(x));
  const s = attrString(v);
  return s === undefined ? [] : [s];
}

/**
 * Checks a Keras 2 model_config for what tfjs-layers would reject or, worse, compute differently,
 * and renames classes it knows under another name.
 */
function checkConfig(node: Json, file: string): Json {
  if (Array.isArray(node)) return node.map((n) => checkConfig(n, file));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node)) out[k] = checkConfig(v, file);
  const cls = out.class_name;
  const config = out.config as Record<string, Json> | undefined;
  if (cls === 'Lambda') {
    throw new MlflowError(
      `${file}: layer '${String(config?.name)}' is a Lambda layer, whose body is Python bytecode; it cannot be loaded natively. Use --runtime python.`,
      'NOT_IMPLEMENTED',
    );
  }
  if (cls === 'Conv1D' && config?.data_format === 'channels_first') {
    // Left only outside Sequential models (see permuteChannelsFirstConv1D): tfjs-layers' Conv1D
    // ignores data_format and would return channels-last results.
    throw new MlflowError(
      `${file}: layer '${String(config.name)}' is a channels_first Conv1D outside a Sequential model, which tfjs-layers cannot compute`,
      'NOT_IMPLEMENTED',
    );
  }
  if (typeof cls === 'string' && cls in CLASS_RENAMES) out.class_name = CLASS_RENAMES[cls];
  if (out.class_name === 'GRU' && config?.reset_after === true) out.class_name = RESET_AFTER_GRU;
  return out;
}

/**
 * In a Sequential model, runs each channels_first Conv1D as channels_last between two Permute
 * layers (tfjs-layers' Conv1D has no channels_first). Weights are unaffected: the kernel layout
 * is the same for both data formats.
 */
function permuteChannelsFirstConv1D(node: Json): Json {
  if (Array.isArray(node)) return node.map(permuteChannelsFirstConv1D);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node)) out[k] = permuteChannelsFirstConv1D(v);
  if (out.class_name !== 'Sequential') return out;
  const config = out.config;
  // Keras 2.2+ writes {name, layers}; 2.0-2.1 the layer list itself.
  const layers = Array.isArray(config) ? config : (config as Record<string, Json> | null)?.layers;
  if (!Array.isArray(layers)) return out;
  const rewritten: Json[] = [];
  for (const layer of layers) {
    const l = layer as Record<string, Json> | null;
    const c = l?.config as Record<string, Json> | undefined;
    if (l?.class_name !== 'Conv1D' || c?.data_format !== 'channels_first') {
      rewritten.push(layer);
      continue;
    }
    const { batch_input_shape: inputShape, ...conv } = c;
    const permute = (suffix: string, extra: Record<string, Json>): Json => ({
      class_name: 'Permute',
      config: { name: `${String(c.name)}_${suffix}`, trainable: false, dtype: c.dtype ?? 'float32', dims: [2, 1], ...extra },
    });
    rewritten.push(
      permute('mlflow_to_channels_last', inputShape === undefined ? {} : { batch_input_shape: inputShape }),
      { ...l, config: { ...conv, data_format: 'channels_last' } },
      permute('mlflow_to_channels_first', {}),
    );
  }
  if (Array.isArray(config)) out.config = rewritten;
  else out.config = { ...(config as Record<string, Json>), layers: rewritten };
  return out;
}

function isGroup(x: unknown): x is InstanceType<typeof h5wasm.Group> {
  return x instanceof h5wasm.Group;
}

/**
 * Loads a Keras 2 full-model `.h5` file (model_config + model_weights, as model.save(..., 'h5')
 * writes) into a tfjs-layers model. Weights-only files, Keras 1 and Theano files, Lambda layers
 * and channels_first Conv1D outside Sequential models are refused with a message saying why.
 */
export async function loadKerasH5(file: string): Promise<tf.LayersModel> {
  prepareTfjs();
  registerResetAfterGru();
  await h5wasm.ready;
  let f: InstanceType<typeof h5wasm.File>;
  try {
    f = new h5wasm.File(file, 'r');
  } catch (err) {
    throw new MlflowError(`Cannot open Keras HDF5 file ${file}: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  try {
    const attrs = f.attrs;
    const configText = attrString(attrs.model_config?.value);
    if (configText === undefined) {
      throw new MlflowError(
        `${file} holds weights only (no model_config): Keras needs the model's code to rebuild it, so it cannot be loaded natively`,
        'NOT_IMPLEMENTED',
      );
    }
    const version = attrString(attrs.keras_version?.value) ?? '(unknown)';
    if (!version.startsWith('2.')) {
      throw new MlflowError(`${file} was saved by Keras ${version}; only Keras 2.x HDF5 models are supported natively`, 'NOT_IMPLEMENTED');
    }
    const backend = attrString(attrs.backend?.value) ?? 'tensorflow';
    if (backend === 'theano') throw new MlflowError(`${file} uses the Theano backend, whose kernels are flipped; not supported`, 'NOT_IMPLEMENTED');
    let modelConfig: Json;
    try {
      modelConfig = JSON.parse(configText) as Json;
    } catch (err) {
      throw new MlflowError(`${file}: model_config is not JSON: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
    }
    modelConfig = checkConfig(permuteChannelsFirstConv1D(modelConfig), file);

    const weightsGroup = f.get('model_weights');
    if (!isGroup(weightsGroup)) throw new MlflowError(`${file} has no model_weights group`, 'INVALID_PARAMETER_VALUE');
    const weightSpecs: tf.io.WeightsManifestEntry[] = [];
    const chunks: Float32Array[] = [];
    for (const layer of attrStrings(weightsGroup.attrs.layer_names?.value)) {
      const g = weightsGroup.get(layer);
      if (!isGroup(g)) continue;
      for (const wname of attrStrings(g.attrs.weight_names?.value)) {
        const ds = g.get(wname);
        if (!(ds instanceof h5wasm.Dataset)) throw new MlflowError(`${file}: weight '${layer}/${wname}' is missing`, 'INVALID_PARAMETER_VALUE');
        const value = ds.value;
        if (!ArrayBuffer.isView(value) || value instanceof BigInt64Array || value instanceof BigUint64Array) {
          throw new MlflowError(`${file}: weight '${layer}/${wname}' is not a numeric array`, 'INVALID_PARAMETER_VALUE');
        }
        // tfjs-layers computes in float32; Keras stores float32 (float16/64 are widened or narrowed).
        chunks.push(Float32Array.from(value as unknown as ArrayLike<number>));
        weightSpecs.push({ name: wname.replace(/:\d+$/, ''), shape: ds.shape ?? [], dtype: 'float32' });
      }
    }
    const artifacts: tf.io.ModelArtifacts = {
      format: 'layers-model',
      modelTopology: { keras_version: version, backend, model_config: modelConfig } as unknown as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs,
      weightData: concatBytes(chunks),
    };
    try {
      return await tf.loadLayersModel({ load: () => Promise.resolve(artifacts) });
    } catch (err) {
      throw new MlflowError(`${file}: tfjs-layers cannot build this Keras model: ${(err as Error).message}`, 'NOT_IMPLEMENTED');
    }
  } finally {
    f.close();
  }
}

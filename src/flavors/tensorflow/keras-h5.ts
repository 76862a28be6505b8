import { existsSync } from 'node:fs';
import * as tf from '../../tfjs/tf.js';
import h5wasm from 'h5wasm/node';
import { MlflowError } from '../../errors.js';
import { prepareTfjs } from './custom-ops.js';
import { KERAS3_ONLY, kerasClass, registerKerasLayers, SUPPORTED_LAYERS, translateLayer } from './keras-layers.js';
import { readH5Weight, type H5Weight } from './h5-weight.js';
import { outputKeysOf, setKerasOutputKeys } from './keras-outputs.js';
import { flipTheanoKernel, keras1Config, keras1Weights } from './keras1.js';
import { translateKerasConfig } from './keras3/config.js';
import { registerKeras3Normalization } from './keras3/normalization.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const MODELS = new Set(['Sequential', 'Model', 'Functional']);

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

function isObj(v: Json | undefined): v is Obj {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

interface Walk {
  file: string;
  problems: string[];
  unsupported: string[];
  /** Each supported layer's class and (Keras 2) config by name, for the weight conversions (Keras 1, Theano). */
  classes: Map<string, { cls: string; config: Obj }>;
}

/** One Keras 2 layer entry ({class_name, config}) as tfjs-layers reads it; models recursively. */
function keras2Layer(entry: Obj, w: Walk, inner = false): Obj {
  const cls = kerasClass(String(entry.class_name));
  const config = isObj(entry.config) ? entry.config : {};
  const name = String(config.name ?? entry.name ?? '(unnamed)');
  if (cls === 'Lambda') {
    throw new MlflowError(
      `${w.file}: layer '${name}' is a Lambda layer, whose body is Python bytecode; it cannot be loaded natively. Use --runtime python.`,
      'NOT_IMPLEMENTED',
    );
  }
  if (MODELS.has(cls)) return keras2Model(entry, w);
  if (!SUPPORTED_LAYERS.has(cls) || KERAS3_ONLY.has(cls) || (inner && (cls === 'Bidirectional' || cls === 'TimeDistributed'))) {
    w.unsupported.push(`${String(entry.class_name)} ('${name}')`);
    return entry;
  }
  const where = `layer '${name}' (${cls})`;
  if (cls === 'Conv1D' && config.data_format === 'channels_first') {
    // Left only outside Sequential models (see permuteChannelsFirstConv1D): tfjs-layers' Conv1D
    // ignores data_format and would return channels-last results.
    w.problems.push(`${where} is a channels_first Conv1D outside a Sequential model`);
  }
  if (cls === 'Normalization') w.problems.push(`${where} is a Keras 2 preprocessing layer`);
  const t = translateLayer(cls, config, where, w.problems);
  if (isObj(t.config.layer)) t.config.layer = keras2Layer(t.config.layer, w, true);
  if (!inner) w.classes.set(name, { cls, config });
  return { ...entry, class_name: t.className, config: t.config };
}

/** A Sequential or functional model's config with every layer checked and translated. */
function keras2Model(entry: Obj, w: Walk): Obj {
  const config = entry.config;
  // Keras 2.2+ writes {name, layers}; 2.0-2.1 a Sequential's layer list itself.
  const layers = Array.isArray(config) ? config : isObj(config) && Array.isArray(config.layers) ? config.layers : [];
  const translated = layers.map((l) => (isObj(l) ? keras2Layer(l, w) : l));
  return { ...entry, config: Array.isArray(config) ? translated : { ...(isObj(config) ? config : {}), layers: translated } };
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

/** Each layer's saved weights, in the order Keras saved them (weight_names), by layer name. */
function readLayerWeights(f: InstanceType<typeof h5wasm.File>, file: string): Map<string, H5Weight[]> {
  const weightsGroup = f.get('model_weights');
  if (!isGroup(weightsGroup)) throw new MlflowError(`${file} has no model_weights group`, 'INVALID_PARAMETER_VALUE');
  const out = new Map<string, H5Weight[]>();
  for (const layer of attrStrings(weightsGroup.attrs.layer_names?.value)) {
    const g = weightsGroup.get(layer);
    if (!isGroup(g)) continue;
    out.set(layer, attrStrings(g.attrs.weight_names?.value).map((wname) => readH5Weight(g.get(wname), `${file}: weight '${layer}/${wname}'`)));
  }
  return out;
}

const CONV_CLASSES = new Set(['Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose']);

/**
 * Sets the weights of every layer by position within the layer's group, as Keras's
 * load_weights_from_hdf5_group does (names inside a group vary between Keras versions: a Conv1D
 * 'conv0' may hold 'conv0_1/kernel:0'). A model used as a layer takes its group's weights in the
 * order of its own layers' weights.
 */
function assignLayerWeights(model: tf.LayersModel, saved: Map<string, H5Weight[]>, w: Walk, from: { keras1: boolean; theano: boolean }): void {
  // As Keras's preprocess_weights_for_loading: Keras 1 layouts first, then Theano's flipped kernels.
  const convert = (layer: tf.layers.Layer, ws: tf.Tensor[]): tf.Tensor[] => {
    const known = w.classes.get(layer.name);
    if (!known) return ws;
    let out = from.keras1 ? keras1Weights(known.cls, known.config, ws) : ws;
    if (CONV_CLASSES.has(known.cls) && out.length > 0) {
      let kernel = from.theano ? flipTheanoKernel(out[0]) : out[0];
      const want = layer.weights[0].shape;
      if (kernel.rank === 4 && !kernel.shape.every((d, i) => d === want[i])) kernel = tf.transpose(kernel, [3, 2, 0, 1]);
      out = [kernel, ...out.slice(1)];
    }
    return out;
  };
  const setLayer = (layer: tf.layers.Layer, ws: H5Weight[], group: string): void => {
    if (layer instanceof tf.LayersModel) {
      let at = 0;
      for (const sub of layer.layers) {
        const n = sub.weights.length;
        setLayer(sub, ws.slice(at, at + n), group);
        at += n;
      }
      return;
    }
    const want = layer.weights.length;
    const tensors = tf.tidy(() => convert(layer, ws.map((x) => tf.tensor(x.data, x.shape, 'float32'))));
    if (tensors.length !== want) {
      tf.dispose(tensors);
      throw new MlflowError(`${w.file}: layer '${layer.name}' needs ${want} weights but the file's group '${group}' holds ${ws.length}`, 'INVALID_PARAMETER_VALUE');
    }
    if (want === 0) return;
    try {
      layer.setWeights(tensors);
    } catch (err) {
      throw new MlflowError(`${w.file}: weights of layer '${layer.name}' do not fit it: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
    } finally {
      tf.dispose(tensors);
    }
  };
  for (const [name, ws] of saved) {
    if (ws.length === 0) continue;
    let layer: tf.layers.Layer;
    try {
      layer = model.getLayer(name);
    } catch {
      throw new MlflowError(`${w.file}: the file holds weights for layer '${name}', which the model config does not have`, 'INVALID_PARAMETER_VALUE');
    }
    setLayer(layer, ws, name);
  }
}

function parseConfig(text: string, file: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new MlflowError(`${file}: model_config is not JSON: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
}

/**
 * The model_config of a Keras 2 file (or of a Keras 1 file, renamed to Keras 2) translated for
 * tfjs-layers, with its output keys when it names its outputs by a dict (tfjs takes a list).
 */
function keras2Config(config: Json, w: Walk): { modelConfig: Json; outputKeys?: string[] } {
  if (!isObj(config) || !MODELS.has(String(config.class_name))) {
    throw new MlflowError(`${w.file}: model_config is not a Sequential or functional model`, 'NOT_IMPLEMENTED');
  }
  const out = keras2Model(permuteChannelsFirstConv1D(config) as Obj, w);
  if (w.unsupported.length > 0) throw new MlflowError(`${w.file}: layers not supported natively: ${w.unsupported.join(', ')}. Use --runtime python.`, 'NOT_IMPLEMENTED');
  if (w.problems.length > 0) throw new MlflowError(`${w.file}: cannot be computed natively: ${w.problems.join('; ')}. Use --runtime python.`, 'NOT_IMPLEMENTED');
  const outputs = isObj(out.config) ? out.config.output_layers : undefined;
  const outputKeys = outputKeysOf(outputs);
  if (outputKeys !== undefined && isObj(out.config) && isObj(outputs)) out.config = { ...out.config, output_layers: Object.values(outputs) };
  return { modelConfig: out, outputKeys };
}

/**
 * Loads a full-model Keras `.h5` file (model_config + model_weights, as model.save(..., 'h5')
 * writes) into a tfjs-layers model: Keras 2 files, the legacy files Keras 3 still writes, and
 * Theano files (their convolution kernels flipped as Keras does). Weights-only files, Lambda
 * layers and any layer or argument not computed natively are refused, named.
 */
export async function loadKerasH5(file: string): Promise<tf.LayersModel> {
  prepareTfjs();
  registerKerasLayers();
  registerKeras3Normalization();
  await h5wasm.ready;
  if (!existsSync(file)) throw new MlflowError(`Keras model file ${file} does not exist`, 'RESOURCE_DOES_NOT_EXIST');
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
    const backend = attrString(attrs.backend?.value) ?? 'tensorflow';
    const w: Walk = { file, problems: [], unsupported: [], classes: new Map() };
    let translated: { modelConfig: Json; outputKeys?: string[] };
    if (version.startsWith('3.')) {
      // Keras 3 writes its own config dialect into the legacy format.
      translated = translateKerasConfig(parseConfig(configText, file), file);
    } else if (version.startsWith('2.')) {
      translated = keras2Config(parseConfig(configText, file), w);
    } else if (version.startsWith('1.')) {
      translated = keras2Config(keras1Config(parseConfig(configText, file)), w);
    } else {
      throw new MlflowError(`${file} was saved by Keras ${version}; only Keras 1.x, 2.x and 3.x HDF5 models are supported natively`, 'NOT_IMPLEMENTED');
    }
    const saved = readLayerWeights(f, file);
    const artifacts: tf.io.ModelArtifacts = {
      format: 'layers-model',
      modelTopology: { keras_version: version, backend: 'tensorflow', model_config: translated.modelConfig } as unknown as tf.io.ModelArtifacts['modelTopology'],
    };
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel({ load: () => Promise.resolve(artifacts) });
    } catch (err) {
      throw new MlflowError(`${file}: tfjs-layers cannot build this Keras model: ${(err as Error).message}`, 'NOT_IMPLEMENTED');
    }
    try {
      assignLayerWeights(model, saved, w, { keras1: version.startsWith('1.'), theano: backend === 'theano' });
    } catch (err) {
      model.dispose();
      throw err;
    }
    setKerasOutputKeys(model, translated.outputKeys);
    return model;
  } finally {
    f.close();
  }
}

import { MlflowError } from '../../../errors.js';
import { ATTENTION_LAYERS, CAUSAL_MASK_LAYERS, RNN_CLASSES, SUPPORTED_LAYERS, translateLayer } from '../keras-layers.js';
import type { Json } from './archive.js';
import { KERAS3_NORMALIZATION } from './normalization.js';
import { outputKeysOf } from '../keras-outputs.js';

type Obj = { [k: string]: Json };

const MODELS = new Set(['Sequential', 'Functional', 'Model']);
/** Wrappers whose variables Keras 3 keeps under the wrapped layer's own path(s). */
const WRAPPED_PATHS: Record<string, string[]> = { Bidirectional: ['forward_layer', 'backward_layer'], TimeDistributed: ['layer'] };

/** Keras 3 activation names tfjs-layers computes the same way (Keras 3's hard_sigmoid differs from tfjs's). */
const ACTIVATIONS: Record<string, string> = {
  linear: 'linear', relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax',
  softplus: 'softplus', softsign: 'softsign', elu: 'elu', selu: 'selu', gelu: 'gelu', mish: 'mish',
  swish: 'swish', silu: 'swish',
};

/** A layer that owns variables: where tfjs has it (names from the root model) and the `vars` groups Keras saved them in, in order. */
export interface WeightSlot {
  names: string[];
  varsPaths: string[];
}

export interface TranslatedModel {
  modelConfig: Json;
  slots: WeightSlot[];
  /** The model's output keys when Keras names its outputs by a dict (keras-outputs.ts). */
  outputKeys?: string[];
}

function isObj(v: Json | undefined): v is Obj {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** Keras's naming.to_snake_case: how saving_lib names a layer's weight group. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** A dtype or DTypePolicy as the dtype tfjs computes in. */
function tfjsDtype(v: Json | undefined, where: string, problems: string[]): Json {
  const name = isObj(v) ? (isObj(v.config) ? v.config.name : undefined) : v;
  if (name === undefined || name === null) return 'float32';
  if (typeof name !== 'string') {
    problems.push(`${where} has an unreadable dtype`);
    return 'float32';
  }
  if (/^(mixed_)?(b?float(16|32|64))$/.test(name)) return 'float32';
  if (/^u?int(8|16|32|64)$/.test(name)) return 'int32';
  problems.push(`${where} uses dtype policy '${name}'`);
  return 'float32';
}

function layerName(entry: Obj): string {
  const c = entry.config;
  const n = isObj(c) ? c.name : undefined;
  return typeof n === 'string' ? n : typeof entry.name === 'string' ? entry.name : '(unnamed)';
}

function axisIsLast(axis: Json | undefined): boolean {
  return axis === -1 || (Array.isArray(axis) && axis.length === 1 && axis[0] === -1);
}

/** One layer's Keras 3 config as the Keras 2 class and config tfjs-layers reads; anything computed differently goes to problems. */
function layerEntry(cls: string, config: Obj, where: string, problems: string[]): Obj {
  const translated = translateLayer(cls, config, where, problems);
  const out: Obj = {};
  for (const [k, v] of Object.entries(translated.config)) {
    if (k === 'dtype') out[k] = tfjsDtype(v, where, problems);
    else if (k === 'activation' || k === 'recurrent_activation') {
      const name = typeof v === 'string' ? ACTIVATIONS[v] : undefined;
      if (name === undefined) problems.push(`${where} uses activation ${JSON.stringify(v)}`);
      out[k] = name ?? 'linear';
    } else if (k === 'batch_shape') out.batch_input_shape = v;
    else if (k === 'layer' && isObj(v) && isObj(v.config)) {
      const inner = String(v.class_name);
      const innerWhere = `${where}'s inner layer (${inner})`;
      if (!SUPPORTED_LAYERS.has(inner) || inner in WRAPPED_PATHS) problems.push(`${innerWhere} is not supported natively`);
      else out[k] = layerEntry(inner, v.config, innerWhere, problems);
    } else if (['seed', 'lora_rank', 'lora_alpha', 'synchronized', 'optional', 'ragged', 'quantization_config', 'sparse'].includes(k)) continue;
    else out[k] = v;
  }
  if (cls === 'Conv1D' && config.data_format === 'channels_first') problems.push(`${where} is a channels_first Conv1D`);
  if (cls === 'Normalization') {
    if (!axisIsLast(config.axis)) problems.push(`${where} normalizes over axis ${JSON.stringify(config.axis)} (only the last axis is supported)`);
    delete out.axis;
    return { class_name: KERAS3_NORMALIZATION, config: out };
  }
  return { class_name: translated.className, config: out };
}

/** Where Keras 3 saved a layer's variables, relative to the layer's own path. */
function varsPaths(cls: string, config: Obj, at: string): string[] {
  const wrapped = WRAPPED_PATHS[cls];
  if (wrapped !== undefined) {
    const inner = isObj(config.layer) ? String(config.layer.class_name) : '';
    return wrapped.flatMap((w) => varsPaths(inner, {}, `${at}/${w}`));
  }
  // MultiHeadAttention keeps its four projections as sublayers; ours holds them in this order.
  if (cls === 'MultiHeadAttention') return ['query_dense', 'key_dense', 'value_dense', 'output_dense'].map((d) => `${at}/${d}/vars`);
  return [RNN_CLASSES.has(cls) ? `${at}/cell/vars` : `${at}/vars`];
}

/**
 * tfjs gives a model used as a layer a node of its own (index 0, from its Input) before any call,
 * as Keras 2 did; Keras 3 counts only calls. So calls of nested models shift by one.
 */
function nodeIndex(layer: string, index: number, nested: ReadonlySet<string>): number {
  return nested.has(layer) ? index + 1 : index;
}

function historyRef(t: Obj, where: string, problems: string[], nested: ReadonlySet<string>): Json[] | undefined {
  const h = isObj(t.config) ? t.config.keras_history : undefined;
  if (Array.isArray(h) && h.length === 3 && typeof h[0] === 'string' && typeof h[1] === 'number' && typeof h[2] === 'number') {
    return [h[0], nodeIndex(h[0], h[1], nested), h[2], {}];
  }
  problems.push(`${where} has an input tensor without a readable keras_history`);
  return undefined;
}

function containsTensor(v: Json): boolean {
  if (Array.isArray(v)) return v.some(containsTensor);
  if (!isObj(v)) return false;
  return v.class_name === '__keras_tensor__' || Object.values(v).some(containsTensor);
}

/**
 * What a call's keyword arguments ask of the layer: `training` and an absent mask mean nothing
 * at inference, `return_attention_scores=False` and `use_causal_mask=False` are the defaults,
 * and `use_causal_mask=True` is returned for the layers that compute it; any other is refused
 * by name.
 */
function callKwargs(cls: string, kwargs: Json | undefined, where: string, problems: string[]): { causal: boolean } {
  if (!isObj(kwargs)) return { causal: false };
  if (containsTensor(kwargs)) {
    problems.push(`${where} is called with tensors as keyword arguments`);
    return { causal: false };
  }
  let causal = false;
  for (const [k, v] of Object.entries(kwargs)) {
    if (k === 'training' || (k === 'mask' && v === null) || ((k === 'return_attention_scores' || k === 'use_causal_mask') && v === false)) continue;
    if (k === 'use_causal_mask' && v === true && CAUSAL_MASK_LAYERS.has(cls)) causal = true;
    else problems.push(`${where} is called with ${k}=${JSON.stringify(v)}, which the native loader does not handle`);
  }
  return { causal };
}

/** A Keras 3 call node ({args, kwargs} with __keras_tensor__ refs) as the Keras 2 node tfjs reads. */
function inboundNode(node: Json, where: string, problems: string[], nested: ReadonlySet<string>): Json {
  if (Array.isArray(node)) return node;
  if (!isObj(node)) {
    problems.push(`${where} has an unreadable inbound node`);
    return [];
  }
  const refs: Json[] = [];
  const collect = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (isObj(v) && v.class_name === '__keras_tensor__') {
      const r = historyRef(v, where, problems, nested);
      if (r) refs.push(r);
    } else problems.push(`${where} is called with a non-tensor argument ${JSON.stringify(v)}`);
  };
  collect(node.args ?? []);
  return refs;
}

/**
 * tfjs-layers' predict drops a node's call arguments and passes a layer only its first input's
 * mask, so the one call argument we compute (use_causal_mask) goes into the layer's config, and a
 * layer called both ways is refused.
 */
function causalCalls(cls: string, nodes: Json[], config: Obj, where: string, problems: string[]): void {
  const causal = new Set(nodes.map((n) => callKwargs(cls, isObj(n) ? n.kwargs : undefined, where, problems).causal));
  if (causal.size > 1) problems.push(`${where} is called both with and without use_causal_mask`);
  else if (causal.has(true)) config.use_causal_mask = true;
}

/** Keras 3 writes a single input or output as [name, node, tensor]; tfjs wants a list of those. */
function endpointList(v: Json | undefined, nested: ReadonlySet<string>): Json {
  const list = Array.isArray(v) && typeof v[0] === 'string' ? [v] : isObj(v) ? Object.values(v) : (v ?? []);
  if (!Array.isArray(list)) return list;
  return list.map((e) => (Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number' ? [e[0], nodeIndex(e[0], e[1], nested), ...e.slice(2)] : e));
}

interface Walk {
  file: string;
  problems: string[];
  unsupported: string[];
  slots: WeightSlot[];
  /** Layers that make Keras masks, and attention layers (which tfjs would give only the first input's mask). */
  maskMakers: string[];
  attention: string[];
}

/**
 * Translates one model (Sequential or Functional) and records where each of its layers' weights
 * live: `<prefix>layers/<snake_case class>[_n]`, counted over model.layers (which for a
 * Sequential model leaves out the InputLayer).
 */
function translateModel(entry: Obj, names: string[], prefix: string, w: Walk): Obj {
  const cls = String(entry.class_name);
  const config = isObj(entry.config) ? entry.config : {};
  const layers = Array.isArray(config.layers) ? config.layers : [];
  const sequential = cls === 'Sequential';
  const counters = new Map<string, number>();
  const outLayers: Json[] = [];
  // Keras 2.13+'s configs (Keras 2 node lists) already count nodes the tfjs way.
  const keras3Nodes = layers.some((l) => isObj(l) && Array.isArray(l.inbound_nodes) && l.inbound_nodes.some((n) => isObj(n)));
  const nested = new Set(
    keras3Nodes ? layers.filter((l) => isObj(l) && MODELS.has(String(l.class_name))).map((l) => layerName(l as Obj)) : [],
  );
  for (const item of layers) {
    if (!isObj(item)) continue;
    const lcls = String(item.class_name);
    const name = layerName(item);
    const where = `layer '${name}' (${lcls})`;
    let slotPath = '';
    if (!(sequential && lcls === 'InputLayer')) {
      const snake = toSnakeCase(lcls === 'Model' ? 'Functional' : lcls);
      const n = counters.get(snake);
      counters.set(snake, n === undefined ? 0 : n + 1);
      slotPath = `${prefix}layers/${n === undefined ? snake : `${snake}_${n + 1}`}`;
    }
    let translated: Obj;
    if (lcls === 'Lambda') {
      throw new MlflowError(
        `${w.file}: layer '${name}' is a Lambda layer, whose body is Python code; it cannot be loaded natively. Use --runtime python.`,
        'NOT_IMPLEMENTED',
      );
    } else if (MODELS.has(lcls)) {
      translated = translateModel(item, [...names, name], `${slotPath}/`, w);
    } else if (SUPPORTED_LAYERS.has(lcls)) {
      const lconf = isObj(item.config) ? item.config : {};
      translated = layerEntry(lcls, lconf, where, w.problems);
      if (lcls === 'Masking' || (lcls === 'Embedding' && lconf.mask_zero === true)) w.maskMakers.push(where);
      if (ATTENTION_LAYERS.has(lcls)) w.attention.push(where);
      if (slotPath !== '') w.slots.push({ names: [...names, name], varsPaths: varsPaths(lcls, lconf, slotPath) });
    } else {
      w.unsupported.push(`${lcls} ('${name}')`);
      continue;
    }
    if (!sequential) {
      translated.name = name;
      const nodes = Array.isArray(item.inbound_nodes) ? item.inbound_nodes : [];
      translated.inbound_nodes = nodes.map((n) => inboundNode(n, where, w.problems, nested));
      if (isObj(translated.config)) causalCalls(lcls, nodes, translated.config, where, w.problems);
    }
    outLayers.push(translated);
  }
  const name = typeof config.name === 'string' ? config.name : sequential ? 'sequential' : 'functional';
  if (sequential) {
    // A Sequential model built by build(shape) rather than from an Input has no InputLayer;
    // tfjs needs the shape on its first layer.
    const first = outLayers[0];
    if (isObj(first) && first.class_name !== 'InputLayer' && isObj(first.config) && first.config.batch_input_shape === undefined && Array.isArray(config.build_input_shape)) {
      first.config.batch_input_shape = config.build_input_shape;
    }
    return { class_name: 'Sequential', config: { name, layers: outLayers } };
  }
  return {
    class_name: 'Model',
    config: {
      name,
      layers: outLayers,
      input_layers: endpointList(config.input_layers, nested),
      output_layers: endpointList(config.output_layers, nested),
    },
  };
}

/**
 * Translates a Keras 3 config.json (or a Keras 2.13+ one: same envelope, Keras 2 layer configs)
 * into the Keras 2 model_config tfjs-layers deserializes, and lists the layers with weights.
 * Lambda layers, classes outside the supported set and settings tfjs would compute differently
 * are refused, all named in one message.
 */
export function translateKerasConfig(root: Json, file: string): TranslatedModel {
  if (!isObj(root) || typeof root.class_name !== 'string') throw new MlflowError(`${file}: config.json is not a Keras model config`, 'INVALID_PARAMETER_VALUE');
  if (!MODELS.has(root.class_name)) {
    throw new MlflowError(
      `${file}: the model is a ${root.class_name}, a subclassed model whose code is not in the archive; only Sequential and Functional models load natively. Use --runtime python.`,
      'NOT_IMPLEMENTED',
    );
  }
  const w: Walk = { file, problems: [], unsupported: [], slots: [], maskMakers: [], attention: [] };
  const modelConfig = translateModel(root, [], '', w);
  if (w.attention.length > 0 && w.maskMakers.length > 0) {
    w.problems.push(`${w.attention.join(', ')} in a model with Keras masks (${w.maskMakers.join(', ')}): masked attention is not supported natively`);
  }
  if (w.unsupported.length > 0) {
    throw new MlflowError(
      `${file}: layers not supported natively: ${w.unsupported.join(', ')}. Use --runtime python.`,
      'NOT_IMPLEMENTED',
    );
  }
  if (w.problems.length > 0) throw new MlflowError(`${file}: cannot be computed natively: ${w.problems.join('; ')}. Use --runtime python.`, 'NOT_IMPLEMENTED');
  return { modelConfig, slots: w.slots, outputKeys: outputKeysOf(isObj(root.config) ? root.config.output_layers : undefined) };
}

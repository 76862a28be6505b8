import { EXTRA_LAYERS, registerExtraLayers } from './keras-extra-layers.js';
import { IDENTITY_AT_INFERENCE, LAYER_SPECS, layerArgProblems } from './keras-layer-args.js';
import { RESET_AFTER_GRU, registerResetAfterGru } from './keras-gru.js';
import { registerAttentionLayers } from './keras-attention.js';
import { registerSeparableConv1D } from './keras-separable-conv1d.js';
import { registerShapeLayers } from './keras-shape-layers.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** Keras layer classes the native loaders run (with tfjs-layers and the layers of keras-extra-layers). */
export const SUPPORTED_LAYERS: ReadonlySet<string> = new Set(Object.keys(LAYER_SPECS));

/** Keras 2 class names that are aliases of a supported class (as tensorflowjs's converter maps them). */
const ALIASES: Record<string, string> = {
  BatchNormalizationV1: 'BatchNormalization',
  BatchNormalizationV2: 'BatchNormalization',
  UnifiedLSTM: 'LSTM',
  UnifiedGRU: 'GRU',
  LSTMV2: 'LSTM',
  GRUV2: 'GRU',
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  Convolution3D: 'Conv3D',
  Deconvolution2D: 'Conv2DTranspose',
  SeparableConvolution2D: 'SeparableConv2D',
  MaxPool1D: 'MaxPooling1D',
  MaxPool2D: 'MaxPooling2D',
  MaxPool3D: 'MaxPooling3D',
  AvgPool1D: 'AveragePooling1D',
  AvgPool2D: 'AveragePooling2D',
  AvgPool3D: 'AveragePooling3D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
};

/** A layer class as the native loaders know it (aliases resolved). */
export function kerasClass(cls: string): string {
  return ALIASES[cls] ?? cls;
}

/** Readies tfjs's deserializer for every layer class translateLayer may produce. */
export function registerKerasLayers(): void {
  registerExtraLayers();
  registerResetAfterGru();
  registerShapeLayers();
  registerSeparableConv1D();
  registerAttentionLayers();
}

/** Layers we implement as tfjs layers of our own, by Keras class: the config keys they take. */
const OWN_LAYERS: Readonly<Record<string, { className: string; keys: readonly string[] }>> = {
  ZeroPadding1D: { className: EXTRA_LAYERS.zeroPadding1D, keys: ['padding'] },
  Cropping1D: { className: EXTRA_LAYERS.cropping1D, keys: ['cropping'] },
  Cropping3D: { className: EXTRA_LAYERS.cropping3D, keys: ['cropping'] },
  UpSampling1D: { className: EXTRA_LAYERS.upSampling1D, keys: ['size'] },
  SeparableConv1D: {
    className: EXTRA_LAYERS.separableConv1D,
    keys: ['filters', 'kernel_size', 'strides', 'padding', 'dilation_rate', 'depth_multiplier', 'activation', 'use_bias'],
  },
  Attention: { className: EXTRA_LAYERS.attention, keys: ['use_scale', 'score_mode'] },
  AdditiveAttention: { className: EXTRA_LAYERS.additiveAttention, keys: ['use_scale'] },
  MultiHeadAttention: { className: EXTRA_LAYERS.multiHeadAttention, keys: ['num_heads', 'key_dim', 'value_dim', 'use_bias', 'output_shape', 'attention_axes'] },
};

/** The attention layers: they take several inputs and compute no Keras mask natively. */
export const ATTENTION_LAYERS: ReadonlySet<string> = new Set(['Attention', 'AdditiveAttention', 'MultiHeadAttention']);

/** Layers whose Keras 2 (tf.keras) configs or weight layouts we have no real file of: Keras 3 files only. */
export const KERAS3_ONLY: ReadonlySet<string> = new Set(['SeparableConv1D', 'Attention', 'AdditiveAttention', 'MultiHeadAttention']);

/** Layers whose call may ask for a causal mask (use_causal_mask=True), which ours compute. */
export const CAUSAL_MASK_LAYERS: ReadonlySet<string> = new Set(['Attention', 'AdditiveAttention', 'MultiHeadAttention']);

function keep(config: Obj, keys: readonly string[]): Obj {
  return Object.fromEntries(Object.entries(config).filter(([k]) => keys.includes(k)));
}

/**
 * One supported layer's Keras config as the class and config tfjs-layers builds the same
 * computation from. Arguments we do not compute go to problems, named (keras-layer-args); a
 * wrapper's inner `layer` is left to the caller, which knows its config dialect.
 */
export function translateLayer(cls: string, config: Obj, where: string, problems: string[]): { className: string; config: Obj } {
  problems.push(...layerArgProblems(cls, config, where));
  const base = keep(config, ['name', 'trainable', 'dtype', 'batch_input_shape', 'batch_shape', 'input_dim', 'input_length']);
  if (IDENTITY_AT_INFERENCE.has(cls)) return { className: EXTRA_LAYERS.identity, config: base };
  if (cls === 'ReLU') return { className: EXTRA_LAYERS.relu, config: { ...base, ...keep(config, ['max_value', 'negative_slope', 'threshold']) } };
  if (cls === 'ELU') return { className: EXTRA_LAYERS.elu, config: { ...base, ...keep(config, ['alpha']) } };
  const own = OWN_LAYERS[cls];
  if (own !== undefined) return { className: own.className, config: { ...base, ...keep(config, own.keys) } };
  const out: Obj = {};
  for (const [k, v] of Object.entries(config)) {
    // Weights come from the file, so initializers only need to be cheap (tfjs's Orthogonal runs a
    // QR decomposition); regularizers and constraints play no part in inference.
    if (k.endsWith('_initializer')) out[k] = { class_name: 'Zeros', config: {} };
    else if (k.endsWith('_regularizer') || k.endsWith('_constraint')) out[k] = null;
    else out[k] = v;
  }
  // tf.keras writes a SeparableConv2D's unused kernel_* settings too; tfjs refuses them.
  if (cls === 'SeparableConv2D') for (const k of ['kernel_initializer', 'kernel_regularizer', 'kernel_constraint']) delete out[k];
  // Each request predicts as a freshly loaded Keras model does: states start at zero.
  if (RNN_CLASSES.has(cls)) out.stateful = false;
  if (cls === 'LeakyReLU' && 'negative_slope' in out) {
    out.alpha = out.negative_slope;
    delete out.negative_slope;
  }
  if (cls === 'Bidirectional' && 'backward_layer' in out) {
    if (!mirrorsForward(config.layer, config.backward_layer)) problems.push(`${where} has a backward_layer that is not the mirror of its layer`);
    delete out.backward_layer;
  }
  if (cls === 'GRU' && config.reset_after === true) return { className: RESET_AFTER_GRU, config: out };
  if (cls === 'Conv1D' && config.padding === 'causal') return { className: EXTRA_LAYERS.causalConv1D, config: out };
  return { className: cls, config: out };
}

/** A config without the keys that name an object or say which way it reads. */
function essence(v: Json | undefined): string {
  return JSON.stringify(v ?? null, (k, x: Json) => (k === 'name' || k === 'go_backwards' || k === 'shared_object_id' ? undefined : x));
}

/** Keras writes backward_layer even when it built it from the forward layer: accept that mirror only. */
function mirrorsForward(forward: Json | undefined, backward: Json | undefined): boolean {
  const f = forward as Obj | null | undefined;
  const b = backward as Obj | null | undefined;
  if (!f || !b || f.class_name !== b.class_name) return false;
  const goesBack = (c: Json | undefined): boolean => (c as Obj | null | undefined)?.go_backwards === true;
  return essence(f.config) === essence(b.config) && goesBack(f.config) !== goesBack(b.config);
}

/** Recurrent layers, whose variables Keras 3 keeps in their `cell`. */
export const RNN_CLASSES: ReadonlySet<string> = new Set(['LSTM', 'GRU', 'SimpleRNN', 'ConvLSTM2D']);

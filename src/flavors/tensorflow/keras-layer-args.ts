/**
 * Every Keras layer class the native loaders run, with the arguments of its Keras 2 and Keras 3
 * configs we compute as Keras does. An argument outside this list is refused by name, and so is
 * an argument that we only know at its default (FIXED) when it holds another value: a setting we
 * do not compute must never be dropped silently.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Arguments any layer may carry that play no part in inference (or are read by the loader itself). */
const COMMON = new Set(['name', 'trainable', 'dtype', 'batch_input_shape', 'batch_shape', 'input_shape', 'batch_size', 'activity_regularizer', 'seed']);
/** Initializers, regularizers and constraints: the weights come from the file; training only. */
const TRAINING_ONLY = /_(initializer|regularizer|constraint)$/;

interface Spec {
  /** Arguments computed as Keras computes them. */
  args: readonly string[];
  /** Arguments supported only at these values (any of the listed, compared as JSON). */
  fixed?: Readonly<Record<string, readonly Json[]>>;
}

const CONV = ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'activation', 'use_bias'];
const POOL = ['pool_size', 'strides', 'padding', 'data_format'];
const GLOBAL_POOL: Spec = { args: ['data_format'], fixed: { keepdims: [false] } };
const RNN = ['units', 'activation', 'use_bias', 'dropout', 'recurrent_dropout', 'return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll', 'implementation', 'zero_output_for_mask'];
const QUANTIZABLE = { lora_rank: [null], quantization_config: [null] };
const NO_ARGS: Spec = { args: [] };
/** Noise, dropout and activity regularization: the identity at inference, whatever their settings. */
const IDENTITY: Spec = { args: ['rate', 'noise_shape', 'stddev', 'l1', 'l2', 'data_format'] };

/** Keras layer classes that compute the identity at inference and that tfjs-layers lacks. */
export const IDENTITY_AT_INFERENCE: ReadonlySet<string> = new Set([
  'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization',
]);

export const LAYER_SPECS: Readonly<Record<string, Spec>> = {
  InputLayer: { args: ['input_dim'], fixed: { sparse: [false, null], ragged: [false, null], optional: [false] } },
  Dense: { args: ['units', 'activation', 'use_bias', 'lora_alpha'], fixed: QUANTIZABLE },
  Activation: { args: ['activation'] },
  Dropout: IDENTITY,
  ...Object.fromEntries([...IDENTITY_AT_INFERENCE].map((c) => [c, IDENTITY])),
  Flatten: { args: ['data_format'] },
  Reshape: { args: ['target_shape'] },
  Permute: { args: ['dims'] },
  RepeatVector: { args: ['n'] },
  Masking: { args: ['mask_value'] },
  Conv1D: { args: CONV, fixed: { groups: [1] } },
  Conv2D: { args: CONV, fixed: { groups: [1] } },
  Conv3D: { args: CONV, fixed: { groups: [1] } },
  // tfjs's transposed convolution has no output_padding nor dilation.
  Conv2DTranspose: { args: CONV.filter((a) => a !== 'dilation_rate'), fixed: { output_padding: [null], dilation_rate: [1, [1, 1]] } },
  SeparableConv1D: { args: [...CONV.filter((a) => a !== 'data_format'), 'depth_multiplier'], fixed: { data_format: ['channels_last'] } },
  SeparableConv2D: { args: [...CONV, 'depth_multiplier'] },
  DepthwiseConv2D: { args: [...CONV.filter((a) => a !== 'filters'), 'depth_multiplier'] },
  MaxPooling1D: { args: POOL },
  MaxPooling2D: { args: POOL },
  MaxPooling3D: { args: POOL },
  AveragePooling1D: { args: POOL },
  AveragePooling2D: { args: POOL },
  AveragePooling3D: { args: POOL },
  GlobalAveragePooling1D: GLOBAL_POOL,
  GlobalAveragePooling2D: GLOBAL_POOL,
  GlobalMaxPooling1D: GLOBAL_POOL,
  GlobalMaxPooling2D: GLOBAL_POOL,
  ZeroPadding1D: { args: ['padding'], fixed: { data_format: ['channels_last'] } },
  ZeroPadding2D: { args: ['padding', 'data_format'] },
  Cropping1D: { args: ['cropping'] },
  Cropping3D: { args: ['cropping'], fixed: { data_format: ['channels_last'] } },
  UpSampling1D: { args: ['size'] },
  Cropping2D: { args: ['cropping', 'data_format'] },
  // tfjs's bilinear resize does not place pixel centres as TensorFlow's does.
  UpSampling2D: { args: ['size', 'data_format'], fixed: { interpolation: ['nearest'] } },
  BatchNormalization: {
    args: ['axis', 'momentum', 'epsilon', 'center', 'scale', 'fused', 'renorm_momentum'],
    fixed: { renorm: [false], renorm_clipping: [null], synchronized: [false], virtual_batch_size: [null], adjustment: [null] },
  },
  LayerNormalization: { args: ['axis', 'epsilon', 'center', 'scale'], fixed: { rms_scaling: [false] } },
  Normalization: { args: ['axis', 'invert', 'mean', 'variance'] },
  Embedding: { args: ['input_dim', 'output_dim', 'mask_zero', 'input_length', 'lora_alpha'], fixed: { ...QUANTIZABLE, sparse: [false] } },
  SimpleRNN: { args: RNN, fixed: { time_major: [false] } },
  LSTM: { args: [...RNN, 'recurrent_activation', 'unit_forget_bias'], fixed: { time_major: [false] } },
  GRU: { args: [...RNN, 'recurrent_activation', 'reset_after'], fixed: { time_major: [false] } },
  // tfjs-layers' ConvLSTM2D computes the Keras cell (gates i, f, c, o; recurrent convolution 'same').
  ConvLSTM2D: {
    args: [...RNN, ...CONV.filter((a) => a !== 'data_format' && a !== 'use_bias'), 'recurrent_activation', 'unit_forget_bias'],
    fixed: { data_format: ['channels_last'] },
  },
  Attention: { args: ['use_scale', 'score_mode', 'dropout'] },
  AdditiveAttention: { args: ['use_scale', 'dropout'] },
  MultiHeadAttention: {
    args: ['num_heads', 'key_dim', 'value_dim', 'dropout', 'use_bias', 'output_shape', 'attention_axes'],
    fixed: { use_gate: [false], sliding_window: [null] },
  },
  Bidirectional: { args: ['layer', 'merge_mode', 'backward_layer'] },
  TimeDistributed: { args: ['layer'] },
  Concatenate: { args: ['axis'] },
  Dot: { args: ['axes', 'normalize'] },
  Add: NO_ARGS,
  Multiply: NO_ARGS,
  Average: NO_ARGS,
  Maximum: NO_ARGS,
  Minimum: NO_ARGS,
  ReLU: { args: ['max_value', 'negative_slope', 'threshold'] },
  ELU: { args: ['alpha'] },
  LeakyReLU: { args: ['alpha', 'negative_slope'] },
  PReLU: { args: ['shared_axes'] },
  ThresholdedReLU: { args: ['theta'] },
  Softmax: { args: ['axis'] },
};

function sameJson(a: Json | undefined, b: Json): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b);
}

/**
 * The arguments of one layer's config that we do not compute as Keras does, each named with
 * its value ("layer 'x' (ReLU): argument threshold=0.5 is not supported natively").
 */
export function layerArgProblems(cls: string, config: Readonly<Record<string, Json>>, where: string): string[] {
  const spec = LAYER_SPECS[cls];
  if (spec === undefined) return [`${where} is not a supported layer class`];
  const problems: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    if (COMMON.has(k) || TRAINING_ONLY.test(k) || spec.args.includes(k)) continue;
    const allowed = spec.fixed?.[k];
    if (allowed === undefined) problems.push(`${where} has argument '${k}' (${JSON.stringify(v)}), which the native loader does not handle`);
    else if (!allowed.some((a) => sameJson(v, a))) problems.push(`${where} has ${k}=${JSON.stringify(v)}, which is not supported natively`);
  }
  return problems;
}

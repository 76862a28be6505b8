import * as tf from '../../tfjs/tf.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/**
 * Keras 1.x argument names and their Keras 2 names, per layer family, as Keras 2.0's legacy
 * interfaces (keras/legacy/interfaces.py) convert them when Keras 2 reads a Keras 1 config.
 */
const WEIGHTED = {
  init: 'kernel_initializer', W_regularizer: 'kernel_regularizer', b_regularizer: 'bias_regularizer',
  W_constraint: 'kernel_constraint', b_constraint: 'bias_constraint', bias: 'use_bias',
};
const RECURRENT = {
  ...WEIGHTED, output_dim: 'units', inner_init: 'recurrent_initializer', inner_activation: 'recurrent_activation',
  U_regularizer: 'recurrent_regularizer', dropout_W: 'dropout', dropout_U: 'recurrent_dropout',
};
const CONV = { ...WEIGHTED, nb_filter: 'filters', border_mode: 'padding', dim_ordering: 'data_format', atrous_rate: 'dilation_rate' };
const POOL = { border_mode: 'padding', dim_ordering: 'data_format', pool_length: 'pool_size', stride: 'strides' };
const RENAMES: Record<string, Record<string, string>> = {
  Dense: { ...WEIGHTED, output_dim: 'units' },
  Dropout: { p: 'rate' },
  SpatialDropout1D: { p: 'rate' },
  SpatialDropout2D: { p: 'rate', dim_ordering: 'data_format' },
  SpatialDropout3D: { p: 'rate', dim_ordering: 'data_format' },
  GaussianNoise: { sigma: 'stddev' },
  GaussianDropout: { p: 'rate' },
  Embedding: { init: 'embeddings_initializer', W_regularizer: 'embeddings_regularizer', W_constraint: 'embeddings_constraint' },
  LSTM: RECURRENT,
  GRU: RECURRENT,
  SimpleRNN: RECURRENT,
  Convolution1D: { ...CONV, filter_length: 'kernel_size', subsample_length: 'strides' },
  AtrousConvolution1D: { ...CONV, filter_length: 'kernel_size', subsample_length: 'strides' },
  Convolution2D: { ...CONV, subsample: 'strides' },
  AtrousConvolution2D: { ...CONV, subsample: 'strides' },
  Convolution3D: { ...CONV, subsample: 'strides' },
  MaxPooling1D: POOL, AveragePooling1D: POOL, MaxPooling2D: POOL, AveragePooling2D: POOL, MaxPooling3D: POOL, AveragePooling3D: POOL,
  GlobalMaxPooling2D: POOL, GlobalAveragePooling2D: POOL,
  ZeroPadding2D: { dim_ordering: 'data_format' },
  Cropping2D: { dim_ordering: 'data_format' },
  UpSampling2D: { dim_ordering: 'data_format' },
  BatchNormalization: { beta_init: 'beta_initializer', gamma_init: 'gamma_initializer' },
  PReLU: { init: 'alpha_initializer' },
};
const CLASS_RENAMES: Record<string, string> = {
  Convolution1D: 'Conv1D', AtrousConvolution1D: 'Conv1D', Convolution2D: 'Conv2D', AtrousConvolution2D: 'Conv2D', Convolution3D: 'Conv3D',
};
/** Keras 1's Merge modes that are a Keras 2 merge layer. */
const MERGE_MODES: Record<string, string> = { sum: 'Add', mul: 'Multiply', concat: 'Concatenate', ave: 'Average', max: 'Maximum' };
/** Keras 1 settings that Keras 2 dropped: they change nothing at inference. */
const DROPPED = new Set(['input_dim', 'input_length', 'consume_less', 'W_learning_rate_multiplier', 'b_learning_rate_multiplier']);
const DIM_ORDERING: Record<string, string> = { tf: 'channels_last', th: 'channels_first' };

function isObj(v: Json | undefined): v is Obj {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** One Keras 1 layer config in Keras 2 terms. Values Keras 2 cannot express are left for the argument check to name. */
function layer1(cls: string, config: Obj): { cls: string; config: Obj } {
  const renames = RENAMES[cls] ?? {};
  const out: Obj = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'input_dtype') out.dtype = v;
    else if (DROPPED.has(k) && !(cls === 'Embedding' && (k === 'input_dim' || k === 'input_length'))) continue;
    else if (k === 'forget_bias_init') out.unit_forget_bias = v === 'one';
    else if (k === 'dim_ordering') out.data_format = typeof v === 'string' ? (DIM_ORDERING[v] ?? v) : v;
    else if (k === 'layer' && isObj(v)) out.layer = keras1Config(v) as Obj;
    else if (cls === 'Embedding' && k === 'dropout') continue;
    else out[renames[k] ?? k] = v;
  }
  if ('nb_row' in config) {
    out.kernel_size = [config.nb_row, config.nb_col];
    delete out.nb_row;
    delete out.nb_col;
  }
  if ('kernel_dim1' in config) {
    out.kernel_size = [config.kernel_dim1, config.kernel_dim2, config.kernel_dim3];
    for (const k of ['kernel_dim1', 'kernel_dim2', 'kernel_dim3']) delete out[k];
  }
  if (cls === 'BatchNormalization') {
    // mode 0 is feature-wise normalization, Keras 2's only kind; another mode stays for the check to name.
    if (config.mode === 0) delete out.mode;
  }
  if (cls === 'Merge' && typeof config.mode === 'string' && config.mode in MERGE_MODES) {
    const merged: Obj = { name: config.name ?? null, trainable: config.trainable ?? true };
    if (config.mode === 'concat') merged.axis = config.concat_axis ?? -1;
    return { cls: MERGE_MODES[config.mode], config: merged };
  }
  return { cls: CLASS_RENAMES[cls] ?? cls, config: out };
}

/** A Keras 1.x model_config rewritten as the Keras 2 config Keras 2 builds from it. */
export function keras1Config(node: Json): Json {
  if (Array.isArray(node)) return node.map(keras1Config);
  if (!isObj(node)) return node;
  const cls = node.class_name;
  if (typeof cls !== 'string' || !isObj(node.config)) {
    if (typeof cls === 'string' && Array.isArray(node.config)) return { ...node, config: node.config.map(keras1Config) };
    return node;
  }
  if (cls === 'Sequential' || cls === 'Model') {
    const c = node.config;
    return { ...node, config: { ...c, layers: keras1Config(c.layers ?? []) } };
  }
  const t = layer1(cls, node.config);
  return { ...node, class_name: t.cls, config: t.config };
}

/** The Keras 1 layer's weights in Keras 2's layout, as Keras 2's preprocess_weights_for_loading converts them. */
export function keras1Weights(cls: string, config: Obj, ws: tf.Tensor[]): tf.Tensor[] {
  if (cls === 'Bidirectional' && isObj(config.layer)) {
    const inner = String(config.layer.class_name);
    const half = ws.length / 2;
    const innerConfig = isObj(config.layer.config) ? config.layer.config : {};
    return [...keras1Weights(inner, innerConfig, ws.slice(0, half)), ...keras1Weights(inner, innerConfig, ws.slice(half))];
  }
  if (cls === 'TimeDistributed' && isObj(config.layer)) {
    return keras1Weights(String(config.layer.class_name), isObj(config.layer.config) ? config.layer.config : {}, ws);
  }
  if (cls === 'LSTM' && ws.length === 12) {
    // Keras 1 saved i, c, f, o gates one by one; Keras 2 concatenates them as i, f, c, o.
    const gates = (j: number): tf.Tensor => tf.concat([ws[j], ws[j + 6], ws[j + 3], ws[j + 9]], -1);
    return [gates(0), gates(1), gates(2)];
  }
  if (cls === 'GRU' && ws.length === 9) {
    const gates = (j: number): tf.Tensor => tf.concat([ws[j], ws[j + 3], ws[j + 6]], -1);
    return [gates(0), gates(1), gates(2)];
  }
  const [kernel, ...rest] = ws;
  if (kernel === undefined) return ws;
  const kernelSize = Array.isArray(config.kernel_size) ? config.kernel_size : [config.kernel_size];
  if (cls === 'Conv1D' && kernel.rank === 4) {
    const [k, one, , filters] = kernel.shape;
    // Keras 1.1 wrote (filters, input_dim, length, 1); Keras 1.2 (length, 1, input_dim, filters).
    const legacy = k !== kernelSize[0] || one !== 1 || filters !== config.filters;
    const tfLayout = legacy ? tf.transpose(kernel, [2, 3, 1, 0]) : kernel;
    return [tf.squeeze(tfLayout, [1]), ...rest];
  }
  if (cls === 'Conv2D' && config.data_format === 'channels_first') return [tf.transpose(kernel, [2, 3, 1, 0]), ...rest];
  if (cls === 'Conv3D' && config.data_format === 'channels_first') return [tf.transpose(kernel, [2, 3, 4, 1, 0]), ...rest];
  return ws;
}

/** A convolution kernel saved under Theano, as Keras's convert_kernel turns it: every spatial axis reversed. */
export function flipTheanoKernel(kernel: tf.Tensor): tf.Tensor {
  return tf.reverse(kernel, Array.from({ length: kernel.rank - 2 }, (_, i) => i));
}

import * as tf from '../../tfjs/tf.js';
import { LIST_ITEM_OP, LIST_LOOP_OP, listItem, runListLoop } from './list-loops.js';

/**
 * TensorFlow ops tfjs-converter lacks but real graphs use, added through tf.registerOp (which the
 * GraphModel executor consults before its own table). Each one computes exactly what TensorFlow's
 * kernel does for the dtypes tfjs has.
 */
/** Our op for FusedBatchNorm* with is_training=true (see rewriteTrainingBatchNorm). */
const TRAINING_BATCH_NORM = 'MlflowTsFusedBatchNormTraining';

const CUSTOM_OPS: Record<string, tf.OpExecutor> = {
  // Keras' softsign activation: x / (1 + |x|).
  Softsign: (node) => {
    const x = node.inputs[0];
    return tf.div(x, tf.add(tf.scalar(1, x.dtype), tf.abs(x)));
  },
  // Newer TF's matmul; V3 only adds output-type attrs that tfjs's float32/int32 cannot differ on.
  BatchMatMulV3: (node) =>
    tf.matMul(node.inputs[0], node.inputs[1], Boolean(node.attrs.adj_x), Boolean(node.attrs.adj_y)),
  // TF's Erfc = 1 - erf(x).
  Erfc: (node) => tf.sub(tf.scalar(1), tf.erf(node.inputs[0])),
  // A debug op that passes its input through (TF would fail on NaN/Inf; tfjs just computes).
  CheckNumerics: (node) => tf.clone(node.inputs[0]),
  // TF's Xlogy: 0 where x == 0 (even when y is 0 or NaN), else x * log(y).
  Xlogy: (node) => {
    const [x, y] = node.inputs;
    return tf.where(tf.equal(x, 0), tf.zerosLike(tf.mul(x, y)), tf.mul(x, tf.log(y)));
  },
  // TF's segment ids may span several leading dimensions of data; tfjs's only the first.
  UnsortedSegmentSum: (node) => {
    const [data, ids, numSegments] = node.inputs;
    const lead = ids.shape.reduce((a, b) => a * b, 1);
    const rows = tf.reshape(data, [lead, ...data.shape.slice(ids.rank)]);
    return tf.unsortedSegmentSum(rows, tf.reshape(tf.cast(ids, 'int32'), [lead]), numSegments.dataSync()[0]);
  },
  [LIST_LOOP_OP]: runListLoop,
  [LIST_ITEM_OP]: listItem,
  [TRAINING_BATCH_NORM]: (node) => {
    const [x, scale, offset] = node.inputs;
    const channelsFirst = String(node.attrs.data_format ?? 'NHWC').toUpperCase().startsWith('NC');
    const channel = channelsFirst ? 1 : x.rank - 1;
    const axes = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== channel);
    const shape = x.shape.map((d, i) => (i === channel ? d : 1));
    const { mean, variance } = tf.moments(x, axes, true);
    const epsilon = Number(node.attrs.epsilon ?? 0.0001);
    const y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), tf.reshape(scale, shape)), tf.reshape(offset, shape));
    // batch_variance is Bessel-corrected, as TF reports it; y uses the biased variance, as TF does.
    const n = axes.reduce((a, i) => a * x.shape[i], 1);
    const flatMean = tf.reshape(mean, [-1]);
    const flatVariance = tf.reshape(variance, [-1]);
    const batchVariance = n > 1 ? tf.mul(flatVariance, n / (n - 1)) : flatVariance;
    return [y, flatMean, batchVariance, flatMean, flatVariance, flatVariance];
  },
};

/**
 * FusedBatchNorm* with is_training=true normalizes with the batch's own statistics; tfjs's
 * kernel always uses the mean/variance inputs (empty in such graphs), so these nodes are
 * renamed to an op of ours that computes what TensorFlow computes (Keras 2's fused
 * LayerNormalization path builds them).
 */
export function rewriteTrainingBatchNorm(nodes: readonly { op: string; attr: Record<string, { b?: boolean | null }> }[]): void {
  for (const n of nodes) {
    if (/^FusedBatchNorm(V[23])?$/.test(n.op) && n.attr.is_training?.b === true) n.op = TRAINING_BATCH_NORM;
  }
}

let registered = false;

/**
 * Readies tfjs once per process: registers the custom ops (returning their names) and turns on
 * production mode, which silences tfjs's console banner about the native backend (we run on the
 * pure-JS cpu and WebAssembly backends on purpose: no native TensorFlow, see backend.ts).
 */
export function prepareTfjs(): ReadonlySet<string> {
  if (!registered) {
    tf.enableProdMode();
    for (const [name, fn] of Object.entries(CUSTOM_OPS)) {
      tf.registerOp(name, fn);
    }
    registered = true;
  }
  return new Set(Object.keys(CUSTOM_OPS));
}

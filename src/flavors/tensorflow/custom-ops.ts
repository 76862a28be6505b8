import * as tf from '@tensorflow/tfjs';

/**
 * TensorFlow ops tfjs-converter lacks but real graphs use, added through tf.registerOp (which the
 * GraphModel executor consults before its own table). Each one computes exactly what TensorFlow's
 * kernel does for the dtypes tfjs has.
 */
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
};

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

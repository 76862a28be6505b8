import * as tf from './tf.js';
import { MlflowError } from '../errors.js';
import { makeTensor, type Tensor } from '../frame/tensor.js';
import type { NumericTensor } from '../frame/outputs-as-frame.js';

/** A request tensor as the tfjs tensor a layers model's input takes: int32 (exact values only) or float32. */
export function toTf(t: Tensor, dtype: string, what: string): tf.Tensor {
  if (t.dtype === 'string' || t.dtype === 'object') throw new MlflowError(`${what}: expects numbers, got ${t.dtype}`, 'INVALID_PARAMETER_VALUE');
  // tfjs only reads its inputs: float32 data goes in as is (the wasm backend copies it to its heap anyway).
  if (dtype !== 'int32') return tf.tensor(t.data instanceof Float32Array ? t.data : Float32Array.from(t.data), [...t.shape], 'float32');
  const ints = Int32Array.from(t.data);
  if (ints.some((v, i) => v !== Number(t.data[i]))) throw new MlflowError(`${what}: expects int32 values`, 'INVALID_PARAMETER_VALUE');
  return tf.tensor(ints, [...t.shape], 'int32');
}

/** A layers model's output (int32 or float32) as our Tensor. */
export async function fromTf(t: tf.Tensor): Promise<NumericTensor> {
  const data = await t.data();
  if (t.dtype === 'int32') return makeTensor<NumericTensor>({ dtype: 'int32', shape: [...t.shape], data: Int32Array.from(data as Int32Array) });
  return makeTensor<NumericTensor>({ dtype: 'float32', shape: [...t.shape], data: Float32Array.from(data as Float32Array) });
}

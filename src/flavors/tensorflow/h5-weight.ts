import h5wasm from 'h5wasm/node';
import { MlflowError } from '../../errors.js';

/** A saved weight as tfjs-layers takes it. */
export interface H5Weight {
  shape: number[];
  data: Float32Array;
}

/**
 * One HDF5 dataset of Keras weights as float32, the dtype tfjs-layers computes in (Keras's
 * float16/64 weights are widened or narrowed; integer counters such as Normalization's count
 * become floats). `where` names the dataset in errors.
 */
export function readH5Weight(ds: unknown, where: string): H5Weight {
  if (!(ds instanceof h5wasm.Dataset)) throw new MlflowError(`${where} is missing or not a dataset`, 'INVALID_PARAMETER_VALUE');
  if (ds.attrs.dtype?.value === 'bfloat16') throw new MlflowError(`${where} is bfloat16, which is not supported natively`, 'NOT_IMPLEMENTED');
  const value = ds.value;
  if (typeof value === 'number' || typeof value === 'bigint') return { shape: [], data: Float32Array.of(Number(value)) };
  if (!ArrayBuffer.isView(value)) throw new MlflowError(`${where} is not a numeric array`, 'INVALID_PARAMETER_VALUE');
  const data = value instanceof BigInt64Array || value instanceof BigUint64Array
    ? Float32Array.from(value, Number)
    : Float32Array.from(value as unknown as ArrayLike<number>);
  return { shape: ds.shape ?? [], data };
}

import { MlflowError } from '../../errors.js';
import { DT, dataTypeName } from '../protobuf/tensorflow.js';
import { halfToFloat } from '../half-float.js';

/** A tensor's values as TensorFlow holds them, one typed array per dtype (strings as bytes). */
export type TfValues =
  | Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array
  | BigInt64Array | BigUint64Array | Uint8Array[];

export interface TfTensor {
  /** TensorFlow DataType number (DT.FLOAT ...). DT.BOOL values are a Uint8Array of 0/1. */
  readonly dtype: number;
  readonly shape: number[];
  readonly values: TfValues;
}

const ELEMENT_SIZE: Record<number, number> = {
  [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.INT32]: 4, [DT.UINT8]: 1, [DT.INT16]: 2, [DT.INT8]: 1,
  [DT.INT64]: 8, [DT.BOOL]: 1, [DT.BFLOAT16]: 2, [DT.UINT16]: 2, [DT.HALF]: 2, [DT.UINT32]: 4, [DT.UINT64]: 8,
};

/** Bytes per element of a fixed-size dtype; undefined for strings, resources, variants, complex. */
export function elementSize(dtype: number): number | undefined {
  return ELEMENT_SIZE[dtype];
}

/**
 * Decodes `count` little-endian elements of `dtype` from `bytes` (TensorProto.tensor_content and
 * checkpoint data use this layout). half and bfloat16 widen to float32.
 */
export function decodeRawValues(dtype: number, bytes: Uint8Array, count: number, what: string): TfValues {
  const size = ELEMENT_SIZE[dtype];
  if (size === undefined) {
    throw new MlflowError(`${what}: dtype ${dataTypeName(dtype)} is not supported`, 'NOT_IMPLEMENTED');
  }
  if (bytes.length !== size * count) {
    throw new MlflowError(`${what}: ${bytes.length} bytes for ${count} ${dataTypeName(dtype)} values`, 'INVALID_PARAMETER_VALUE');
  }
  // Copy to an aligned buffer of its own: the source may be an unaligned view of a larger one
  // (a Node Buffer from the protobuf decoder shares a pool, and its slice() does not copy).
  const buf = new Uint8Array(bytes).buffer;
  switch (dtype) {
    case DT.FLOAT: return new Float32Array(buf);
    case DT.DOUBLE: return new Float64Array(buf);
    case DT.INT32: return new Int32Array(buf);
    case DT.UINT8: case DT.BOOL: return new Uint8Array(buf);
    case DT.INT16: return new Int16Array(buf);
    case DT.INT8: return new Int8Array(buf);
    case DT.UINT16: return new Uint16Array(buf);
    case DT.UINT32: return new Uint32Array(buf);
    case DT.INT64: return new BigInt64Array(buf);
    case DT.UINT64: return new BigUint64Array(buf);
    case DT.HALF: return Float32Array.from(new Uint16Array(buf), halfToFloat);
    default: {
      // bfloat16 is the high half of a float32.
      const src = new Uint16Array(buf);
      const out = new Uint32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
      return new Float32Array(out.buffer);
    }
  }
}

import { MlflowError } from '../../errors.js';
import { DT, dataTypeName, type TensorProto } from '../../formats/protobuf/index.js';
import { decodeRawValues, type TfTensor, type TfValues } from '../../formats/tensorbundle/index.js';
import { halfToFloat } from '../../formats/half-float.js';

/**
 * Largest constant built from repeated values (2^28 elements, 1 GiB of float32): a tiny protobuf
 * can declare a huge shape with one value, and must not make us allocate without bound.
 */
const MAX_FILLED_ELEMENTS = 2 ** 28;

/** Fills `count` slots from `vals`: TensorFlow repeats the last value given (none given: zeros). */
function fill<T>(vals: readonly T[], count: number, zero: T): T[] {
  const out = new Array<T>(count);
  for (let i = 0; i < count; i++) out[i] = vals.length === 0 ? zero : vals[Math.min(i, vals.length - 1)];
  return out;
}

/** A TensorProto (a Const node's `value`) as shape + typed values. */
export function decodeTensorProto(t: TensorProto, what: string): TfTensor {
  const shape = (t.tensorShape?.dim ?? []).map((d) => d.size);
  if (shape.some((d) => d < 0)) throw new MlflowError(`${what}: constant of unknown shape`, 'INVALID_PARAMETER_VALUE');
  const count = shape.reduce((a, b) => a * b, 1);
  if (t.tensorContent.length > 0 && t.dtype !== DT.STRING) {
    return { dtype: t.dtype, shape, values: decodeRawValues(t.dtype, t.tensorContent, count, what) };
  }
  if (count > MAX_FILLED_ELEMENTS) {
    throw new MlflowError(`${what}: constant of shape [${shape.join(', ')}] is too large`, 'INVALID_PARAMETER_VALUE');
  }
  let values: TfValues;
  switch (t.dtype) {
    case DT.FLOAT: values = Float32Array.from(fill(t.floatVal, count, 0)); break;
    case DT.DOUBLE: values = Float64Array.from(fill(t.doubleVal, count, 0)); break;
    case DT.INT32: case DT.INT16: case DT.INT8: case DT.UINT8: case DT.UINT16:
      values = Int32Array.from(fill(t.intVal, count, 0)); break;
    case DT.INT64: values = BigInt64Array.from(fill(t.int64Val, count, 0), (v) => BigInt(v)); break;
    case DT.UINT32: values = Uint32Array.from(fill(t.uint32Val, count, 0)); break;
    case DT.UINT64: values = BigUint64Array.from(fill(t.uint64Val, count, 0), (v) => BigInt(v)); break;
    case DT.BOOL: values = Uint8Array.from(fill(t.boolVal, count, false), (b) => (b ? 1 : 0)); break;
    case DT.HALF: values = Float32Array.from(fill(t.halfVal, count, 0), halfToFloat); break;
    case DT.BFLOAT16: values = new Float32Array(Uint32Array.from(fill(t.halfVal, count, 0), (v) => v << 16).buffer); break;
    case DT.STRING: values = fill(t.stringVal, count, new Uint8Array(0)); break;
    default:
      throw new MlflowError(`${what}: constants of dtype ${dataTypeName(t.dtype)} are not supported`, 'NOT_IMPLEMENTED');
  }
  // Narrow integer dtypes arrive in int_val; keep the dtype TensorFlow declared.
  return { dtype: t.dtype, shape, values };
}

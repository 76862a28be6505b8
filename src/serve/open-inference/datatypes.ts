import type { NumericDType } from '../../frame/frame.js';
import type { TensorDType } from '../../frame/tensor.js';
import type { InputSpec } from '../../model/signature.js';

/** The tensor element types of the Open Inference Protocol. */
export const V2_DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES',
] as const;
export type V2Datatype = (typeof V2_DATATYPES)[number];

export function isV2Datatype(x: unknown): x is V2Datatype {
  return typeof x === 'string' && (V2_DATATYPES as readonly string[]).includes(x);
}

const NUMERIC: Partial<Record<V2Datatype, NumericDType>> = {
  UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64',
  INT8: 'int8', INT16: 'int16', INT32: 'int32', INT64: 'int64',
  // FP16 has no typed array in Node 20: its values are held as float32, which holds each exactly.
  FP16: 'float32', FP32: 'float32', FP64: 'float64',
};

/** The numpy dtype a V2 numeric datatype decodes to, as MLServer's NumpyCodec maps it. */
export function numericDtypeOf(datatype: V2Datatype): NumericDType | undefined {
  return NUMERIC[datatype];
}

/** Bytes per element in the binary tensor data extension (BYTES is length-prefixed instead). */
export function elementBytes(datatype: V2Datatype): number {
  switch (datatype) {
    case 'BOOL': case 'UINT8': case 'INT8': return 1;
    case 'UINT16': case 'INT16': case 'FP16': return 2;
    case 'UINT32': case 'INT32': case 'FP32': return 4;
    case 'UINT64': case 'INT64': case 'FP64': return 8;
    case 'BYTES': return 0;
  }
}

/** The V2 datatype of an output tensor or column. */
export function datatypeOf(dtype: TensorDType): V2Datatype {
  return dtype === 'string' || dtype === 'object' ? 'BYTES' : TENSOR_TYPES[dtype];
}

const TENSOR_TYPES: Record<Exclude<TensorDType, 'string' | 'object'> | 'float16', V2Datatype> = {
  bool: 'BOOL', float16: 'FP16', float32: 'FP32', float64: 'FP64',
  int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64',
};

const COLUMN_TYPES: Record<string, [V2Datatype, string]> = {
  boolean: ['BOOL', 'np'], integer: ['INT32', 'np'], long: ['INT64', 'np'], float: ['FP32', 'np'], double: ['FP64', 'np'],
  string: ['BYTES', 'str'], binary: ['BYTES', 'base64'], datetime: ['BYTES', 'datetime'],
};

/**
 * How MLServer's MLflow runtime describes one signature input in model metadata: the datatype,
 * shape and per-input content type (a column is [-1, 1]; arrays, objects and maps are JSON).
 */
export function describeSpec(spec: InputSpec): { datatype: V2Datatype; shape: number[]; contentType: string } {
  if (spec.kind === 'tensorspec') return { datatype: (TENSOR_TYPES as Record<string, V2Datatype>)[spec.dtype] ?? 'BYTES', shape: [...spec.shape], contentType: 'np' };
  const known = typeof spec.type === 'string' ? COLUMN_TYPES[spec.type] : undefined;
  if (known) return { datatype: known[0], shape: [-1, 1], contentType: known[1] };
  return { datatype: 'BYTES', shape: [-1, 1], contentType: 'pd_json' };
}

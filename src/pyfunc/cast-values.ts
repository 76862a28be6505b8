import { MlflowError, type ErrorCode } from '../errors.js';
import { arrayTypeOf, isNumericDType, type NumericArray, type NumericDType } from '../frame/frame.js';
import { makeTensor, type Tensor, type TensorDType } from '../frame/tensor.js';

const INT_RANGE: Partial<Record<NumericDType, [number, number]>> = {
  int64: [-(2 ** 53), 2 ** 53],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  int8: [-128, 127],
  uint64: [0, 2 ** 53],
  uint32: [0, 2 ** 32 - 1],
  uint16: [0, 2 ** 16 - 1],
  uint8: [0, 255],
};

/** Python's float() grammar (without digit underscores). */
const PY_FLOAT = /^\s*[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|nan|inf|infinity)\s*$/i;
const PY_INT = /^\s*[+-]?\d+\s*$/;

/** A numeric array as another numeric dtype, for upcasts known to keep every value. */
export function upcastNumbers(values: NumericArray, dtype: NumericDType): NumericArray {
  const out = new (arrayTypeOf(dtype))(values.length);
  out.set(values);
  return out;
}

/** The tensor dtype for a numpy dtype name as TensorSpec and DataType write it. */
export function tensorDtypeOf(numpyName: string): TensorDType | undefined {
  if (isNumericDType(numpyName)) return numpyName;
  if (numpyName === 'bool') return 'bool';
  if (numpyName === 'str') return 'string';
  if (numpyName === 'object') return 'object';
  return undefined;
}

/** The numpy name of a tensor's dtype, as TensorSpec writes it. */
export function numpyNameOf(dtype: TensorDType): string {
  return dtype === 'string' ? 'str' : dtype;
}

/**
 * Converts plain values to `dtype` as np.array(values, dtype=...) would, refusing what would
 * change a value: a non-integral or missing number for an integer dtype, a string that is not
 * a number for a numeric dtype. Errors carry `code` and never quote the value.
 */
export function castValues(values: ArrayLike<unknown>, dtype: TensorDType, code: ErrorCode): Tensor['data'] {
  const n = values.length;
  if (dtype === 'object') return Array.from(values);
  if (dtype === 'string') return Array.from(values, (v) => (typeof v === 'string' ? v : pyStr(v, code)));
  if (dtype === 'bool') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = toBool(values[i], code) ? 1 : 0;
    return out;
  }
  const out = new (arrayTypeOf(dtype))(n);
  const range = INT_RANGE[dtype];
  for (let i = 0; i < n; i++) out[i] = range ? toInt(values[i], dtype, range, code) : toFloat(values[i], code);
  return out;
}

export function castToTensor(values: ArrayLike<unknown>, dtype: TensorDType, shape: number[], code: ErrorCode): Tensor {
  return makeTensor({ dtype, shape, data: castValues(values, dtype, code) } as Omit<Tensor, 'kind'>);
}

function toFloat(v: unknown, code: ErrorCode): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'string') {
    if (!PY_FLOAT.test(v)) throw new MlflowError('could not convert string to float', code);
    const t = v.trim().toLowerCase().replace(/^\+/, '');
    if (t.endsWith('nan')) return NaN;
    if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
    return Number(t);
  }
  throw new MlflowError(`float() argument must be a string or a real number, not '${typeName(v)}'`, code);
}

function toInt(v: unknown, dtype: NumericDType, [lo, hi]: [number, number], code: ErrorCode): number {
  let x: number;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'boolean') x = v ? 1 : 0;
  else if (typeof v === 'string' && PY_INT.test(v)) {
    x = Number(v.trim());
    // Python's int() is exact; a JS number is not beyond 2^53, so such a string is refused.
    if (!Number.isSafeInteger(x)) throw new MlflowError(`the integer ${v.trim()} is beyond 2^53, which mlflow-ts cannot represent exactly`, code);
  }
  else if (typeof v === 'string') throw new MlflowError('invalid literal for int() with base 10', code);
  else if (v === null || v === undefined) throw new MlflowError('cannot convert a missing value (None/NaN) to integer', code);
  else throw new MlflowError(`int() argument must be a string or a real number, not '${typeName(v)}'`, code);
  if (!Number.isInteger(x)) throw new MlflowError(`a non-integral or non-finite number cannot be converted to ${dtype} without changing it`, code);
  if (x < lo || x > hi) throw new MlflowError(`a value is out of the range of ${dtype}`, code);
  return x;
}

function toBool(v: unknown, code: ErrorCode): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  throw new MlflowError(`a ${typeName(v)} value cannot be converted to bool`, code);
}

function pyStr(v: unknown, code: ErrorCode): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  throw new MlflowError(`a ${typeName(v)} value cannot be converted to str`, code);
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'dict' : typeof v;
}

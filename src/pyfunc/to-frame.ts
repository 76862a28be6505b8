import { MlflowError } from '../errors.js';
import { Frame, isFrame, type Column, type NumericArray } from '../frame/frame.js';
import { columnFromJsonValues as columnFromValues } from '../frame/frame-from-json.js';
import { pythonTupleRepr as shapeRepr } from '../frame/python-text.js';
import { isTensor, type Tensor } from '../frame/tensor.js';

/**
 * Turns any predict input into a table the way MLflow does before enforcing a column
 * signature (pd.DataFrame(...) in `_enforce_schema`): a scalar is one row of column 0, a 1-D
 * tensor one column 0, a 2-D tensor columns 0..n-1, named tensors and a dict of lists columns
 * by name, a dict of scalars one row, a list of records one row per record.
 * Positional column names are the strings '0', '1', ...
 */
export function inputToFrame(input: unknown): Frame {
  if (isFrame(input)) return input;
  if (isTensor(input)) return tensorToFrame(input);
  if (isScalar(input)) return new Frame([columnFromValues('0', [input])]);
  if (Array.isArray(input)) return listToFrame(input);
  if (isPlainObject(input)) return recordToFrame(input);
  throw new MlflowError(`Expected input to be DataFrame. Found: ${inputTypeName(input)}`, 'INVALID_PARAMETER_VALUE');
}

function tensorToFrame(t: Tensor): Frame {
  if (t.shape.length === 0) return new Frame([columnFromTensorSlice('0', t, 0, 1, 1)]);
  if (t.shape.length === 1) return new Frame([columnFromTensorSlice('0', t, 0, 1, t.shape[0])]);
  if (t.shape.length === 2) {
    const [rows, cols] = t.shape;
    const columns: Column[] = [];
    for (let c = 0; c < cols; c++) columns.push(columnFromTensorSlice(String(c), t, c, cols, rows));
    return new Frame(columns, rows);
  }
  throw new MlflowError(`Must pass 2-d input. shape=${shapeRepr(t.shape)}`, 'INVALID_PARAMETER_VALUE');
}

/** A column made of every `stride`-th value of a tensor from `start`, `count` values. */
function columnFromTensorSlice(name: string, t: Tensor, start: number, stride: number, count: number): Column {
  if (t.dtype === 'bool') {
    const values: boolean[] = [];
    for (let i = 0; i < count; i++) values.push(t.data[start + i * stride] !== 0);
    return { name, data: { kind: 'bool', values } };
  }
  if (t.dtype === 'string' || t.dtype === 'object') {
    const values: unknown[] = [];
    for (let i = 0; i < count; i++) values.push(t.data[start + i * stride]);
    return columnFromValues(name, values);
  }
  const ArrayType = t.data.constructor as new (n: number) => NumericArray;
  const values = new ArrayType(count);
  for (let i = 0; i < count; i++) values[i] = (t.data as NumericArray)[start + i * stride];
  return { name, data: { kind: 'number', dtype: t.dtype, values } };
}

function listToFrame(list: unknown[]): Frame {
  if (list.length > 0 && list.every(isPlainObject)) {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const rec of list as Record<string, unknown>[]) {
      for (const k of Object.keys(rec)) {
        if (!seen.has(k)) {
          seen.add(k);
          names.push(k);
        }
      }
    }
    return new Frame(
      names.map((n) => columnFromValues(n, (list as Record<string, unknown>[]).map((r) => (Object.hasOwn(r, n) ? r[n] : null)))),
      list.length,
    );
  }
  if (list.length > 0 && list.every(Array.isArray)) {
    let width = 0;
    for (const r of list as unknown[][]) width = Math.max(width, r.length);
    const columns: Column[] = [];
    for (let c = 0; c < width; c++) {
      columns.push(columnFromValues(String(c), (list as unknown[][]).map((r) => (c < r.length ? r[c] : null))));
    }
    return new Frame(columns, list.length);
  }
  return new Frame([columnFromValues('0', list)], list.length);
}

function recordToFrame(rec: Record<string, unknown>): Frame {
  const entries = Object.entries(rec);
  const oneRow = entries.every(
    ([, v]) => isScalar(v) || (Array.isArray(v) && v.every((x) => typeof x === 'string')) || (isTensor(v) && v.shape.length === 0),
  );
  if (oneRow) return new Frame(entries.map(([k, v]) => columnFromValues(k, [isTensor(v) ? v.data[0] : v])), 1);
  const columns = entries.map(([k, v]) => {
    if (isTensor(v)) return v.shape.length <= 1 ? tensorToFrame(v).columns[0] : columnFromValues(k, tensorRows(v));
    if (Array.isArray(v)) return columnFromValues(k, v);
    throw new MlflowError(
      `This model contains a column-based signature, which suggests a DataFrame input. There was an error casting the input data to a DataFrame: column '${k}' is not a list`,
      'INVALID_PARAMETER_VALUE',
    );
  });
  const lengths = new Set(columns.map((c) => c.data.values.length));
  if (lengths.size > 1) {
    throw new MlflowError(
      'This model contains a column-based signature, which suggests a DataFrame input. There was an error casting the input data to a DataFrame: All arrays must be of the same length',
      'INVALID_PARAMETER_VALUE',
    );
  }
  return new Frame(columns.map((c, i) => ({ name: entries[i][0], data: c.data })));
}

/** The rows of a tensor of rank >= 2 as nested lists, as numpy's tolist() gives them. */
export function tensorRows(t: Tensor): unknown[] {
  const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const rows: unknown[] = [];
  for (let r = 0; r < t.shape[0]; r++) rows.push(nest(t, t.shape.slice(1), r * rowSize));
  return rows;
}

function nest(t: Tensor, shape: readonly number[], offset: number): unknown {
  const value = (i: number): unknown => (t.dtype === 'bool' ? t.data[i] !== 0 : t.data[i]);
  if (shape.length === 0) return value(offset);
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  for (let i = 0; i < shape[0]; i++) out.push(nest(t, shape.slice(1), offset + i * inner));
  return out;
}

export function isScalar(x: unknown): x is string | number | boolean | null {
  return x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
}

/** A JSON object (a Python dict); a Tensor, though a plain object too, is not one. */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || isTensor(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A value's type as Python would name it, for messages that must not echo the value. */
export function inputTypeName(x: unknown): string {
  if (x === null || x === undefined) return 'NoneType';
  if (isFrame(x)) return 'DataFrame';
  if (isTensor(x)) return 'ndarray';
  if (typeof x === 'string') return 'str';
  if (typeof x === 'boolean') return 'bool';
  if (typeof x === 'number') return Number.isInteger(x) ? 'int' : 'float';
  if (Array.isArray(x)) return 'list';
  if (isPlainObject(x)) return 'dict';
  return typeof x;
}

import {
  Binary, Bool, Field, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Type, Utf8, Vector,
  makeData, makeVector, vectorFromArray, type Data, type DataType,
} from 'apache-arrow';
import { MlflowError } from '../errors.js';
import { exactInt64 } from './exact-integer.js';
import { Frame, type Column, type ColumnData, type NumericDType } from './frame.js';

/** Field metadata marking a Utf8 column that holds JSON text of an object column. */
const KIND_KEY = 'mlflow_ts.kind';

/**
 * A Frame as an Arrow Table. Numeric columns share their typed array with Arrow (no copy),
 * except int64/uint64 which Arrow holds as BigInt64Array; NaN stays a value, as numpy has it.
 * Object columns (nested lists, dicts, mixed) are written as JSON text, marked in the field
 * metadata so frameFromArrow restores them.
 */
export function frameToArrow(frame: Frame): Table {
  const fields: Field[] = [];
  const children: Data[] = [];
  for (const c of frame.columns) {
    const { vector, json } = columnToVector(c.data);
    fields.push(new Field(c.name, vector.type as DataType, true, json ? new Map([[KIND_KEY, 'json']]) : undefined));
    // Builders and makeVector give one chunk; join in case a builder ever splits one.
    children.push(vector.data.length === 1 ? vector.data[0] : makeVector(vector.toArray() as Float64Array).data[0]);
  }
  const data = makeData({ type: new Struct(fields), length: frame.numRows, nullCount: 0, children });
  return new Table([new RecordBatch(new Schema(fields), data)]);
}

function columnToVector(d: ColumnData): { vector: Vector; json: boolean } {
  switch (d.kind) {
    case 'number':
      if (d.dtype === 'int64' || d.dtype === 'uint64') return { vector: int64Vector(d.values, d.dtype === 'int64'), json: false };
      return { vector: makeVector(d.values), json: false };
    case 'bool':
      return { vector: vectorFromArray(d.values, new Bool()), json: false };
    case 'string':
      return { vector: vectorFromArray(d.values, new Utf8()), json: false };
    case 'binary':
      return { vector: vectorFromArray(d.values, new Binary()), json: false };
    case 'datetime':
      return { vector: vectorFromArray(d.values.map((v) => (v === null ? null : v.getTime())), new TimestampMillisecond()), json: false };
    case 'object':
      return { vector: vectorFromArray(d.values.map((v) => (v === null ? null : JSON.stringify(v))), new Utf8()), json: true };
  }
}

/**
 * int64/uint64 values (exact integers in a Float64Array) as Arrow's 64-bit words, each written as
 * its two little-endian 32-bit halves: a BigInt per value is about a hundred times slower.
 */
function int64Vector(values: ArrayLike<number>, signed: boolean): Vector {
  const words = new Int32Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const x = Math.trunc(values[i]);
    words[2 * i] = x % 4294967296; // the Int32Array keeps the low 32 bits (two's complement)
    words[2 * i + 1] = Math.floor(x / 4294967296);
  }
  return makeVector(signed ? new BigInt64Array(words.buffer) : new BigUint64Array(words.buffer));
}

/** A Frame from an Arrow Table or RecordBatch; numeric columns without nulls are not copied. */
export function frameFromArrow(table: Table | RecordBatch): Frame {
  const columns: Column[] = table.schema.fields.map((field, i) => {
    const vector = table.getChildAt(i);
    if (!vector) throw new MlflowError(`Arrow column '${field.name}' has no data`, 'INVALID_PARAMETER_VALUE');
    return { name: field.name, data: vectorToColumn(vector, field.metadata.get(KIND_KEY) === 'json', field.name) };
  });
  return new Frame(columns, table.numRows);
}

const INT_DTYPES: Record<string, NumericDType> = {
  '8true': 'int8', '16true': 'int16', '32true': 'int32', '64true': 'int64',
  '8false': 'uint8', '16false': 'uint16', '32false': 'uint32', '64false': 'uint64',
};

/** `name`: the column's, for errors. */
function vectorToColumn(v: Vector, json: boolean, name: string): ColumnData {
  const t = v.type as DataType;
  const n = v.length;
  const hasNulls = v.nullCount > 0;
  switch (t.typeId) {
    case Type.Float: {
      const precision = (t as unknown as { precision: number }).precision;
      if (precision === 0) return withNaN(v, 'float32', Float32Array.from(v.toArray() as ArrayLike<number>));
      const values = v.toArray() as Float64Array | Float32Array;
      const dtype = values instanceof Float32Array ? 'float32' : 'float64';
      return hasNulls ? withNaN(v, dtype, values.slice()) : { kind: 'number', dtype, values };
    }
    case Type.Int: {
      const { bitWidth, isSigned } = t as unknown as { bitWidth: number; isSigned: boolean };
      const dtype = INT_DTYPES[`${bitWidth}${isSigned}`];
      const raw = v.toArray() as ArrayLike<number | bigint>;
      if (hasNulls) {
        // pandas: an integer column with missing values becomes float64 with NaN.
        return withNaN(v, 'float64', Float64Array.from(raw, Number));
      }
      if (bitWidth === 64) {
        const where = `in column '${name}'`;
        return { kind: 'number', dtype, values: Float64Array.from(raw, (x) => exactInt64(x, where)) };
      }
      return { kind: 'number', dtype, values: raw as Int32Array };
    }
    case Type.Bool:
      return { kind: 'bool', values: valuesOf(v, (x) => Boolean(x)) };
    case Type.Utf8:
    case Type.LargeUtf8:
      if (json) return { kind: 'object', values: valuesOf(v, (x) => JSON.parse(String(x)) as unknown) };
      return { kind: 'string', values: valuesOf(v, String) };
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return { kind: 'binary', values: valuesOf(v, (x) => x as Uint8Array) };
    case Type.Timestamp:
    case Type.Date:
      return { kind: 'datetime', values: valuesOf(v, (x) => new Date(Number(x))) };
    case Type.Dictionary: {
      const values = valuesOf(v, (x) => x);
      return typeof values.find((x) => x !== null) === 'string'
        ? { kind: 'string', values: values as (string | null)[] }
        : { kind: 'object', values: values.map(toPlain) };
    }
    default:
      return { kind: 'object', values: Array.from({ length: n }, (_, i) => toPlain(v.get(i))) };
  }
}

function valuesOf<T>(v: Vector, convert: (x: unknown) => T): (T | null)[] {
  const out = new Array<T | null>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v.get(i) as unknown;
    out[i] = x === null || x === undefined ? null : convert(x);
  }
  return out;
}

function withNaN(v: Vector, dtype: 'float64' | 'float32', values: Float64Array | Float32Array): ColumnData {
  for (let i = 0; i < v.length; i++) if (!v.isValid(i)) values[i] = NaN;
  return { kind: 'number', dtype, values };
}

/** Arrow's nested values (Vectors, struct rows, bigints) as plain JSON values. */
function toPlain(x: unknown): unknown {
  if (x === null || x === undefined) return null;
  if (typeof x === 'bigint') return Number(x);
  if (x instanceof Vector) return Array.from(x as Iterable<unknown>, toPlain);
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>);
  if (x instanceof Date) return x;
  if (typeof x === 'object') {
    const obj = typeof (x as { toJSON?: unknown }).toJSON === 'function' ? (x as { toJSON(): unknown }).toJSON() : x;
    if (obj instanceof Map) return Object.fromEntries([...obj].map(([k, val]) => [String(k), toPlain(val)]));
    return Object.fromEntries(Object.entries(obj as object).map(([k, val]) => [k, toPlain(val)]));
  }
  return x;
}

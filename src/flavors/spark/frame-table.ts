import { MlflowError } from '../../errors.js';
import { Frame, type Column, type ColumnData, type NumericDType } from '../../frame/frame.js';
import { dense, sparse, toArray, type Vec } from './linalg.js';
import { Table, type NumericType, type SparkColumn } from './table.js';

const SPARK_TYPE: Record<NumericDType, NumericType> = {
  float64: 'double', float32: 'float',
  int64: 'long', uint64: 'long', uint32: 'long',
  int32: 'int', uint16: 'int', int16: 'short', uint8: 'short', int8: 'byte',
};

/**
 * The DataFrame Spark builds from a pandas DataFrame: int64 -> long, float64 -> double, object
 * strings -> string, bool -> boolean; a column of number lists (or Spark vector dicts) becomes a
 * vector column, as MLflow's wrapper makes of an array<double> features column. Columns of
 * other types (dates, bytes) are left out: no supported stage reads them.
 */
export function tableFromFrame(frame: Frame): Table {
  const cols = new Map<string, SparkColumn>();
  for (const c of frame.columns) {
    const col = sparkColumn(c);
    if (col) cols.set(c.name, col);
  }
  return new Table(cols, frame.numRows);
}

function sparkColumn(c: Column): SparkColumn | null {
  const d = c.data;
  switch (d.kind) {
    case 'number':
      return { kind: 'numeric', type: SPARK_TYPE[d.dtype], values: d.values instanceof Float64Array ? d.values : Float64Array.from(d.values) };
    case 'string':
      return { kind: 'string', values: d.values };
    case 'bool':
      return { kind: 'boolean', values: d.values };
    case 'object':
      return objectColumn(c.name, d.values);
    default:
      return null;
  }
}

function objectColumn(name: string, values: unknown[]): SparkColumn | null {
  const first = values.find((v) => v !== null && v !== undefined);
  if (first === undefined) return { kind: 'string', values: values.map(() => null) };
  if (Array.isArray(first) && (first.length === 0 || typeof first[0] === 'string')) {
    return { kind: 'strings', values: values.map((v, i) => (v == null ? null : stringList(v, name, i))) };
  }
  if (Array.isArray(first) || (typeof first === 'object' && 'values' in first)) {
    return { kind: 'vector', values: values.map((v, i) => (v == null ? null : vectorOf(v, name, i))) };
  }
  if (typeof first === 'string') return { kind: 'string', values: values.map((v) => (v == null ? null : String(v))) };
  return null;
}

function stringList(v: unknown, name: string, row: number): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    throw new MlflowError(`Column '${name}' row ${row}: expected a list of strings`, 'BAD_REQUEST');
  }
  return v as string[];
}

function vectorOf(v: unknown, name: string, row: number): Vec {
  if (Array.isArray(v)) {
    if (!v.every((x) => typeof x === 'number' || x === null)) throw new MlflowError(`Column '${name}' row ${row}: a vector must hold numbers`, 'BAD_REQUEST');
    return dense((v as (number | null)[]).map((x) => (x === null ? NaN : x)));
  }
  const o = v as { type?: unknown; size?: unknown; indices?: unknown; values?: unknown };
  if (Array.isArray(o.values) && (o.type === 1 || (o.type === undefined && o.indices == null))) return dense(o.values as number[]);
  if (Array.isArray(o.values) && Array.isArray(o.indices) && typeof o.size === 'number') return sparse(o.size, o.indices as number[], o.values as number[]);
  throw new MlflowError(`Column '${name}' row ${row}: not a vector (a list of numbers or {size, indices, values})`, 'BAD_REQUEST');
}

/** The table as a Frame: vectors as arrays of numbers, array<string> as lists. */
export function frameFromTable(t: Table): Frame {
  const cols: Column[] = [];
  for (const [name, c] of t.columns) cols.push({ name, data: columnData(c) });
  return new Frame(cols, t.numRows);
}

function columnData(c: SparkColumn): ColumnData {
  switch (c.kind) {
    case 'numeric':
      return numericData(c.type, c.values);
    case 'string':
      return { kind: 'string', values: [...c.values] };
    case 'boolean':
      return { kind: 'bool', values: [...c.values] };
    case 'vector':
      return { kind: 'object', values: c.values.map((v) => (v === null ? null : Array.from(toArray(v)))) };
    case 'strings':
      return { kind: 'object', values: c.values.map((v) => (v === null ? null : [...v])) };
  }
}

function numericData(type: NumericType, values: Float64Array): ColumnData {
  if (type === 'double') return { kind: 'number', dtype: 'float64', values };
  if (type === 'float') return { kind: 'number', dtype: 'float32', values: Float32Array.from(values) };
  if (values.some((x) => Number.isNaN(x))) return { kind: 'number', dtype: 'float64', values };
  if (type === 'long') return { kind: 'number', dtype: 'int64', values };
  return { kind: 'number', dtype: 'int32', values: Int32Array.from(values) };
}

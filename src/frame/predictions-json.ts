import { pyJsonDumps } from '../formats/python-json.js';
import { isFrame, type Column, type Frame } from './frame.js';
import { floatRepr } from './python-text.js';
import { isTensor, type Tensor } from './tensor.js';

/**
 * The body MLflow's scoring server answers with: `{"predictions": ...}` written by Python's
 * json.dumps with MLflow's NumpyEncoder. A Frame becomes a list of records (to_dict("records")),
 * a Tensor nested lists (tolist()), a record of Tensors a dict of nested lists, and anything else
 * is written as the JSON it is. Floats are written as Python writes them (3.0, 1e-05, NaN).
 */
export function predictionsToJson(output: unknown): string {
  const text = pythonJsonOf(output);
  return `{"predictions": ${text === undefined ? valueToJson(output) : text.toString()}}`;
}

/**
 * The text Python's json.dumps wrote for a list or dict a Python model answered, kept on it by
 * the bridge where JSON.parse loses what that text says (1.0 reads as 1, NaN is not JSON).
 */
export const PYTHON_JSON: unique symbol = Symbol('mlflow-ts.pythonJson');

export function pythonJsonOf(value: unknown): Buffer | undefined {
  return typeof value === 'object' && value !== null ? (value as { [PYTHON_JSON]?: Buffer })[PYTHON_JSON] : undefined;
}

/** What a `{"predictions": [...]}` body starts and ends with, around its list items. */
export const PREDICTION_LIST_PREFIX = '{"predictions": [';
export const PREDICTION_LIST_SUFFIX = ']}';

/**
 * The items of a `{"predictions": [...]}` body as text, to join the bodies of several batches of
 * rows into one; undefined when the predictions are not a list.
 */
export function predictionListItems(json: string): string | undefined {
  if (!json.startsWith(PREDICTION_LIST_PREFIX) || !json.endsWith(PREDICTION_LIST_SUFFIX)) return undefined;
  return json.slice(PREDICTION_LIST_PREFIX.length, -PREDICTION_LIST_SUFFIX.length);
}

/** The unwrapped body MLflow writes for a unified-LLM request. */
export function unwrappedPredictionsToJson(output: unknown): string {
  return pythonJsonOf(output)?.toString() ?? valueToJson(output);
}

/** A prediction output (Frame, Tensor, typed array, or JSON) as Python's json.dumps writes it. */
export function valueToJson(value: unknown): string {
  if (isFrame(value)) return frameToJsonRecords(value);
  if (isTensor(value)) return tensorToJson(value);
  if (value instanceof Float64Array || value instanceof Float32Array) return floatsToJson(value, 0, value.length);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return `[${Array.from(value as unknown as ArrayLike<number | bigint>, String).join(', ')}]`;
  }
  if (Array.isArray(value)) {
    if (value.some(needsConversion)) return `[${value.map(valueToJson).join(', ')}]`;
    return pyJsonDumps(value);
  }
  if (value instanceof Date) return pyJsonDumps(isoformat(value));
  if (typeof value === 'object' && value !== null && Object.values(value).some(needsConversion)) {
    const parts = Object.entries(value).map(([k, v]) => `${pyJsonDumps(k)}: ${valueToJson(v)}`);
    return `{${parts.join(', ')}}`;
  }
  return pyJsonDumps(value);
}

function needsConversion(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (isFrame(v) || isTensor(v) || ArrayBuffer.isView(v) || v instanceof Date ||
    (Array.isArray(v) ? v.some(needsConversion) : Object.values(v).some(needsConversion)));
}

function floatsToJson(data: ArrayLike<number>, start: number, end: number): string {
  const parts = new Array<string>(end - start);
  for (let i = start; i < end; i++) parts[i - start] = floatJson(data[i]);
  return `[${parts.join(', ')}]`;
}

function floatJson(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return floatRepr(x);
}

function intJson(x: number): string {
  if (Number.isSafeInteger(x)) return String(x);
  // An int column should not hold NaN or a fraction; if one does, write it rather than fail.
  return Number.isInteger(x) ? BigInt(x).toString() : floatJson(x);
}

/** A Tensor as ndarray.tolist() then json.dumps writes it. */
export function tensorToJson(t: Tensor): string {
  const write = scalarWriter(t);
  if (t.shape.length === 0) return write(0);
  const strides: number[] = [];
  let s = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= t.shape[d];
  }
  return nestedJson(t, write, strides, 0, 0, joinsInts(t));
}

/**
 * Whether the tensor holds integers in an integer typed array, whose own join writes each value
 * as intJson does (String of a safe integer), in one native call: class labels, mostly, where
 * a closure call and a string per value cost about as much as the rest of a 1000-row answer.
 */
function joinsInts(t: Tensor): boolean {
  // a bool tensor's Uint8Array is written true/false; float and object data are no integer typed array
  if (t.dtype === 'bool') return false;
  const d = t.data;
  return d instanceof Int32Array || d instanceof Int16Array || d instanceof Int8Array || d instanceof Uint32Array || d instanceof Uint16Array || d instanceof Uint8Array;
}

/** The nested list of `t` from dimension `dim` at `offset` (a plain function: no closure per answer). */
function nestedJson(t: Tensor, write: (i: number) => string, strides: number[], dim: number, offset: number, ints: boolean): string {
  const n = t.shape[dim];
  if (dim === t.shape.length - 1) {
    if (t.dtype === 'float64' || t.dtype === 'float32') return floatsToJson(t.data as ArrayLike<number>, offset, offset + n);
    if (ints) {
      const d = t.data as Int32Array;
      return `[${(n === d.length ? d : d.subarray(offset, offset + n)).join(', ')}]`;
    }
    const parts = new Array<string>(n);
    for (let i = 0; i < n; i++) parts[i] = write(offset + i);
    return `[${parts.join(', ')}]`;
  }
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) parts[i] = nestedJson(t, write, strides, dim + 1, offset + i * strides[dim], ints);
  return `[${parts.join(', ')}]`;
}

function scalarWriter(t: Tensor): (i: number) => string {
  switch (t.dtype) {
    case 'float64':
    case 'float32':
      return (i) => floatJson(t.data[i]);
    case 'bool':
      return (i) => (t.data[i] ? 'true' : 'false');
    case 'string':
    case 'object':
      return (i) => valueToJson(t.data[i]);
    default:
      return (i) => intJson(t.data[i]);
  }
}

/** A Frame as json.dumps(df.to_dict(orient="records")) writes it. */
export function frameToJsonRecords(frame: Frame): string {
  return `[${frameRowsToJson(frame).join(', ')}]`;
}

/** Each row of a Frame as the JSON text of its record. */
export function frameRowsToJson(frame: Frame): string[] {
  const keys = frame.columns.map((c) => pyJsonDumps(c.name) + ': ');
  const writers = frame.columns.map(columnWriter);
  const rows = new Array<string>(frame.numRows);
  for (let r = 0; r < frame.numRows; r++) {
    let row = '{';
    for (let c = 0; c < writers.length; c++) {
      if (c > 0) row += ', ';
      row += keys[c] + writers[c](r);
    }
    rows[r] = row + '}';
  }
  return rows;
}

function columnWriter(column: Column): (row: number) => string {
  const d = column.data;
  switch (d.kind) {
    case 'number':
      return d.dtype === 'float64' || d.dtype === 'float32' ? (r) => floatJson(d.values[r]) : (r) => intJson(d.values[r]);
    case 'bool':
      return (r) => (d.values[r] === null ? 'null' : d.values[r] ? 'true' : 'false');
    case 'string':
      return (r) => pyJsonDumps(d.values[r]);
    case 'binary':
      return (r) => {
        const v = d.values[r];
        return v === null ? 'null' : `"${encodeBytes(v)}"`;
      };
    case 'datetime':
      return (r) => {
        const v = d.values[r];
        return v === null ? '"NaT"' : pyJsonDumps(isoformat(v));
      };
    case 'object':
      return (r) => valueToJson(d.values[r]);
  }
}

/** pandas Timestamp.isoformat() of a naive UTC time: no zone, microseconds only when present. */
function isoformat(d: Date): string {
  const iso = d.toISOString();
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? iso.slice(0, 19) : `${iso.slice(0, 19)}.${String(ms * 1000).padStart(6, '0')}`;
}

/** base64.encodebytes as NumpyEncoder writes bytes: lines of 76 characters, each ending in \n (escaped in JSON). */
function encodeBytes(b: Uint8Array): string {
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < text.length; i += 76) out += text.slice(i, i + 76) + '\\n';
  return out;
}

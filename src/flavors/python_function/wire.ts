import { MlflowError } from '../../errors.js';
import { Frame, type Column, type ColumnData, type NumericArray, type NumericDType } from '../../frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../../frame/tensor.js';
import type { PredictInput, PredictOutput } from '../flavor.js';

/**
 * The framed binary protocol between Node and python/mlflow_ts_worker.py (see that file's
 * docstring): `u32 header length | u32 body length | JSON header | body`. Numeric arrays travel as
 * raw little-endian buffers in the body, referenced from the header as [offset, length].
 */
type BufRef = [offset: number, length: number];
type NonNumericDType = 'string' | 'bool' | 'object' | 'binary' | 'datetime';
type WireColumn =
  | { name: string; dtype: NumericDType; buf: BufRef }
  | { name: string; dtype: NonNumericDType; values: unknown[]; nan?: number[] };
type WireArray =
  | { type: 'ndarray'; dtype: NumericDType | 'bool'; shape: number[]; buf: BufRef }
  | { type: 'ndarray'; dtype: 'string' | 'object'; shape: number[]; values: unknown[] };
export type WireValue =
  | { type: 'frame'; rows: number; columns: WireColumn[] }
  | WireArray
  | { type: 'dict'; items: Record<string, WireArray> }
  | { type: 'json'; value: unknown };

export interface WireMessage {
  header: Record<string, unknown>;
  body: Buffer;
}

const HEAD_BYTES = 8;
const MAX_SAFE = 2 ** 53;

/** Collects a message's buffers, each starting 8-byte aligned as the Python side writes them. */
export class BodyWriter {
  readonly parts: Uint8Array[] = [];
  size = 0;

  add(bytes: Uint8Array): BufRef {
    const ref: BufRef = [this.size, bytes.byteLength];
    this.parts.push(bytes);
    this.size += bytes.byteLength;
    const pad = (8 - (this.size % 8)) % 8;
    if (pad > 0) {
      this.parts.push(new Uint8Array(pad));
      this.size += pad;
    }
    return ref;
  }
}

export function encodeMessage(header: Record<string, unknown>, body?: BodyWriter): Buffer {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(HEAD_BYTES);
  prefix.writeUInt32LE(head.byteLength, 0);
  prefix.writeUInt32LE(body?.size ?? 0, 4);
  return Buffer.concat([prefix, head, ...(body?.parts ?? [])]);
}

/**
 * Splits a byte stream into messages; feed it every chunk read from the worker. Chunks are kept
 * as they come and joined once a whole message is there, so a large reply costs one copy, not
 * one per chunk.
 */
export class MessageReader {
  private chunks: Buffer[] = [];
  private length = 0;
  /** Bytes the message at the head needs, once its prefix has arrived. */
  private needed = HEAD_BYTES;

  push(chunk: Buffer): WireMessage[] {
    this.chunks.push(chunk);
    this.length += chunk.byteLength;
    const out: WireMessage[] = [];
    while (this.length >= this.needed) {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
      this.chunks = [all];
      const total = HEAD_BYTES + all.readUInt32LE(0) + all.readUInt32LE(4);
      if (all.byteLength < total) {
        this.needed = total;
        break;
      }
      const headEnd = HEAD_BYTES + all.readUInt32LE(0);
      const header = JSON.parse(all.toString('utf8', HEAD_BYTES, headEnd)) as Record<string, unknown>;
      out.push({ header, body: all.subarray(headEnd, total) });
      const rest = all.subarray(total);
      this.chunks = rest.byteLength > 0 ? [rest] : [];
      this.length = rest.byteLength;
      this.needed = HEAD_BYTES;
    }
    return out;
  }
}

// ---- Node -> Python ---------------------------------------------------------------------

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** int64/uint64 live in Float64Arrays on our side; on the wire they are 8-byte integers. */
function numericBytes(dtype: NumericDType, values: NumericArray, what: string): Uint8Array {
  if (dtype !== 'int64' && dtype !== 'uint64') return bytesOf(values);
  const out = dtype === 'int64' ? new BigInt64Array(values.length) : new BigUint64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || (dtype === 'uint64' && v < 0)) {
      throw new MlflowError(`${what} holds ${v}, which is not a valid ${dtype} value`, 'INVALID_PARAMETER_VALUE');
    }
    out[i] = BigInt(v);
  }
  return bytesOf(out);
}

function encodeColumn(c: Column, body: BodyWriter): WireColumn {
  const d = c.data;
  switch (d.kind) {
    case 'number':
      return { name: c.name, dtype: d.dtype, buf: body.add(numericBytes(d.dtype, d.values, `Column '${c.name}'`)) };
    case 'binary':
      return { name: c.name, dtype: 'binary', values: d.values.map((v) => (v === null ? null : Buffer.from(v).toString('base64'))) };
    case 'datetime':
      return { name: c.name, dtype: 'datetime', values: d.values.map((v) => (v === null ? null : v.toISOString())) };
    case 'string':
    case 'bool':
      return { name: c.name, dtype: d.kind, values: d.values };
    case 'object': {
      // JSON has no NaN: the rows holding a float NaN (pandas' missing value, not None) are listed.
      const nan: number[] = [];
      d.values.forEach((v, i) => typeof v === 'number' && Number.isNaN(v) && nan.push(i));
      return nan.length === 0 ? { name: c.name, dtype: 'object', values: d.values } : { name: c.name, dtype: 'object', values: d.values, nan };
    }
  }
}

function encodeTensor(t: Tensor, body: BodyWriter, what: string): WireArray {
  const shape = [...t.shape];
  if (t.dtype === 'string' || t.dtype === 'object') return { type: 'ndarray', dtype: t.dtype, shape, values: t.data };
  if (t.dtype === 'bool') return { type: 'ndarray', dtype: 'bool', shape, buf: body.add(bytesOf(t.data)) };
  // TypeScript does not narrow `data` through a dtype union discriminant this wide.
  return { type: 'ndarray', dtype: t.dtype, shape, buf: body.add(numericBytes(t.dtype, t.data as NumericArray, what)) };
}

function isTensorRecord(x: unknown): x is Record<string, Tensor> {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || isTensor(x) || x instanceof Frame) return false;
  const values = Object.values(x);
  return values.length > 0 && values.every(isTensor);
}

export function encodeValue(x: PredictInput, body: BodyWriter): WireValue {
  if (x instanceof Frame) return { type: 'frame', rows: x.numRows, columns: x.columns.map((c) => encodeColumn(c, body)) };
  if (isTensor(x)) return encodeTensor(x, body, 'The input tensor');
  if (isTensorRecord(x)) {
    const items: Record<string, WireArray> = {};
    for (const [k, t] of Object.entries(x)) items[k] = encodeTensor(t, body, `Input tensor '${k}'`);
    return { type: 'dict', items };
  }
  return { type: 'json', value: x };
}

// ---- Python -> Node ---------------------------------------------------------------------

function sliceBuffer(body: Buffer, [off, len]: BufRef): ArrayBuffer {
  if (off < 0 || len < 0 || off + len > body.byteLength) {
    throw new MlflowError(`The Python worker sent a buffer [${off}, ${len}] outside its ${body.byteLength}-byte message`);
  }
  // A copy: typed arrays need aligned offsets, which pooled Node buffers do not promise.
  const out = new ArrayBuffer(len);
  new Uint8Array(out).set(body.subarray(off, off + len));
  return out;
}

function decodeNumeric(dtype: NumericDType, bytes: ArrayBuffer): NumericArray {
  switch (dtype) {
    case 'float64': return new Float64Array(bytes);
    case 'float32': return new Float32Array(bytes);
    case 'int32': return new Int32Array(bytes);
    case 'int16': return new Int16Array(bytes);
    case 'int8': return new Int8Array(bytes);
    case 'uint32': return new Uint32Array(bytes);
    case 'uint16': return new Uint16Array(bytes);
    case 'uint8': return new Uint8Array(bytes);
    case 'int64':
    case 'uint64': {
      const wide = dtype === 'int64' ? new BigInt64Array(bytes) : new BigUint64Array(bytes);
      const out = new Float64Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        const v = Number(wide[i]);
        if (Math.abs(v) > MAX_SAFE) {
          throw new MlflowError(`The model returned the ${dtype} value ${wide[i]}, beyond what a JS number holds exactly`);
        }
        out[i] = v;
      }
      return out;
    }
  }
}

function decodeColumn(c: WireColumn, body: Buffer): Column {
  let data: ColumnData;
  if ('buf' in c) data = { kind: 'number', dtype: c.dtype, values: decodeNumeric(c.dtype, sliceBuffer(body, c.buf)) };
  else if (c.dtype === 'string') data = { kind: 'string', values: c.values as (string | null)[] };
  else if (c.dtype === 'bool') data = { kind: 'bool', values: c.values as (boolean | null)[] };
  else if (c.dtype === 'datetime') data = { kind: 'datetime', values: c.values.map((v) => (v === null ? null : new Date(v as string))) };
  else data = { kind: 'object', values: c.values };
  return { name: c.name, data };
}

function decodeArray(a: WireArray, body: Buffer): Tensor {
  if ('values' in a) return makeTensor({ dtype: a.dtype, shape: a.shape, data: a.values });
  if (a.dtype === 'bool') return makeTensor({ dtype: 'bool', shape: a.shape, data: new Uint8Array(sliceBuffer(body, a.buf)) });
  return makeTensor({ dtype: a.dtype, shape: a.shape, data: decodeNumeric(a.dtype, sliceBuffer(body, a.buf)) });
}

export function decodeValue(v: WireValue, body: Buffer): PredictOutput {
  switch (v.type) {
    case 'frame': return new Frame(v.columns.map((c) => decodeColumn(c, body)), v.rows);
    case 'ndarray': return decodeArray(v, body);
    case 'dict': {
      const out: Record<string, Tensor> = {};
      for (const [k, a] of Object.entries(v.items)) out[k] = decodeArray(a, body);
      return out;
    }
    case 'json': return v.value;
  }
}

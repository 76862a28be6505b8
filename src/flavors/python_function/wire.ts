import { MlflowError } from '../../errors.js';
import { Frame, type Column, type ColumnData, type NumericArray, type NumericDType } from '../../frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../../frame/tensor.js';
import { PYTHON_JSON } from '../../frame/predictions-json.js';
import type { PredictInput, PredictOutput } from '../flavor.js';
import { Turns } from '../../frame/turns.js';
import { JoinedLists, lazyList } from '../../frame/lazy-list.js';
import { utf8Strings } from '../../frame/utf8-strings.js';
import { stringifyInTurns } from './turns.js';

/**
 * The framed binary protocol between Node and python/mlflow_ts_worker.py (see that file's
 * docstring): `u32 header length | u32 body length | JSON header | body`. Numeric arrays travel as
 * raw little-endian buffers in the body, referenced from the header as [offset, length]. The
 * worker pads its header so that its body, and so each buffer, starts 8-byte aligned in the
 * message. Other values are JSON: in the header, or, in a long reply, in the body: a list of
 * strings as their UTF-8 bytes and lengths, other lists as `pieces`, each the JSON list of the
 * next values, so that they are parsed a piece at a time; a JSON reply's
 * long lists (itself, or lists inside its objects and arrays) come out of it that way, each with
 * the path where it goes back.
 */
type BufRef = [offset: number, length: number];
type NonNumericDType = 'string' | 'bool' | 'object' | 'binary' | 'datetime';
/** JSON values: a list in the header, or (replies) in the body: the pieces of the list, or a list of strings as bytes and lengths. */
type WireValues = { values: unknown[] } | { pieces: BufRef[] } | { strings: BufRef; lengths: BufRef };
/** A long list the worker took out of a JSON reply, and where it goes back. */
type LongList = { at: (string | number)[] } & WireValues;
type WireColumn =
  | { name: string; dtype: NumericDType; buf: BufRef }
  | ({ name: string; dtype: NonNumericDType; nan?: number[] } & WireValues);
type WireArray =
  | { type: 'ndarray'; dtype: NumericDType | 'bool'; shape: number[]; buf: BufRef }
  | ({ type: 'ndarray'; dtype: 'string' | 'object'; shape: number[] } & WireValues);
export type WireValue =
  | { type: 'frame'; rows: number; columns: WireColumn[] }
  | WireArray
  | { type: 'dict'; items: Record<string, WireArray> }
  /** `lists`: the long lists the worker took out of `value` (null in their place), with their paths in it. */
  | { type: 'json'; value: unknown; lists?: LongList[]; text?: BufRef };

export interface WireMessage {
  header: Record<string, unknown>;
  body: Buffer;
}

const HEAD_BYTES = 8;
const MAX_SAFE = 2 ** 53;
/** Values converted (64-bit integers) or decoded (strings) between two looks at the clock (Turns.pass). */
const CONVERT_SLICE = 8192;

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

/** Header text gathered before it becomes one Buffer. */
const TEXT_PART = 256 * 1024;

/**
 * A message as the buffers to write, in order. A large header (millions of strings or records)
 * is written a slice at a time with event-loop turns between (stringifyInTurns): the same bytes
 * as JSON.stringify, without holding the event loop for the whole input.
 */
export async function encodeMessage(header: Record<string, unknown>, body?: BodyWriter): Promise<Uint8Array[]> {
  const head: Buffer[] = [];
  let headBytes = 0;
  let text = '';
  const flush = (): void => {
    const b = Buffer.from(text, 'utf8');
    head.push(b);
    headBytes += b.byteLength;
    text = '';
  };
  await stringifyInTurns(header, (piece) => {
    text += piece;
    if (text.length >= TEXT_PART) flush();
  });
  if (text) flush();
  const prefix = Buffer.alloc(HEAD_BYTES);
  prefix.writeUInt32LE(headBytes, 0);
  prefix.writeUInt32LE(body?.size ?? 0, 4);
  return [prefix, ...head, ...(body?.parts ?? [])];
}

/**
 * Splits a byte stream into messages; feed it every chunk read from the worker. Once a message's
 * prefix has come, the message gets a buffer of its own and each chunk is copied into it as it
 * comes: one copy in all, no large copy at the end, and its own memory, so the body's aligned
 * buffers are read in place (decodeValue).
 */
export class MessageReader {
  private readonly prefix = Buffer.alloc(HEAD_BYTES);
  private prefixGot = 0;
  /** The message after its prefix (header, then body), while it arrives. */
  private message: Buffer | undefined;
  private got = 0;

  push(chunk: Buffer): WireMessage[] {
    const out: WireMessage[] = [];
    let at = 0;
    while (at < chunk.byteLength) {
      if (!this.message) {
        const n = Math.min(HEAD_BYTES - this.prefixGot, chunk.byteLength - at);
        chunk.copy(this.prefix, this.prefixGot, at, at + n);
        this.prefixGot += n;
        at += n;
        if (this.prefixGot < HEAD_BYTES) break;
        this.message = Buffer.allocUnsafeSlow(this.prefix.readUInt32LE(0) + this.prefix.readUInt32LE(4));
        this.got = 0;
      }
      const n = Math.min(this.message.byteLength - this.got, chunk.byteLength - at);
      chunk.copy(this.message, this.got, at, at + n);
      this.got += n;
      at += n;
      if (this.got < this.message.byteLength) break;
      const headLength = this.prefix.readUInt32LE(0);
      const header = JSON.parse(this.message.toString('utf8', 0, headLength)) as Record<string, unknown>;
      out.push({ header, body: this.message.subarray(headLength) });
      this.message = undefined;
      this.prefixGot = 0;
    }
    return out;
  }
}

// ---- Node -> Python ---------------------------------------------------------------------

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** int64/uint64 live in Float64Arrays on our side; on the wire they are 8-byte integers, converted a slice per turn. */
async function numericBytes(dtype: NumericDType, values: NumericArray, what: string, turns: Turns): Promise<Uint8Array> {
  if (dtype !== 'int64' && dtype !== 'uint64') return bytesOf(values);
  const out = dtype === 'int64' ? new BigInt64Array(values.length) : new BigUint64Array(values.length);
  for (let start = 0; start < values.length; start += CONVERT_SLICE) {
    const end = Math.min(values.length, start + CONVERT_SLICE);
    for (let i = start; i < end; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || (dtype === 'uint64' && v < 0)) {
        throw new MlflowError(`${what} holds ${v}, which is not a valid ${dtype} value`, 'INVALID_PARAMETER_VALUE');
      }
      out[i] = BigInt(v);
    }
    await turns.pass();
  }
  return bytesOf(out);
}

async function encodeColumn(c: Column, body: BodyWriter, turns: Turns): Promise<WireColumn> {
  const d = c.data;
  switch (d.kind) {
    case 'number':
      return { name: c.name, dtype: d.dtype, buf: body.add(await numericBytes(d.dtype, d.values, `Column '${c.name}'`, turns)) };
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

async function encodeTensor(t: Tensor, body: BodyWriter, what: string, turns: Turns): Promise<WireArray> {
  const shape = [...t.shape];
  if (t.dtype === 'string' || t.dtype === 'object') return { type: 'ndarray', dtype: t.dtype, shape, values: t.data };
  if (t.dtype === 'bool') return { type: 'ndarray', dtype: 'bool', shape, buf: body.add(bytesOf(t.data)) };
  // TypeScript does not narrow `data` through a dtype union discriminant this wide.
  return { type: 'ndarray', dtype: t.dtype, shape, buf: body.add(await numericBytes(t.dtype, t.data as NumericArray, what, turns)) };
}

function isTensorRecord(x: unknown): x is Record<string, Tensor> {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || isTensor(x) || x instanceof Frame) return false;
  const values = Object.values(x);
  return values.length > 0 && values.every(isTensor);
}

/**
 * The model input as the worker reads it: numeric data into `body`, the rest as JSON for the
 * header (which encodeMessage writes in turns). 64-bit integers are converted with turns between slices.
 */
export async function encodeValue(x: PredictInput, body: BodyWriter): Promise<WireValue> {
  const turns = new Turns();
  if (x instanceof Frame) {
    const columns: WireColumn[] = [];
    for (const c of x.columns) columns.push(await encodeColumn(c, body, turns));
    return { type: 'frame', rows: x.numRows, columns };
  }
  if (isTensor(x)) return encodeTensor(x, body, 'The input tensor', turns);
  if (isTensorRecord(x)) {
    const items: Record<string, WireArray> = {};
    for (const [k, t] of Object.entries(x)) items[k] = await encodeTensor(t, body, `Input tensor '${k}'`, turns);
    return { type: 'dict', items };
  }
  return { type: 'json', value: x };
}

// ---- Python -> Node ---------------------------------------------------------------------

function checkedRef(body: Buffer, [off, len]: BufRef): BufRef {
  if (off < 0 || len < 0 || off + len > body.byteLength) {
    throw new MlflowError(`The Python worker sent a buffer [${off}, ${len}] outside its ${body.byteLength}-byte message`);
  }
  return [off, len];
}

type ArrayCtor<T> = { new (b: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number };

/**
 * A typed array of the body's bytes at `ref`: a view where they are aligned for the type (the
 * worker aligns them), else a copy.
 */
function arrayAt<T>(Ctor: ArrayCtor<T>, body: Buffer, ref: BufRef): T {
  const [off, len] = checkedRef(body, ref);
  const size = Ctor.BYTES_PER_ELEMENT;
  if (len % size !== 0) throw new MlflowError(`The Python worker sent a ${len}-byte buffer for ${size}-byte values`);
  const start = body.byteOffset + off;
  if (start % size === 0 && body.buffer instanceof ArrayBuffer) return new Ctor(body.buffer, start, len / size);
  const own = new ArrayBuffer(len);
  new Uint8Array(own).set(body.subarray(off, off + len));
  return new Ctor(own, 0, len / size);
}

const NUMERIC_ARRAYS: Record<Exclude<NumericDType, 'int64' | 'uint64'>, ArrayCtor<NumericArray>> = {
  float64: Float64Array, float32: Float32Array, int32: Int32Array, int16: Int16Array, int8: Int8Array,
  uint32: Uint32Array, uint16: Uint16Array, uint8: Uint8Array,
};

async function decodeNumeric(dtype: NumericDType, body: Buffer, ref: BufRef, turns: Turns): Promise<NumericArray> {
  if (dtype !== 'int64' && dtype !== 'uint64') return arrayAt(NUMERIC_ARRAYS[dtype], body, ref);
  const wide = dtype === 'int64' ? arrayAt(BigInt64Array, body, ref) : arrayAt(BigUint64Array, body, ref);
  const out = new Float64Array(wide.length);
  for (let start = 0; start < wide.length; start += CONVERT_SLICE) {
    const end = Math.min(wide.length, start + CONVERT_SLICE);
    for (let i = start; i < end; i++) {
      const v = Number(wide[i]);
      if (Math.abs(v) > MAX_SAFE) {
        throw new MlflowError(`The model returned the ${dtype} value ${wide[i]}, beyond what a JS number holds exactly`);
      }
      out[i] = v;
    }
    await turns.pass();
  }
  return out;
}

/** A reply's JSON values: the header's list, or from the body, its pieces parsed one per turn or its strings sliced out. */
async function valuesOf(v: WireValues, body: Buffer, turns: Turns): Promise<unknown[]> {
  if ('values' in v) return v.values;
  if ('strings' in v) return stringsOf(v.strings, v.lengths, body, turns);
  const pieces: unknown[][] = [];
  for (const ref of v.pieces) {
    const [off, len] = checkedRef(body, ref);
    const piece = JSON.parse(body.toString('utf8', off, off + len)) as unknown;
    if (!Array.isArray(piece)) throw new MlflowError('The Python worker sent a piece of values that is not a JSON list');
    pieces.push(piece);
    await turns.pass();
  }
  // Read from the pieces, not joined: a plain array of millions allocates its slots in one step.
  return pieces.length === 1 ? pieces[0] : lazyList(new JoinedLists(pieces));
}

/**
 * A reply's list of strings: their UTF-8 bytes one after the other at `strings`, their byte
 * lengths (u32) at `lengths`; kept as bytes, each made a string when it is read (lazy-list.ts).
 */
async function stringsOf(strings: BufRef, lengths: BufRef, body: Buffer, turns: Turns): Promise<string[]> {
  const [off, len] = checkedRef(body, strings);
  try {
    return lazyList(await utf8Strings({ bytes: body.subarray(off, off + len), lengths: arrayAt(Uint32Array, body, lengths) }, turns));
  } catch (err) {
    if (err instanceof RangeError) throw new MlflowError(`The Python worker sent string lengths beyond their ${len} bytes`);
    throw err;
  }
}

async function decodeColumn(c: WireColumn, body: Buffer, turns: Turns): Promise<Column> {
  let data: ColumnData;
  if ('buf' in c) data = { kind: 'number', dtype: c.dtype, values: await decodeNumeric(c.dtype, body, c.buf, turns) };
  else {
    const values = await valuesOf(c, body, turns);
    if (c.dtype === 'string') data = { kind: 'string', values: values as (string | null)[] };
    else if (c.dtype === 'bool') data = { kind: 'bool', values: values as (boolean | null)[] };
    else if (c.dtype === 'datetime') data = { kind: 'datetime', values: values.map((v) => (v === null ? null : new Date(v as string))) };
    else data = { kind: 'object', values };
  }
  return { name: c.name, data };
}

async function decodeArray(a: WireArray, body: Buffer, turns: Turns): Promise<Tensor> {
  if (!('buf' in a)) return makeTensor({ dtype: a.dtype, shape: a.shape, data: await valuesOf(a, body, turns) });
  if (a.dtype === 'bool') return makeTensor({ dtype: 'bool', shape: a.shape, data: arrayAt(Uint8Array, body, a.buf) });
  return makeTensor({ dtype: a.dtype, shape: a.shape, data: await decodeNumeric(a.dtype, body, a.buf, turns) });
}

/**
 * The model's output from the worker's reply. Numeric data is read in place; long lists of other
 * values are parsed a piece at a time, with event-loop turns between pieces.
 */
export async function decodeValue(v: WireValue, body: Buffer): Promise<PredictOutput> {
  const turns = new Turns();
  switch (v.type) {
    case 'frame': {
      const columns: Column[] = [];
      for (const c of v.columns) columns.push(await decodeColumn(c, body, turns));
      return new Frame(columns, v.rows);
    }
    case 'ndarray': return decodeArray(v, body, turns);
    case 'dict': {
      const out: Record<string, Tensor> = {};
      for (const [k, a] of Object.entries(v.items)) out[k] = await decodeArray(a, body, turns);
      return out;
    }
    case 'json': {
      const value = v.lists ? await withLongLists(v.value, v.lists, body, turns) : v.value;
      if (!v.text) return value as PredictOutput;
      const [off, len] = checkedRef(body, v.text);
      return withPythonJson(value, body.subarray(off, off + len));
    }
  }
}

/**
 * A JSON reply with the text json.dumps wrote for it (sent when it holds 1.0 or NaN, which
 * JSON.parse does not keep): on a list or dict, that text is what the answer writes; a lone number
 * becomes a 0-d float64 tensor, which writes as Python writes a float.
 */
function withPythonJson(value: unknown, text: Buffer): PredictOutput {
  if (typeof value === 'object' && value !== null) {
    Object.defineProperty(value, PYTHON_JSON, { value: text });
    return value as PredictOutput;
  }
  if (value !== null && typeof value !== 'number') throw new MlflowError('The Python worker sent JSON text for a reply that is not a number, list or dict');
  return makeTensor({ dtype: 'float64', shape: [], data: Float64Array.of(Number(text.toString())) });
}

/** A JSON reply's value with its long lists, parsed a piece at a time, put back where the worker took them out. */
async function withLongLists(value: unknown, lists: LongList[], body: Buffer, turns: Turns): Promise<unknown> {
  let out = value;
  for (const long of lists) {
    const { at } = long;
    const list = await valuesOf(long, body, turns);
    if (at.length === 0) {
      out = list;
      continue;
    }
    let holder: unknown = out;
    at.forEach((key, i) => {
      // Own properties only, and defined, not assigned: a key such as "__proto__" is data here.
      if (typeof holder !== 'object' || holder === null || Array.isArray(holder) !== (typeof key === 'number') || !Object.hasOwn(holder, key)) {
        throw new MlflowError(`The Python worker sent a list for [${at.map((k) => JSON.stringify(k)).join(', ')}], which is not in its reply`);
      }
      if (i < at.length - 1) holder = (holder as Record<string | number, unknown>)[key];
      else Object.defineProperty(holder, key, { value: list, writable: true, enumerable: true, configurable: true });
    });
  }
  return out;
}

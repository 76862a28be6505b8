import { MlflowError } from '../../errors.js';
import { isDType, parseDTypeCode, type DType } from '../numpy/dtype.js';
import { isNdArray, isPyGlobal, isPyInstance } from './builtins.js';
import { GrowingOutput } from './growing-output.js';
import { arrayDTypeOf, isTuple, originOf, recordCall, type Origin } from './provenance.js';
import { DEFAULT_MAX_BYTES } from './reader.js';
import type { NdArray, PyGlobal, PyInstance } from './types.js';

const PROTOCOL = 4;
/** Items per APPENDS / SETITEMS / ADDITEMS, as Python's pickler batches them. */
const BATCH = 1000;

const OP = {
  PROTO: 0x80, STOP: 0x2e, MARK: 0x28, NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89,
  BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, LONG1: 0x8a, LONG4: 0x8b, BINFLOAT: 0x47,
  SHORT_BINUNICODE: 0x8c, BINUNICODE: 0x58, BINUNICODE8: 0x8d,
  SHORT_BINBYTES: 0x43, BINBYTES: 0x42, BINBYTES8: 0x8e,
  EMPTY_TUPLE: 0x29, TUPLE1: 0x85, TUPLE: 0x74, EMPTY_LIST: 0x5d, APPENDS: 0x65,
  EMPTY_DICT: 0x7d, SETITEMS: 0x75, EMPTY_SET: 0x8f, ADDITEMS: 0x90,
  MEMOIZE: 0x94, BINGET: 0x68, LONG_BINGET: 0x6a, STACK_GLOBAL: 0x93,
  REDUCE: 0x52, NEWOBJ: 0x81, NEWOBJ_EX: 0x92, BUILD: 0x62,
} as const;

const RECONSTRUCT: PyGlobal = { kind: 'global', module: 'numpy.core.multiarray', name: '_reconstruct' };
const NDARRAY: PyGlobal = { kind: 'global', module: 'numpy', name: 'ndarray' };
const NUMPY_DTYPE: PyGlobal = { kind: 'global', module: 'numpy', name: 'dtype' };

const utf8 = new TextEncoder();

function fail(message: string, code: 'INVALID_PARAMETER_VALUE' | 'NOT_IMPLEMENTED' = 'INVALID_PARAMETER_VALUE'): never {
  throw new MlflowError(`writePickle: ${message}`, code);
}

/** A list written as a Python tuple, whatever the reader marked. */
class Tuple {
  constructor(readonly items: unknown[]) {}
}

/**
 * Writes a value made by readPickle / readJoblib / loadPickleFile as a standard protocol-4 pickle
 * that Python's pickle.load reads: each instance and dtype is rebuilt by the very call and BUILD
 * state the reader saw (so only globals the reader allowed appear), numpy arrays as numpy pickles
 * them (_reconstruct and __setstate__ with their raw bytes), tuples as tuples, shared values once.
 *
 * Limits: numpy scalars were read as plain numbers and are written as Python int (integral
 * values) or float, and big-endian arrays in little-endian order. Instances are written as they were read: changes made to their `state` afterwards are
 * not written. Values the reader did not make (an instance without its recorded call) are refused.
 */
export function writePickle(value: unknown): Uint8Array {
  const w = new Pickler();
  w.op(OP.PROTO);
  w.byte(PROTOCOL);
  w.value(value);
  w.op(OP.STOP);
  return w.out.result();
}

class Pickler {
  readonly out = new GrowingOutput(1 << 16, DEFAULT_MAX_BYTES, 'writePickle output');
  private readonly memo = new Map<object, number>();
  private readonly globals = new Map<string, number>();
  /** The index the next MEMOIZE stores at. */
  private memoized = 0;

  op(code: number): void {
    this.out.push(code);
  }

  byte(b: number): void {
    this.out.push(b);
  }

  bytes(b: Uint8Array): void {
    this.out.reserve(b.length);
    this.out.buf.set(b, this.out.len);
    this.out.len += b.length;
  }

  private u32(n: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    this.bytes(b);
  }

  private u64(n: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
    this.bytes(b);
  }

  value(v: unknown): void {
    if (v === null) return this.op(OP.NONE);
    switch (typeof v) {
      case 'boolean':
        return this.op(v ? OP.NEWTRUE : OP.NEWFALSE);
      case 'number':
        return Number.isInteger(v) && !Object.is(v, -0) ? this.int(v) : this.float(v);
      case 'bigint':
        return this.long(v);
      case 'string':
        return this.str(v);
      case 'object':
        return this.object(v);
      default:
        return fail(`a ${typeof v} has no pickle form`);
    }
  }

  private object(v: object): void {
    const at = this.memo.get(v);
    if (at !== undefined) return this.get(at);
    if (v instanceof Tuple) return this.tuple(v.items, v);
    if (v instanceof Uint8Array) {
      // a bytearray, or bytes made by a call (_codecs.encode in protocols < 3)
      const origin = originOf(v);
      if (origin) this.call(origin);
      else this.binBytes(v);
      return this.memoize(v);
    }
    if (Array.isArray(v)) return isTuple(v) ? this.tuple(v, v) : this.list(v);
    if (v instanceof Map) return this.dict(v);
    if (v instanceof Set) return this.set(v);
    if (isPyGlobal(v)) return this.global(v);
    if (isNdArray(v)) return this.ndarray(v);
    if (isDType(v)) return this.dtype(v);
    if (isPyInstance(v)) return this.instance(v);
    return fail(`a ${v.constructor?.name ?? 'object'} is not a value the pickle reader makes`);
  }

  private memoize(v: object): void {
    this.op(OP.MEMOIZE);
    this.memo.set(v, this.memoized++);
  }

  private get(i: number): void {
    if (i < 256) {
      this.op(OP.BINGET);
      this.byte(i);
    } else {
      this.op(OP.LONG_BINGET);
      this.u32(i);
    }
  }

  private int(n: number): void {
    if (n >= 0 && n < 256) {
      this.op(OP.BININT1);
      this.byte(n);
    } else if (n >= 0 && n < 65536) {
      this.op(OP.BININT2);
      this.byte(n & 0xff);
      this.byte(n >> 8);
    } else if (n >= -0x80000000 && n <= 0x7fffffff) {
      this.op(OP.BININT);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, n, true);
      this.bytes(b);
    } else this.long(BigInt(n));
  }

  /** LONG1 / LONG4: little-endian two's complement in the fewest bytes. */
  private long(n: bigint): void {
    const out: number[] = [];
    let x = n;
    for (;;) {
      const b = Number(x & 0xffn);
      out.push(b);
      x >>= 8n;
      if ((x === 0n && !(b & 0x80)) || (x === -1n && b & 0x80)) break;
    }
    if (out.length < 256) {
      this.op(OP.LONG1);
      this.byte(out.length);
    } else {
      this.op(OP.LONG4);
      this.u32(out.length);
    }
    this.bytes(Uint8Array.from(out));
  }

  private float(x: number): void {
    this.op(OP.BINFLOAT);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    this.bytes(b);
  }

  private str(s: string): void {
    const b = utf8.encode(s);
    if (b.length < 256) {
      this.op(OP.SHORT_BINUNICODE);
      this.byte(b.length);
    } else if (b.length < 2 ** 32) {
      this.op(OP.BINUNICODE);
      this.u32(b.length);
    } else {
      this.op(OP.BINUNICODE8);
      this.u64(b.length);
    }
    this.bytes(b);
  }

  private binBytes(b: Uint8Array): void {
    if (b.length < 256) {
      this.op(OP.SHORT_BINBYTES);
      this.byte(b.length);
    } else if (b.length < 2 ** 32) {
      this.op(OP.BINBYTES);
      this.u32(b.length);
    } else {
      this.op(OP.BINBYTES8);
      this.u64(b.length);
    }
    this.bytes(b);
  }

  private tuple(items: unknown[], key: object): void {
    if (items.length === 0) return this.op(OP.EMPTY_TUPLE);
    if (items.length <= 3) {
      for (const x of items) this.value(x);
      this.op(OP.TUPLE1 + items.length - 1);
    } else {
      this.op(OP.MARK);
      for (const x of items) this.value(x);
      this.op(OP.TUPLE);
    }
    this.memoize(key);
  }

  private list(items: unknown[]): void {
    this.op(OP.EMPTY_LIST);
    this.memoize(items);
    this.appends(items);
  }

  private appends(items: unknown[]): void {
    for (let i = 0; i < items.length; i += BATCH) {
      this.op(OP.MARK);
      for (const x of items.slice(i, i + BATCH)) this.value(x);
      this.op(OP.APPENDS);
    }
  }

  /** A dict, or the mapping class that made it (OrderedDict, defaultdict) with its items set again. */
  private dict(m: Map<unknown, unknown>): void {
    const origin = originOf(m);
    if (origin) this.call(origin);
    else this.op(OP.EMPTY_DICT);
    this.memoize(m);
    this.setItems(m);
  }

  private setItems(m: Map<unknown, unknown>): void {
    const entries = [...m];
    for (let i = 0; i < entries.length; i += BATCH) {
      this.op(OP.MARK);
      for (const [k, x] of entries.slice(i, i + BATCH)) {
        this.value(k);
        this.value(x);
      }
      this.op(OP.SETITEMS);
    }
  }

  /** A set, or the call that made it (set or frozenset of a list, as protocols < 4 write them). */
  private set(s: Set<unknown>): void {
    const origin = originOf(s);
    if (origin) {
      this.call(origin);
      return this.memoize(s);
    }
    this.op(OP.EMPTY_SET);
    this.memoize(s);
    const items = [...s];
    for (let i = 0; i < items.length; i += BATCH) {
      this.op(OP.MARK);
      for (const x of items.slice(i, i + BATCH)) this.value(x);
      this.op(OP.ADDITEMS);
    }
  }

  private global(g: PyGlobal): void {
    const key = `${g.module}\n${g.name}`;
    const at = this.globals.get(key);
    if (at !== undefined) return this.get(at);
    this.str(g.module);
    this.str(g.name);
    this.op(OP.STACK_GLOBAL);
    this.op(OP.MEMOIZE);
    this.globals.set(key, this.memoized++);
  }

  private call(origin: Origin): void {
    this.global(origin.fn);
    this.value(new Tuple(origin.args));
    if (origin.op === 'NEWOBJ_EX') {
      this.value(origin.kwargs ?? new Map());
      this.op(OP.NEWOBJ_EX);
    } else this.op(origin.op === 'NEWOBJ' ? OP.NEWOBJ : OP.REDUCE);
  }

  /** Repeats the call that made `v`, then the BUILD the reader applied to it. */
  private replay(v: object, origin: Origin, afterCall?: () => void): void {
    this.call(origin);
    this.memoize(v);
    afterCall?.();
    if (origin.build !== undefined) {
      this.value(origin.build);
      this.op(OP.BUILD);
    }
  }

  private instance(inst: PyInstance): void {
    const origin = originOf(inst);
    if (!origin) fail(`${inst.module}.${inst.name} was not made by the pickle reader (no recorded call to repeat)`);
    this.replay(inst, origin, () => {
      // items of a list or dict subclass, which the reader kept in the state
      const { __list__: list, __items__: items } = inst.state;
      if (Array.isArray(list)) this.appends(list);
      if (items instanceof Map) this.setItems(items);
    });
  }

  private dtype(dt: DType): void {
    const origin = originOf(dt);
    if (origin && origin.build !== undefined) return this.replay(dt, origin);
    if (dt.fields || dt.subarray) fail(`the structured numpy dtype ${dt.str} was not read from a pickle`, 'NOT_IMPLEMENTED');
    const size = dt.char === 'U' ? dt.itemsize / 4 : dt.itemsize;
    const code = dt.char === 'O' ? 'O8' : `${dt.char}${size}`;
    const endian = dt.itemsize === 1 || 'bOSV'.includes(dt.char) ? '|' : dt.byteOrder;
    const [elsize, alignment, flags] =
      dt.char === 'U' ? [dt.itemsize, 4, 8] : dt.char === 'S' || dt.char === 'V' ? [dt.itemsize, 1, 0] : dt.char === 'O' ? [-1, -1, 63] : [-1, -1, 0];
    const state: unknown[] = [3, endian, null, null, null, elsize, alignment, flags];
    if (dt.unit) {
      state[0] = 4;
      state.push(new Tuple([new Map(), new Tuple([utf8.encode(dt.unit), 1, 1, 1])]));
    }
    this.global(NUMPY_DTYPE);
    this.value(new Tuple([code, false, true]));
    this.op(OP.REDUCE);
    this.memoize(dt);
    this.value(new Tuple(state));
    this.op(OP.BUILD);
  }

  /** As numpy pickles an array: _reconstruct(ndarray, (0,), b'b') then __setstate__. */
  private ndarray(arr: NdArray): void {
    const dt = nativeDType(arrayDTypeOf(arr) ?? parseDTypeCode(arr.dtype, 'writePickle'));
    this.global(RECONSTRUCT);
    this.value(new Tuple([NDARRAY, new Tuple([0]), Uint8Array.of(0x62)]));
    this.op(OP.REDUCE);
    this.memoize(arr);
    const data = dt.char === 'O' ? (arr.data as unknown[]) : encodeArray(arr, dt);
    this.value(new Tuple([1, new Tuple(arr.shape), dt, false, data]));
    this.op(OP.BUILD);
  }
}

function hasBigEndian(dt: DType): boolean {
  return dt.byteOrder === '>' || (dt.fields ?? []).some((f) => hasBigEndian(f.dtype)) || (dt.subarray ? hasBigEndian(dt.subarray.base) : false);
}

/**
 * The dtype in little-endian order: the reader turned big-endian array data into native order, so
 * the dtype written with it must say so. The copy repeats the original call and BUILD state with
 * the byte order (and the fields' and subarray's dtypes) changed.
 */
function nativeDType(dt: DType): DType {
  if (!hasBigEndian(dt)) return dt;
  const copy: DType = {
    ...dt,
    byteOrder: dt.byteOrder === '>' ? '<' : dt.byteOrder,
    str: dt.str.replace('>', '<'),
    fields: dt.fields?.map((f) => ({ ...f, dtype: nativeDType(f.dtype) })),
    subarray: dt.subarray && { ...dt.subarray, base: nativeDType(dt.subarray.base) },
  };
  const origin = originOf(dt);
  // numpy's state tuple since version 3: (version, endian, subarray, names, fields, elsize, alignment, flags[, metadata])
  if (origin && Array.isArray(origin.build) && origin.build.length >= 8) {
    const state: unknown[] = [...origin.build];
    if (state[1] === '>') state[1] = '<';
    if (copy.subarray && Array.isArray(state[2])) state[2] = new Tuple([copy.subarray.base, state[2][1]]);
    if (state[4] instanceof Map) {
      state[4] = new Map([...state[4]].map(([name, entry]: [unknown, unknown[]]) => [name, new Tuple([nativeDType(entry[0] as DType), ...entry.slice(1)])]));
    }
    recordCall(copy, { ...origin, build: new Tuple(state) });
  }
  return copy;
}

function itemCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** An array's items as numpy's raw little-endian C-order buffer for `dt`. */
function encodeArray(arr: NdArray, dt: DType): Uint8Array {
  if (dt.subarray) return encodeArray(arr, dt.subarray.base);
  const count = itemCount(arr.shape);
  if (dt.fields) {
    if (!arr.fields) fail(`array of structured dtype ${dt.str} has no fields`);
    const out = new Uint8Array(count * dt.itemsize);
    for (const f of dt.fields) {
      const fieldArr = arr.fields[f.name];
      if (!fieldArr) fail(`structured array lacks field '${f.name}'`);
      const packed = encodeArray(fieldArr, f.dtype);
      const width = packed.length / Math.max(count, 1);
      for (let i = 0; i < count; i++) {
        const to = i * dt.itemsize + f.offset;
        for (let j = 0; j < width; j++) out[to + j] = packed[i * width + j];
      }
    }
    return out;
  }
  const data = arr.data as ArrayLike<unknown>;
  const size = dt.itemsize;
  const numbers = (): number[] => Array.from(data as ArrayLike<number>);
  switch (`${dt.char}${size}`) {
    case 'f8':
      return bytesOf(Float64Array.from(numbers()));
    case 'f4':
      return bytesOf(Float32Array.from(numbers()));
    case 'f2':
      return bytesOf(Uint16Array.from(numbers(), toHalf));
    case 'i8':
    case 'u8':
    case 'M8':
    case 'm8':
      return bytesOf(int64s(numbers(), dt));
    case 'i4':
      return bytesOf(Int32Array.from(numbers()));
    case 'u4':
      return bytesOf(Uint32Array.from(numbers()));
    case 'i2':
      return bytesOf(Int16Array.from(numbers()));
    case 'u2':
      return bytesOf(Uint16Array.from(numbers()));
    case 'i1':
      return bytesOf(Int8Array.from(numbers()));
    case 'u1':
    case 'b1':
      return Uint8Array.from(numbers());
  }
  if (dt.char === 'U') return unicodeItems(data as ArrayLike<string>, size);
  if (dt.char === 'S' || dt.char === 'V') {
    const out = new Uint8Array(data.length * size);
    for (let i = 0; i < data.length; i++) {
      const b = data[i] as Uint8Array;
      if (b.length > size) fail(`bytes item ${i} is longer than its dtype ${dt.str}`);
      out.set(b, i * size);
    }
    return out;
  }
  return fail(`numpy dtype ${dt.str} cannot be written`, 'NOT_IMPLEMENTED');
}

/** The array's own bytes (typed arrays are little-endian on every platform Node runs on). */
function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function int64s(values: number[], dt: DType): BigInt64Array | BigUint64Array {
  const isTime = dt.char === 'M' || dt.char === 'm';
  const out = dt.char === 'u' ? new BigUint64Array(values.length) : new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (isTime && Number.isNaN(x)) out[i] = -(2n ** 63n); // NaT
    else if (Number.isInteger(x)) out[i] = BigInt(x);
    else fail(`item ${i} (${x}) of an ${dt.str} array is not an integer`);
  }
  return out;
}

function unicodeItems(items: ArrayLike<string>, size: number): Uint8Array {
  const out = new Uint8Array(items.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < items.length; i++) {
    const cps = Array.from(items[i], (c) => c.codePointAt(0)!);
    if (cps.length * 4 > size) fail(`string item ${i} is longer than its dtype <U${size / 4}`);
    cps.forEach((cp, j) => view.setUint32(i * size + j * 4, cp, true));
  }
  return out;
}

/** IEEE half precision, rounding to nearest even (exact for values read from halves). */
function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = (mant | 0x800000) >>> 0;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++;
  return sign | r;
}

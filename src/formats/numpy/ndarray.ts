import { MlflowError, NotSupportedNativelyError } from '../../errors.js';
import type { NdArray } from '../pickle/types.js';
import { checkDim, type DType } from './dtype.js';
import { halfToFloat } from '../half-float.js';

const TWO_32 = 4294967296;
/** The high word of 2^53: beyond it an int64 is not exact in a double. */
const HI_SAFE = 2097152;

export function shapeSize(shape: unknown, where: string): { shape: number[]; size: number } {
  const dims = (Array.isArray(shape) ? shape : [shape]).map((d) => checkDim(d, where));
  let size = 1;
  for (const d of dims) size *= d;
  if (!Number.isSafeInteger(size)) throw new MlflowError(`${where}: array shape [${dims.join(', ')}] is too large`, 'INVALID_PARAMETER_VALUE');
  return { shape: dims, size };
}

/**
 * Builds an array from numpy's raw buffer (C order unless `fortran`), refusing a buffer whose
 * length is not exactly what dtype and shape claim: a shape claiming more than the file holds
 * never allocates.
 */
export function ndarrayFromBytes(dtype: DType, shapeIn: unknown, bytes: Uint8Array, fortran: boolean, where: string): NdArray {
  const { shape, size } = shapeSize(shapeIn, where);
  if (dtype.char === 'O') throw new MlflowError(`${where}: object array given as raw bytes`, 'INVALID_PARAMETER_VALUE');
  if (size > 0 && !(dtype.itemsize > 0)) throw new MlflowError(`${where}: numpy dtype ${dtype.str} has item size 0`, 'INVALID_PARAMETER_VALUE');
  const need = size * dtype.itemsize;
  if (bytes.length !== need) {
    throw new MlflowError(
      `${where}: array of dtype ${dtype.str} and shape [${shape.join(', ')}] needs ${need} bytes but the file holds ${bytes.length}`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  const cBytes = fortran && shape.length > 1 ? fortranToC(bytes, shape, dtype.itemsize) : bytes;
  if (dtype.fields) return structured(dtype, cBytes, size, shape, where);
  if (dtype.subarray) return decodeField(cBytes, size, dtype.itemsize, 0, dtype, shape, where);
  const { data, str } = decodeContiguous(cBytes, 0, size, dtype, where);
  return { kind: 'ndarray', dtype: str, shape, data };
}

/** Object arrays arrive as a list in C order whatever their flags. */
export function ndarrayFromList(dtype: DType, shapeIn: unknown, list: unknown[], where: string): NdArray {
  const { shape, size } = shapeSize(shapeIn, where);
  if (list.length !== size) {
    throw new MlflowError(`${where}: array of shape [${shape.join(', ')}] needs ${size} items but the file holds ${list.length}`, 'INVALID_PARAMETER_VALUE');
  }
  return { kind: 'ndarray', dtype: dtype.str, shape, data: list };
}

/** One element of a numpy scalar (numpy.core.multiarray.scalar). */
export function scalarFromBytes(dtype: DType, bytes: Uint8Array, where: string): unknown {
  if (bytes.length !== dtype.itemsize) {
    throw new MlflowError(`${where}: numpy scalar of dtype ${dtype.str} needs ${dtype.itemsize} bytes, got ${bytes.length}`, 'INVALID_PARAMETER_VALUE');
  }
  if (dtype.char === 'i' || dtype.char === 'u') {
    if (dtype.itemsize === 8) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
      const little = dtype.byteOrder !== '>';
      const v = dtype.char === 'i' ? view.getBigInt64(0, little) : view.getBigUint64(0, little);
      return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
    }
  }
  if (dtype.fields || dtype.subarray) throw new NotSupportedNativelyError(`${where}: structured numpy scalars are not supported`);
  const { data } = decodeContiguous(bytes, 0, 1, dtype, where);
  const v = data[0];
  return dtype.char === 'b' ? v === 1 : v;
}

/** A structured array: one array per field, read from `count` records. */
function structured(dtype: DType, rec: Uint8Array, count: number, shape: number[], where: string): NdArray {
  const fields: Record<string, NdArray> = {};
  for (const f of dtype.fields ?? []) {
    const value = decodeField(rec, count, dtype.itemsize, f.offset, f.dtype, shape, where);
    // defineProperty: a field named "__proto__" is data here, not the object's prototype
    Object.defineProperty(fields, f.name, { value, enumerable: true, writable: true, configurable: true });
  }
  return { kind: 'ndarray', dtype: dtype.str, shape, data: [], fields };
}

function decodeField(rec: Uint8Array, count: number, stride: number, offset: number, ft: DType, shape: number[], where: string): NdArray {
  const base = ft.subarray ? ft.subarray.base : ft;
  const sub = ft.subarray ? ft.subarray.shape : [];
  let subSize = 1;
  for (const d of sub) subSize *= d;
  const width = subSize * base.itemsize;
  if (offset + width > stride) throw new MlflowError(`${where}: numpy field at offset ${offset} overruns its record`, 'INVALID_PARAMETER_VALUE');
  if (!ft.subarray) {
    const direct = decodeStrided(rec, count, stride, offset, base, where);
    if (direct) return { kind: 'ndarray', dtype: base.byteOrder === '>' ? base.str.replace('>', '<') : base.str, shape, data: direct };
  }
  const packed = new Uint8Array(count * width);
  // a byte loop, not subarray(): one view per record would dominate reading a large forest
  for (let i = 0, o = 0; i < count; i++) {
    const from = i * stride + offset;
    for (let j = 0; j < width; j++) packed[o++] = rec[from + j];
  }
  const n = count * subSize;
  if (base.fields) return structured(base, packed, n, [...shape, ...sub], where);
  const { data, str } = decodeContiguous(packed, 0, n, base, where);
  return { kind: 'ndarray', dtype: str, shape: [...shape, ...sub], data };
}

/** Reads a numeric field straight out of the records (sklearn's tree nodes are all f8 and i8). */
function decodeStrided(rec: Uint8Array, count: number, stride: number, offset: number, dt: DType, where: string): NdArray['data'] | undefined {
  const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const little = dt.byteOrder !== '>';
  const key = `${dt.char}${dt.itemsize}`;
  switch (key) {
    case 'f8': {
      const out = new Float64Array(count);
      for (let i = 0, p = offset; i < count; i++, p += stride) out[i] = view.getFloat64(p, little);
      return out;
    }
    case 'f4': {
      const out = new Float32Array(count);
      for (let i = 0, p = offset; i < count; i++, p += stride) out[i] = view.getFloat32(p, little);
      return out;
    }
    case 'i8': {
      const out = new Float64Array(count);
      for (let i = 0, p = offset; i < count; i++, p += stride) {
        const lo = view.getUint32(little ? p : p + 4, little);
        const hi = view.getInt32(little ? p + 4 : p, little);
        if (hi > HI_SAFE || hi < -HI_SAFE || (hi === HI_SAFE && lo !== 0)) {
          throw new NotSupportedNativelyError(`${where}: 64-bit integer at index ${i} is beyond 2^53 and cannot be held exactly`);
        }
        out[i] = hi * TWO_32 + lo;
      }
      return out;
    }
    case 'i4': {
      const out = new Int32Array(count);
      for (let i = 0, p = offset; i < count; i++, p += stride) out[i] = view.getInt32(p, little);
      return out;
    }
    case 'u1':
    case 'b1': {
      const out = new Uint8Array(count);
      for (let i = 0, p = offset; i < count; i++, p += stride) out[i] = dt.char === 'b' ? (rec[p] === 0 ? 0 : 1) : rec[p];
      return out;
    }
    default:
      return undefined;
  }
}

/** Decodes `count` packed items; big-endian input is swapped, so the result's dtype says '<'. */
function decodeContiguous(src: Uint8Array, start: number, count: number, dt: DType, where: string): { data: NdArray['data']; str: string } {
  const size = dt.itemsize;
  if (!(size > 0) || (dt.char === 'U' && size % 4 !== 0)) {
    throw new MlflowError(`${where}: numpy dtype ${dt.str} has an invalid item size ${size}`, 'INVALID_PARAMETER_VALUE');
  }
  const native = dt.byteOrder === '>' ? dt.str.replace('>', '<') : dt.str;
  // a fresh, aligned buffer, so typed views below never alias the file (Buffer.slice would)
  const copy = (): ArrayBuffer => {
    const c = new Uint8Array(count * size);
    c.set(src.subarray(start, start + count * size));
    if (dt.byteOrder === '>' && size > 1) swapInPlace(c, size);
    return c.buffer;
  };
  switch (dt.char) {
    case 'f':
      if (size === 8) return { data: new Float64Array(copy()), str: native };
      if (size === 4) return { data: new Float32Array(copy()), str: native };
      if (size === 2) return { data: Float32Array.from(new Uint16Array(copy()), halfToFloat), str: native };
      break;
    case 'i':
    case 'u':
    case 'M':
    case 'm': {
      const signed = dt.char !== 'u';
      if (size === 8) return { data: int64ToDouble(new Int32Array(copy()), signed, dt.char === 'M' || dt.char === 'm', where), str: native };
      if (size === 4) return { data: signed ? new Int32Array(copy()) : new Uint32Array(copy()), str: native };
      if (size === 2) return { data: signed ? new Int16Array(copy()) : new Uint16Array(copy()), str: native };
      if (size === 1) return { data: signed ? new Int8Array(copy()) : new Uint8Array(copy()), str: native };
      break;
    }
    case 'b': {
      const out = new Uint8Array(copy());
      for (let i = 0; i < out.length; i++) out[i] = out[i] === 0 ? 0 : 1;
      return { data: out, str: native };
    }
    case 'U':
      return { data: decodeUnicode(src, start, count, size, dt.byteOrder === '>'), str: native };
    case 'S':
    case 'V': {
      const out: Uint8Array[] = new Array(count);
      for (let i = 0; i < count; i++) {
        let end = (i + 1) * size;
        if (dt.char === 'S') while (end > i * size && src[start + end - 1] === 0) end--;
        out[i] = Uint8Array.from(src.subarray(start + i * size, start + end));
      }
      return { data: out, str: native };
    }
  }
  throw new NotSupportedNativelyError(`${where}: numpy dtype ${dt.str} is not supported`);
}

function swapInPlace(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) {
    for (let lo = i, hi = i + size - 1; lo < hi; lo++, hi--) {
      const t = b[lo];
      b[lo] = b[hi];
      b[hi] = t;
    }
  }
}

/**
 * int64 as doubles: integers must be exact (|value| <= 2^53) or are refused; datetime64 and
 * timedelta64 counts are rounded to the nearest double (sub-microsecond for ns), NaT becomes NaN.
 */
function int64ToDouble(words: Int32Array, signed: boolean, isTime: boolean, where: string): Float64Array {
  const n = words.length / 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i] >>> 0;
    const hi = signed ? words[2 * i + 1] : words[2 * i + 1] >>> 0;
    if (isTime) {
      out[i] = hi === -2147483648 && lo === 0 ? NaN : hi * TWO_32 + lo;
      continue;
    }
    if (hi > HI_SAFE || hi < -HI_SAFE || (hi === HI_SAFE && lo !== 0)) {
      throw new NotSupportedNativelyError(`${where}: 64-bit integer at index ${i} is beyond 2^53 and cannot be held exactly`);
    }
    out[i] = hi * TWO_32 + lo;
  }
  return out;
}

function decodeUnicode(src: Uint8Array, start: number, count: number, size: number, big: boolean): string[] {
  const view = new DataView(src.buffer, src.byteOffset + start, count * size);
  const chars = size / 4;
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    let n = chars;
    while (n > 0 && view.getUint32(i * size + (n - 1) * 4, !big) === 0) n--;
    const cps: number[] = new Array(n);
    for (let j = 0; j < n; j++) cps[j] = view.getUint32(i * size + j * 4, !big);
    out[i] = safeFromCodePoints(cps);
  }
  return out;
}

function safeFromCodePoints(cps: number[]): string {
  let s = '';
  for (const cp of cps) s += String.fromCodePoint(cp <= 0x10ffff ? cp : 0xfffd);
  return s;
}

/** Reorders items from Fortran (first index fastest) to C order. */
function fortranToC(bytes: Uint8Array, shape: number[], itemsize: number): Uint8Array {
  const nd = shape.length;
  const count = bytes.length / itemsize;
  const out = new Uint8Array(bytes.length);
  // strides of the Fortran layout, in items
  const fStride = new Array<number>(nd);
  let s = 1;
  for (let k = 0; k < nd; k++) {
    fStride[k] = s;
    s *= shape[k];
  }
  const idx = new Array<number>(nd).fill(0);
  let src = 0;
  for (let c = 0; c < count; c++) {
    out.set(bytes.subarray(src * itemsize, (src + 1) * itemsize), c * itemsize);
    // advance the C-order index (last axis fastest) and its Fortran offset
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]++;
      src += fStride[k];
      if (idx[k] < shape[k]) break;
      src -= fStride[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

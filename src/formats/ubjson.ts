import { MlflowError } from '../errors.js';

/**
 * A Universal Binary JSON (ubjson.org draft 12) decoder, as XGBoost writes its `.ubj` models:
 * big-endian numbers, and strongly typed arrays (`[$d#L<n>...`) read straight into typed arrays
 * (float32 -> Float32Array, int32 -> Int32Array, uint8 -> Uint8Array, ...), so a large model
 * costs no per-number objects.
 */
export type UbjValue = null | boolean | number | bigint | string | UbjValue[] | UbjArray | { [key: string]: UbjValue };
export type UbjArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;

export function decodeUbjson(bytes: Uint8Array, what = 'UBJSON'): UbjValue {
  const r = new Reader(bytes, what);
  return r.value(r.marker());
}

const TEXT = new TextDecoder('utf-8', { fatal: true });

class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, private readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(msg: string): never {
    throw new MlflowError(`${this.what} is not valid UBJSON: ${msg} at byte ${this.pos}`, 'INVALID_PARAMETER_VALUE');
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) this.fail('unexpected end of data');
  }

  marker(): number {
    this.need(1);
    let m = this.bytes[this.pos++];
    // N is a no-op padding marker
    while (m === 0x4e) {
      this.need(1);
      m = this.bytes[this.pos++];
    }
    return m;
  }

  value(m: number): UbjValue {
    switch (String.fromCharCode(m)) {
      case 'Z': return null;
      case 'T': return true;
      case 'F': return false;
      case 'S': return this.string();
      case 'H': return this.string();
      case 'C': this.need(1); return String.fromCharCode(this.bytes[this.pos++]);
      case '[': return this.array();
      case '{': return this.object();
      default: return this.number(m);
    }
  }

  private number(m: number): number | bigint {
    const v = this.view;
    const p = this.pos;
    switch (String.fromCharCode(m)) {
      case 'i': this.need(1); this.pos += 1; return v.getInt8(p);
      case 'U': this.need(1); this.pos += 1; return v.getUint8(p);
      case 'I': this.need(2); this.pos += 2; return v.getInt16(p);
      case 'l': this.need(4); this.pos += 4; return v.getInt32(p);
      case 'L': {
        this.need(8);
        this.pos += 8;
        const big = v.getBigInt64(p);
        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      }
      case 'd': this.need(4); this.pos += 4; return v.getFloat32(p);
      case 'D': this.need(8); this.pos += 8; return v.getFloat64(p);
      default: return this.fail(`unknown marker 0x${m.toString(16)}`);
    }
  }

  private count(): number {
    const n = this.number(this.marker());
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > this.bytes.length * 8) this.fail(`bad count ${String(n)}`);
    return n;
  }

  private string(): string {
    const n = this.count();
    this.need(n);
    const s = TEXT.decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  /** The optional `$type#count` header of a container. */
  private header(): { type: number; count: number } {
    let type = -1;
    let count = -1;
    this.need(1);
    if (this.bytes[this.pos] === 0x24) { // $
      this.pos++;
      type = this.bytes[this.pos++];
      this.need(1);
      if (this.bytes[this.pos] !== 0x23) this.fail('a typed container needs a count');
    }
    if (this.bytes[this.pos] === 0x23) { // #
      this.pos++;
      count = this.count();
    }
    return { type, count };
  }

  private array(): UbjValue {
    const { type, count } = this.header();
    if (type >= 0) {
      const typed = this.typedArray(type, count);
      if (typed) return typed;
      const out: UbjValue[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = this.value(type);
      return out;
    }
    const out: UbjValue[] = [];
    if (count >= 0) {
      for (let i = 0; i < count; i++) out.push(this.value(this.marker()));
      return out;
    }
    for (;;) {
      const m = this.marker();
      if (m === 0x5d) return out; // ]
      out.push(this.value(m));
    }
  }

  private typedArray(type: number, count: number): UbjArray | null {
    const sizes: Record<string, number> = { i: 1, U: 1, I: 2, l: 4, L: 8, d: 4, D: 8 };
    const t = String.fromCharCode(type);
    const size = sizes[t];
    if (size === undefined) return null;
    this.need(count * size);
    const v = this.view;
    const p = this.pos;
    this.pos += count * size;
    switch (t) {
      case 'i': return Int8Array.from(this.bytes.subarray(p, p + count), (b) => (b << 24) >> 24);
      case 'U': return this.bytes.slice(p, p + count);
      case 'I': return Int16Array.from({ length: count }, (_, i) => v.getInt16(p + i * 2));
      case 'l': {
        const out = new Int32Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getInt32(p + i * 4);
        return out;
      }
      case 'L': {
        const out = new BigInt64Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getBigInt64(p + i * 8);
        return out;
      }
      case 'd': {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getFloat32(p + i * 4);
        return out;
      }
      default: {
        const out = new Float64Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getFloat64(p + i * 8);
        return out;
      }
    }
  }

  private object(): UbjValue {
    const { type, count } = this.header();
    const out: Record<string, UbjValue> = {};
    const entry = (): void => {
      const key = this.string();
      const value = this.value(type >= 0 ? type : this.marker());
      // a key named __proto__ is data, not the object's prototype
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    };
    if (count >= 0) {
      for (let i = 0; i < count; i++) entry();
      return out;
    }
    for (;;) {
      this.need(1);
      if (this.bytes[this.pos] === 0x7d) { // }
        this.pos++;
        return out;
      }
      entry();
    }
  }
}

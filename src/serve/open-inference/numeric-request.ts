import { JsonScanner, MAX_EXACT_DIGITS, POW10 } from '../../frame/json-scanner.js';
import { sizeOfShape } from '../../frame/tensor.js';
import type { V2Input, V2Request } from './request.js';

/**
 * The common inference request, `{"inputs": [{"name", "datatype", "shape", "data"}, ...]}` with
 * FP64, FP32, INT64 or INT32 tensors whose data is a flat list of numbers, read straight from the
 * JSON text into one typed array per tensor: no parsed tree, no per-value checks afterwards.
 * The request is the one readV2Request builds from JSON.parse's tree. Anything else (another
 * key, parameters, nested or non-numeric data, an integer tensor with a fraction or of 16 digits
 * or more, a count that does not match the shape, a repeated name, a syntax error) returns
 * undefined and goes to the general reader, which answers it (or names its error) as before.
 */
export function readNumericV2(text: string): V2Request | undefined {
  return new NumericV2Reader(text).read();
}

/** The datatypes read here, each in the typed array readV2Request + decodeV2Inputs hold it in. */
interface Typed {
  readonly Array: new (n: number) => Float64Array | Float32Array | Int32Array;
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
}
const TYPED: Readonly<Record<string, Typed>> = {
  FP64: { Array: Float64Array, integer: false, min: -Infinity, max: Infinity },
  FP32: { Array: Float32Array, integer: false, min: -Infinity, max: Infinity },
  // numpy's int64 is held as float64 here, as decodeV2Inputs holds it.
  INT64: { Array: Float64Array, integer: true, min: -Infinity, max: Infinity },
  INT32: { Array: Int32Array, integer: true, min: -(2 ** 31), max: 2 ** 31 - 1 },
};


class NumericV2Reader extends JsonScanner {
  read(): V2Request | undefined {
    if (!this.skip(0x7b) || this.name() !== 'inputs' || !this.skip(0x3a) || !this.skip(0x5b)) return undefined;
    const inputs: V2Input[] = [];
    const names = new Set<string>();
    for (;;) {
      const input = this.tensor();
      if (!input || names.has(input.name)) return undefined;
      names.add(input.name);
      inputs.push(input);
      if (this.skip(0x5d)) break;
      if (!this.skip(0x2c)) return undefined;
    }
    if (!this.skip(0x7d)) return undefined;
    this.ws();
    if (this.pos !== this.t.length) return undefined;
    return { id: undefined, contentType: undefined, inputs, outputs: undefined, binaryOutputs: false, params: undefined };
  }

  private tensor(): V2Input | undefined {
    if (!this.skip(0x7b)) return undefined;
    let name: string | undefined;
    let datatype: string | undefined;
    let shape: number[] | undefined;
    let data: { start: number; end: number } | undefined;
    for (;;) {
      const key = this.name();
      if (!this.skip(0x3a)) return undefined;
      if (key === 'name' && name === undefined) name = this.name();
      else if (key === 'datatype' && datatype === undefined) datatype = this.name();
      else if (key === 'shape' && shape === undefined) shape = this.shape();
      else if (key === 'data' && data === undefined) data = this.skipNumbers();
      else return undefined;
      if (this.skip(0x7d)) break;
      if (!this.skip(0x2c)) return undefined;
    }
    if (!name || datatype === undefined || !shape || !data || !Object.hasOwn(TYPED, datatype)) return undefined;
    // The data is read once its datatype is known (it may come before "datatype").
    const values = this.numbers(data, TYPED[datatype], sizeOfShape(shape));
    if (!values) return undefined;
    return { name, shape, datatype: datatype as V2Input['datatype'], contentType: undefined, data: values };
  }

  /** A list of non-negative integers (plain digits, at most 15). */
  private shape(): number[] | undefined {
    if (!this.skip(0x5b)) return undefined;
    const dims: number[] = [];
    if (this.skip(0x5d)) return dims;
    for (;;) {
      this.ws();
      const t = this.t;
      let p = this.pos;
      let n = 0;
      const start = p;
      for (let c = t.charCodeAt(p); c >= 0x30 && c <= 0x39; c = t.charCodeAt(++p)) n = n * 10 + (c - 0x30);
      if (p === start || p - start > MAX_EXACT_DIGITS || (t.charCodeAt(start) === 0x30 && p - start > 1)) return undefined;
      this.pos = p;
      dims.push(n);
      if (this.skip(0x5d)) return dims;
      if (!this.skip(0x2c)) return undefined;
    }
  }

  /** Finds the end of a flat list (its numbers are read later); nested lists go to the general reader. */
  private skipNumbers(): { start: number; end: number } | undefined {
    if (!this.skip(0x5b)) return undefined;
    const start = this.pos;
    const end = this.t.indexOf(']', start);
    if (end < 0) return undefined;
    this.pos = end + 1;
    return { start, end };
  }

  /**
   * The JSON numbers between `start` and `end`, exactly `size` of them, into the datatype's
   * typed array; one loop over char codes with the position in a local (the hot path).
   */
  private numbers(span: { start: number; end: number }, typed: Typed, size: number): Float64Array | Float32Array | Int32Array | undefined {
    const t = this.t;
    const out = new typed.Array(size);
    const { integer, min, max } = typed;
    let p = span.start;
    let c = 0;
    let n = 0;
    while ((c = t.charCodeAt(p)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
    if (p === span.end) return size === 0 ? out : undefined;
    for (;;) {
      if (n === size) return undefined;
      const start = p;
      const negative = c === 0x2d;
      if (negative) c = t.charCodeAt(++p);
      if (c < 0x30 || c > 0x39) return undefined;
      let mantissa = 0;
      let digits = 0;
      if (c === 0x30) c = t.charCodeAt(++p);
      else {
        do {
          mantissa = mantissa * 10 + (c - 0x30);
          digits++;
          c = t.charCodeAt(++p);
        } while (c >= 0x30 && c <= 0x39);
      }
      let decimals = 0;
      let exact = true;
      if (c === 0x2e) {
        if (integer) return undefined;
        c = t.charCodeAt(++p);
        if (c < 0x30 || c > 0x39) return undefined;
        do {
          mantissa = mantissa * 10 + (c - 0x30);
          digits++;
          decimals++;
          c = t.charCodeAt(++p);
        } while (c >= 0x30 && c <= 0x39);
      }
      if (c === 0x65 || c === 0x45) {
        if (integer) return undefined;
        exact = false;
        c = t.charCodeAt(++p);
        if (c === 0x2b || c === 0x2d) c = t.charCodeAt(++p);
        if (c < 0x30 || c > 0x39) return undefined;
        do c = t.charCodeAt(++p);
        while (c >= 0x30 && c <= 0x39);
      }
      if (digits > MAX_EXACT_DIGITS) {
        if (integer) return undefined;
        exact = false;
      }
      let x: number;
      if (exact) {
        x = mantissa / POW10[decimals];
        if (negative) x = -x;
      } else x = Number(t.slice(start, p));
      if (x < min || x > max) return undefined;
      out[n++] = x;
      while ((c = t.charCodeAt(p)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      if (p === span.end) return n === size ? out : undefined;
      if (c !== 0x2c) return undefined;
      c = t.charCodeAt(++p);
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = t.charCodeAt(++p);
    }
  }
}

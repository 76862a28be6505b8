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
  const reader = new NumericV2Reader(text);
  const again = lastSkeleton === undefined ? SKELETON_DIFFERS : reader.readAs(lastSkeleton);
  return again === SKELETON_DIFFERS ? reader.read() : again;
}

/**
 * The last request read here, but for the lists of numbers: its text around them (`pieces[i]`
 * runs from the end of data list i - 1, or the start, to the opening of data list i; `tail`
 * after the last one) and its tensors. A client sends the same text around its numbers on
 * every request; a text made of the same pieces around any lists reads to the same names,
 * datatypes and shapes, since a data list is found as skipNumbers finds it (up to the first
 * `]`), so only the numbers are read again. Kept only for a small body's text (the pieces are
 * slices of it, which keep it in memory).
 */
interface Skeleton {
  readonly pieces: readonly string[];
  readonly tail: string;
  readonly tensors: readonly { name: string; datatype: V2Input['datatype']; shape: readonly number[]; typed: Typed; size: number }[];
}
let lastSkeleton: Skeleton | undefined;
const MAX_SKELETON_CHARS = 64 * 1024;
/** readAs's answer when the text is not made of the skeleton's pieces. */
const SKELETON_DIFFERS = Symbol('skeleton differs');

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
    const spans: { start: number; end: number }[] = [];
    const names = new Set<string>();
    for (;;) {
      const input = this.tensor(spans);
      if (!input || names.has(input.name)) return undefined;
      names.add(input.name);
      inputs.push(input);
      if (this.skip(0x5d)) break;
      if (!this.skip(0x2c)) return undefined;
    }
    if (!this.skip(0x7d)) return undefined;
    this.ws();
    if (this.pos !== this.t.length) return undefined;
    this.keepSkeleton(inputs, spans);
    return request(inputs);
  }

  /** This text read as the skeleton's pieces around new lists of numbers; SKELETON_DIFFERS when it is not made of them. */
  readAs(skeleton: Skeleton): V2Request | undefined | typeof SKELETON_DIFFERS {
    const t = this.t;
    const { pieces, tensors } = skeleton;
    const inputs: V2Input[] = [];
    let p = 0;
    for (let i = 0; i < pieces.length; i++) {
      // slice and === (a memcmp) measured 2-5x faster than startsWith here.
      const start = p + pieces[i].length;
      if (t.slice(p, start) !== pieces[i]) return SKELETON_DIFFERS;
      const end = t.indexOf(']', start);
      if (end < 0) return SKELETON_DIFFERS;
      const { name, datatype, shape, typed, size } = tensors[i];
      const values = this.numbers({ start, end }, typed, size);
      if (!values) return undefined;
      inputs.push({ name, shape: shape.slice(), datatype, contentType: undefined, data: values });
      p = end;
    }
    if (t.slice(p) !== skeleton.tail) return SKELETON_DIFFERS;
    return request(inputs);
  }

  private keepSkeleton(inputs: readonly V2Input[], spans: readonly { start: number; end: number }[]): void {
    if (this.t.length > MAX_SKELETON_CHARS) return;
    const pieces = spans.map((s, i) => this.t.slice(i === 0 ? 0 : spans[i - 1].end, s.start));
    const tensors = inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape: shape.slice(), typed: TYPED[datatype], size: sizeOfShape(shape) }));
    lastSkeleton = { pieces, tail: this.t.slice(spans[spans.length - 1].end), tensors };
  }

  /** A tensor; `spans` gets where its list of numbers is. */
  private tensor(spans: { start: number; end: number }[]): V2Input | undefined {
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
    spans.push(data);
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

function request(inputs: V2Input[]): V2Request {
  return { id: undefined, contentType: undefined, inputs, outputs: undefined, binaryOutputs: false, params: undefined };
}

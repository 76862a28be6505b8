import { MlflowError, NotSupportedNativelyError } from '../../errors.js';
import { GrowingOutput } from './growing-output.js';

/*
 * LZMA decoding for joblib's 'lzma' (the .lzma "alone" format) and 'xz' (LZMA2 in the xz
 * container) compressors, written from the LZMA specification. The whole output is the
 * dictionary, so matches are plain copies from earlier output. Checksums are not verified.
 */

const PROB_INIT = 1024;
const NUM_STATES = 12;
const POS_STATES_MAX = 16;
const END_POS_MODEL_INDEX = 14;
const FULL_DISTANCES = 128;
const ALIGN_BITS = 4;

type Fail = (what: string) => never;

class RangeDecoder {
  private range = 0xffffffff;
  private code = 0;
  pos: number;

  constructor(
    private readonly input: Uint8Array,
    start: number,
    private readonly fail: Fail,
  ) {
    this.pos = start;
    if (this.byte() !== 0) fail('bad range coder start');
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.byte()) >>> 0;
    if (this.code === this.range) fail('bad range coder start');
  }

  private byte(): number {
    if (this.pos >= this.input.length) this.fail('unexpected end of input');
    return this.input[this.pos++];
  }

  private normalize(): void {
    if (this.range < 0x1000000) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.byte()) >>> 0;
    }
  }

  bit(probs: Uint16Array, i: number): number {
    const p = probs[i];
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      probs[i] = p - (p >>> 5);
      b = 1;
    }
    this.normalize();
    return b;
  }

  direct(n: number): number {
    let res = 0;
    for (let i = 0; i < n; i++) {
      this.range >>>= 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      res = res * 2 + b;
      this.normalize();
    }
    return res;
  }

  tree(probs: Uint16Array, offset: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(probs, offset + m);
    return m - (1 << bits);
  }

  reverseTree(probs: Uint16Array, offset: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(probs, offset + m);
      m = (m << 1) + b;
      sym |= b << i;
    }
    return sym;
  }
}

/** The length coder: choice bits, then a 3-, 3- or 8-bit tree. */
class LengthDecoder {
  private readonly probs = new Uint16Array(2 + POS_STATES_MAX * 8 * 2 + 256);

  reset(): void {
    this.probs.fill(PROB_INIT);
  }

  decode(rc: RangeDecoder, posState: number): number {
    const p = this.probs;
    if (rc.bit(p, 0) === 0) return rc.tree(p, 2 + posState * 8, 3);
    if (rc.bit(p, 1) === 0) return 8 + rc.tree(p, 2 + POS_STATES_MAX * 8 + posState * 8, 3);
    return 16 + rc.tree(p, 2 + POS_STATES_MAX * 16, 8);
  }
}

/** An LZMA decoder whose state survives across LZMA2 chunks. */
class LzmaDecoder {
  lc = 0;
  lp = 0;
  pb = 0;
  private literal = new Uint16Array(0x300);
  private readonly isMatch = new Uint16Array(NUM_STATES << 4);
  private readonly isRep = new Uint16Array(NUM_STATES);
  private readonly isRepG0 = new Uint16Array(NUM_STATES);
  private readonly isRepG1 = new Uint16Array(NUM_STATES);
  private readonly isRepG2 = new Uint16Array(NUM_STATES);
  private readonly isRep0Long = new Uint16Array(NUM_STATES << 4);
  private readonly posSlot = new Uint16Array(4 << 6);
  private readonly posDecoders = new Uint16Array(1 + FULL_DISTANCES - END_POS_MODEL_INDEX);
  private readonly align = new Uint16Array(1 << ALIGN_BITS);
  private readonly len = new LengthDecoder();
  private readonly repLen = new LengthDecoder();
  private state = 0;
  private reps = [0, 0, 0, 0];
  /** Output position where the current dictionary starts (LZMA2 can reset it). */
  dictStart = 0;

  constructor(
    private readonly out: GrowingOutput,
    private readonly fail: Fail,
  ) {}

  setProperties(d: number): void {
    if (d >= 9 * 5 * 5) this.fail('bad LZMA properties');
    this.lc = d % 9;
    this.lp = Math.floor(d / 9) % 5;
    this.pb = Math.floor(d / 45);
    this.literal = new Uint16Array(0x300 << (this.lc + this.lp));
  }

  resetState(): void {
    for (const p of [this.literal, this.isMatch, this.isRep, this.isRepG0, this.isRepG1, this.isRepG2, this.isRep0Long, this.posSlot, this.posDecoders, this.align]) {
      p.fill(PROB_INIT);
    }
    this.len.reset();
    this.repLen.reset();
    this.state = 0;
    this.reps = [0, 0, 0, 0];
  }

  /** Decodes until `limit` output bytes (LZMA2 chunk) or the end marker (limit = Infinity). */
  decode(rc: RangeDecoder, limit: number): void {
    const out = this.out;
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    let state = this.state;
    let [rep0, rep1, rep2, rep3] = this.reps;
    while (out.len < limit) {
      const pos = out.len;
      const posState = pos & pbMask;
      if (rc.bit(this.isMatch, (state << 4) + posState) === 0) {
        const prev = pos > this.dictStart ? out.buf[pos - 1] : 0;
        const base = 0x300 * (((pos & lpMask) << this.lc) + (prev >> (8 - this.lc)));
        let sym = 1;
        if (state >= 7) {
          let matchByte = this.byteAt(rep0 + 1);
          do {
            const matchBit = (matchByte >> 7) & 1;
            matchByte <<= 1;
            const b = rc.bit(this.literal, base + ((1 + matchBit) << 8) + sym);
            sym = (sym << 1) | b;
            if (matchBit !== b) break;
          } while (sym < 0x100);
        }
        while (sym < 0x100) sym = (sym << 1) | rc.bit(this.literal, base + sym);
        out.push(sym & 0xff);
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let length: number;
      if (rc.bit(this.isRep, state) === 0) {
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        length = this.len.decode(rc, posState);
        state = state < 7 ? 7 : 10;
        rep0 = this.distance(rc, length);
        if (rep0 === 0xffffffff) {
          if (limit !== Infinity) this.fail('end marker inside an LZMA2 chunk');
          break;
        }
      } else {
        if (pos === this.dictStart) this.fail('repeat match before any data');
        if (rc.bit(this.isRepG0, state) === 0) {
          if (rc.bit(this.isRep0Long, (state << 4) + posState) === 0) {
            state = state < 7 ? 9 : 11;
            out.push(this.byteAt(rep0 + 1));
            continue;
          }
        } else {
          let dist: number;
          if (rc.bit(this.isRepG1, state) === 0) dist = rep1;
          else {
            if (rc.bit(this.isRepG2, state) === 0) dist = rep2;
            else {
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        length = this.repLen.decode(rc, posState);
        state = state < 7 ? 8 : 11;
      }
      this.copy(rep0 + 1, Math.min(length + 2, limit - out.len));
    }
    this.state = state;
    this.reps = [rep0, rep1, rep2, rep3];
  }

  private distance(rc: RangeDecoder, length: number): number {
    const lenState = Math.min(length, 3);
    const slot = rc.tree(this.posSlot, lenState << 6, 6);
    if (slot < 4) return slot;
    const direct = (slot >> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** direct;
    if (slot < END_POS_MODEL_INDEX) dist += rc.reverseTree(this.posDecoders, dist - slot, direct);
    else {
      dist += rc.direct(direct - ALIGN_BITS) * 16;
      dist += rc.reverseTree(this.align, 0, ALIGN_BITS);
    }
    return dist;
  }

  private byteAt(back: number): number {
    if (back > this.out.len - this.dictStart) this.fail('match distance beyond the data');
    return this.out.buf[this.out.len - back];
  }

  private copy(back: number, n: number): void {
    const out = this.out;
    if (back > out.len - this.dictStart) this.fail('match distance beyond the data');
    out.reserve(n);
    const buf = out.buf;
    let from = out.len - back;
    let to = out.len;
    for (let k = 0; k < n; k++) buf[to++] = buf[from++];
    out.len = to;
  }
}

function failer(source: string, kind: string): Fail {
  return (what) => {
    throw new MlflowError(`${source}: corrupt ${kind} data: ${what}`, 'INVALID_PARAMETER_VALUE');
  };
}

/** The .lzma "alone" format: properties, dictionary size, size (or unknown), LZMA data. */
export function decompressLzmaAlone(input: Uint8Array, maxBytes: number, source: string): Uint8Array {
  const fail = failer(source, 'lzma');
  if (input.length < 13) fail('truncated header');
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const lo = view.getUint32(5, true);
  const hi = view.getUint32(9, true);
  const known = !(lo === 0xffffffff && hi === 0xffffffff);
  const size = hi * 2 ** 32 + lo;
  if (known && size > maxBytes) {
    throw new MlflowError(`${source}: decompressed lzma data exceeds the limit of ${maxBytes} bytes`, 'INVALID_PARAMETER_VALUE');
  }
  const out = new GrowingOutput(known ? size : input.length * 4, maxBytes, `${source}: decompressed lzma data`);
  const dec = new LzmaDecoder(out, fail);
  dec.setProperties(input[0]);
  dec.resetState();
  dec.decode(new RangeDecoder(input, 13, fail), known ? size : Infinity);
  return out.result();
}

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const LZMA2_FILTER = 0x21;

/** The xz container holding LZMA2 blocks (what Python's lzma writes by default). */
export function decompressXz(input: Uint8Array, maxBytes: number, source: string): Uint8Array {
  const fail = failer(source, 'xz');
  const out = new GrowingOutput(input.length * 4, maxBytes, `${source}: decompressed xz data`);
  let p = 0;
  const need = (n: number): void => {
    if (p + n > input.length) fail('unexpected end of input');
  };
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 63; shift += 7) {
      need(1);
      const b = input[p++];
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
    return fail('bad integer');
  };
  need(24);
  if (!XZ_MAGIC.every((b, i) => input[i] === b)) fail('bad stream header');
  // the index and footer are not read, but a cut-off file must not pass for a whole one
  if (input[input.length - 2] !== 0x59 || input[input.length - 1] !== 0x5a) fail('missing stream footer (truncated file?)');
  const checkType = input[7] & 0x0f;
  const checkSize = checkType === 0 ? 0 : 4 << Math.floor((checkType - 1) / 3);
  p = 12;
  for (;;) {
    const blockStart = p;
    need(1);
    if (input[p] === 0) break; // the index: all blocks are done
    const headerSize = (input[p] + 1) * 4;
    need(headerSize);
    const flags = input[p + 1];
    p += 2;
    if (flags & 0x40) varint();
    if (flags & 0x80) varint();
    const filters = (flags & 3) + 1;
    for (let f = 0; f < filters; f++) {
      const id = varint();
      const propsSize = varint();
      if (id !== LZMA2_FILTER || filters !== 1) {
        throw new NotSupportedNativelyError(`${source}: xz filter 0x${id.toString(16)} is not supported (only plain LZMA2)`);
      }
      p += propsSize;
    }
    p = blockStart + headerSize;
    p = lzma2(input, p, out, fail);
    while ((p - blockStart) % 4) p++; // block padding
    p += checkSize;
  }
  return out.result();
}

/** Decodes LZMA2 chunks from `p` up to the end chunk; returns the position after it. */
function lzma2(input: Uint8Array, start: number, out: GrowingOutput, fail: Fail): number {
  const dec = new LzmaDecoder(out, fail);
  let p = start;
  let needProps = true;
  for (;;) {
    if (p >= input.length) fail('unexpected end of LZMA2 data');
    const control = input[p++];
    if (control === 0) return p;
    if (control === 1 || control === 2) {
      if (p + 2 > input.length) fail('unexpected end of LZMA2 data');
      const size = ((input[p] << 8) | input[p + 1]) + 1;
      p += 2;
      if (p + size > input.length) fail('stored chunk runs past the input');
      if (control === 1) dec.dictStart = out.len;
      out.reserve(size);
      out.buf.set(input.subarray(p, p + size), out.len);
      out.len += size;
      p += size;
      continue;
    }
    if (control < 0x80) fail(`bad LZMA2 control byte 0x${control.toString(16)}`);
    if (p + 4 > input.length) fail('unexpected end of LZMA2 data');
    const unpacked = (control & 0x1f) * 65536 + ((input[p] << 8) | input[p + 1]) + 1;
    const packed = ((input[p + 2] << 8) | input[p + 3]) + 1;
    p += 4;
    const reset = (control >> 5) & 3;
    if (reset === 3) dec.dictStart = out.len;
    if (reset >= 2) {
      if (p >= input.length) fail('unexpected end of LZMA2 data');
      dec.setProperties(input[p++]);
      if (dec.lc + dec.lp > 4) fail('bad LZMA2 properties');
      needProps = false;
    } else if (needProps) fail('LZMA2 chunk without properties');
    if (reset >= 1) dec.resetState();
    if (p + packed > input.length) fail('LZMA chunk runs past the input');
    const rc = new RangeDecoder(input.subarray(0, p + packed), p, fail);
    out.reserve(unpacked);
    dec.decode(rc, out.len + unpacked);
    p += packed;
  }
}

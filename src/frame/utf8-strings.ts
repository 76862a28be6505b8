import type { ListSource } from './lazy-list.js';
import type { Turns } from './turns.js';

/**
 * A long list of strings kept as their UTF-8 bytes, each made a JS string only when it is read
 * (given to callers as a lazyList): a list of millions of strings held in the main thread's heap
 * costs its event loop the garbage collector's pauses (lazy-list.ts), while the strings this
 * list's readers make die young, which costs a scavenge almost nothing.
 */

/** Items between two remembered byte offsets: a read out of order adds at most this many lengths. */
const STRIDE = 256;

/** One run of strings: their bytes one after the other, and each one's byte length. */
export interface Utf8Chunk {
  bytes: Uint8Array;
  lengths: Uint32Array;
}

interface Chunk {
  text: Buffer;
  lengths: Uint32Array;
  /** Index in the list of the chunk's first string. */
  first: number;
  /** Byte offset of string k * STRIDE in `text`. */
  offsets: Float64Array;
  /** The bytes the strings take. */
  size: number;
}

/** Items whose lengths are added between two looks at the clock (Turns.pass). */
const SLICE = 64 * STRIDE;

/**
 * The strings of `chunks`, their byte offsets found a slice at a time with `turns` between.
 * Throws a RangeError if a chunk's lengths add up to more than its bytes.
 */
export async function utf8Strings(chunks: readonly Utf8Chunk[], turns: Turns): Promise<Utf8Strings> {
  const out: Chunk[] = [];
  let first = 0;
  for (const [k, c] of chunks.entries()) {
    const n = c.lengths.length;
    const offsets = new Float64Array(Math.ceil(n / STRIDE));
    let at = 0;
    for (let s = 0; s < n; s += SLICE) {
      const end = Math.min(n, s + SLICE);
      for (let i = s; i < end; i++) {
        if (i % STRIDE === 0) offsets[i / STRIDE] = at;
        at += c.lengths[i];
      }
      await turns.pass();
    }
    if (at > c.bytes.byteLength) throw new RangeError(`string lengths of chunk ${k} add up to ${at} bytes, beyond its ${c.bytes.byteLength}`);
    out.push({ text: Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength), lengths: c.lengths, first, offsets, size: at });
    first += n;
  }
  return new Utf8Strings(out);
}

/** The strings of one or more chunks, read by index: made by `utf8Strings`. */
export class Utf8Strings implements ListSource<string> {
  readonly length: number;
  // where the last read ended, so that reading in order costs one addition per string
  private lastChunk = 0;
  private lastIndex = -1;
  private lastEnd = 0;

  constructor(private readonly chunks: readonly Chunk[]) {
    const last = chunks[chunks.length - 1];
    this.length = last === undefined ? 0 : last.first + last.lengths.length;
  }

  /** The one chunk of bytes and lengths the strings are (joined, if they are several). */
  joined(): Utf8Chunk {
    if (this.chunks.length === 1) return { bytes: this.chunks[0].text, lengths: this.chunks[0].lengths };
    const lengths = new Uint32Array(this.length);
    for (const c of this.chunks) lengths.set(c.lengths, c.first);
    return { bytes: Buffer.concat(this.chunks.map((c) => c.text.subarray(0, c.size))), lengths };
  }

  /** String `i` (0 <= i < length). */
  at(i: number): string {
    let k = this.lastChunk;
    let c = this.chunks[k];
    if (i < c.first || i >= c.first + c.lengths.length) {
      k = this.chunkOf(i);
      c = this.chunks[k];
    }
    const j = i - c.first;
    let start: number;
    if (k === this.lastChunk && j === this.lastIndex + 1) start = this.lastEnd;
    else {
      const s = j - (j % STRIDE);
      start = c.offsets[s / STRIDE];
      for (let m = s; m < j; m++) start += c.lengths[m];
    }
    const end = start + c.lengths[j];
    this.lastChunk = k;
    this.lastIndex = j;
    this.lastEnd = end;
    return c.text.toString('utf8', start, end);
  }

  /** Strings start..end-1 as a plain array. */
  slice(start: number, end: number): string[] {
    const out = new Array<string>(Math.max(0, end - start));
    for (let i = start; i < end; i++) out[i - start] = this.at(i);
    return out;
  }

  private chunkOf(i: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid].first <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/**
 * `values` as one chunk of UTF-8 bytes and lengths when every value is a string that UTF-8 holds
 * exactly, else undefined (a lone surrogate, which JSON can carry, would come back as U+FFFD).
 */
export function encodeUtf8Strings(values: readonly unknown[]): Utf8Chunk | undefined {
  const lengths = new Uint32Array(values.length);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const s = values[i];
    if (typeof s !== 'string' || !s.isWellFormed()) return undefined;
    lengths[i] = Buffer.byteLength(s, 'utf8');
    size += lengths[i];
  }
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (let i = 0; i < values.length; i++) at += bytes.write(values[i] as string, at, lengths[i], 'utf8');
  return { bytes, lengths };
}

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

/** Strings as their bytes one after the other, and each one's byte length. */
export interface Utf8Chunk {
  bytes: Uint8Array;
  lengths: Uint32Array;
}

/** Items whose lengths are added between two looks at the clock (Turns.pass). */
const SLICE = 64 * STRIDE;

/**
 * The strings of `chunk`, their byte offsets found a slice at a time with `turns` between.
 * Throws a RangeError if the lengths add up to more than the bytes.
 */
export async function utf8Strings(chunk: Utf8Chunk, turns: Turns): Promise<Utf8Strings> {
  const { bytes, lengths } = chunk;
  const n = lengths.length;
  const offsets = new Float64Array(Math.ceil(n / STRIDE));
  let at = 0;
  for (let s = 0; s < n; s += SLICE) {
    const end = Math.min(n, s + SLICE);
    for (let i = s; i < end; i++) {
      if (i % STRIDE === 0) offsets[i / STRIDE] = at;
      at += lengths[i];
    }
    await turns.pass();
  }
  if (at > bytes.byteLength) throw new RangeError(`string lengths add up to ${at} bytes, beyond their ${bytes.byteLength}`);
  return new Utf8Strings(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), lengths, offsets);
}

/** Strings read by index from their UTF-8 bytes: made by `utf8Strings`. */
export class Utf8Strings implements ListSource<string> {
  readonly length: number;
  // where the last read ended, so that reading in order costs one addition per string
  private lastIndex = -1;
  private lastEnd = 0;

  /** `offsets`: the byte offset of string k * STRIDE in `text`. */
  constructor(private readonly text: Buffer, private readonly lengths: Uint32Array, private readonly offsets: Float64Array) {
    this.length = lengths.length;
  }

  /** String `i` (0 <= i < length). */
  at(i: number): string {
    let start: number;
    if (i === this.lastIndex + 1) start = this.lastEnd;
    else {
      const s = i - (i % STRIDE);
      start = this.offsets[s / STRIDE];
      for (let m = s; m < i; m++) start += this.lengths[m];
    }
    const end = start + this.lengths[i];
    this.lastIndex = i;
    this.lastEnd = end;
    return this.text.toString('utf8', start, end);
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

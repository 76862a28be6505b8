import { joinInTurns } from './predict-in-blocks.js';

/**
 * A request body's chunks gathered into one Buffer. When the client declared its size
 * (Content-Length, which Node's HTTP parser holds the body to), each chunk is copied into a
 * buffer of that size as it arrives: copying a 16 MB body at its end (Buffer.concat) held the
 * event loop 50-60 ms of CPU on a 2-core machine, most of it the first touch of 16 MB of fresh
 * memory (page faults), which arriving chunks spread over the upload's many turns. A body of no
 * declared size (a chunked upload) is joined at its end, a chunk per event-loop turn.
 */
export class BodyBytes {
  private into: Buffer | undefined;
  private chunks: Buffer[] = [];
  /** Bytes gathered so far. */
  size = 0;

  /** `declared`: the Content-Length, a number of bytes already checked against the size limit. */
  constructor(declared: number) {
    // Its own memory, untouched until written: the body-reading thread is handed it without a copy.
    if (Number.isSafeInteger(declared) && declared > 0) this.into = Buffer.allocUnsafeSlow(declared);
  }

  add(chunk: Buffer): void {
    const into = this.into;
    if (into !== undefined && this.size + chunk.length <= into.length) {
      chunk.copy(into, this.size);
    } else {
      // More than declared (the parser does not let this happen): keep what came, as chunks.
      if (into !== undefined) this.chunks.push(into.subarray(0, this.size));
      this.into = undefined;
      this.chunks.push(chunk);
    }
    this.size += chunk.length;
  }

  /** The body: every chunk added, in order. */
  bytes(): Promise<Buffer> {
    if (this.into !== undefined) return Promise.resolve(this.size === this.into.length ? this.into : this.into.subarray(0, this.size));
    return this.chunks.length === 1 ? Promise.resolve(this.chunks[0]) : joinInTurns(this.chunks);
  }
}

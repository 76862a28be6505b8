import { MlflowError } from '../../errors.js';

const LAZY_FROM = 64 * 1024 * 1024;

/** A decompressor's output: grows by doubling and refuses to pass `cap` bytes. */
export class GrowingOutput {
  buf: Uint8Array;
  len = 0;

  /** `what` names the data in the error, e.g. "model.joblib: decompressed lz4 data". */
  constructor(
    initial: number,
    private readonly cap: number,
    private readonly what: string,
  ) {
    this.buf = new Uint8Array(Math.max(1024, Math.min(initial, cap)));
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    if (need > this.cap) throw new MlflowError(`${this.what} exceeds the limit of ${this.cap} bytes`, 'INVALID_PARAMETER_VALUE');
    let size = this.buf.length;
    while (size < need) size *= 2;
    // Past LAZY_FROM the buffer jumps straight to the cap: a zero-filled allocation that large is
    // mapped lazily, so memory grows only as bytes are written, and a decompression bomb is refused
    // at the cap instead of holding the old buffer and a doubled copy at once.
    if (size > LAZY_FROM) size = this.cap;
    const next = new Uint8Array(Math.min(size, this.cap));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  push(byte: number): void {
    if (this.len === this.buf.length) this.reserve(1);
    this.buf[this.len++] = byte;
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

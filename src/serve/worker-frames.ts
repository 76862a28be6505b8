import { constants as bufferConstants } from 'node:buffer';
import { MlflowError } from '../errors.js';

/**
 * The framing of `mlflow-ts worker`'s protocol on stdin/stdout. Every message, both ways, is
 *
 *     kind: 1 byte (ASCII) | length: u64 little-endian | payload: `length` bytes
 *
 * Kinds: 'A' an Arrow IPC stream (a batch of input columns to the worker, the prediction
 * columns back); 'E' an error, JSON `{"error_code", "message"}` as MLflow's REST errors;
 * 'R' ready, JSON sent once by the worker after it loaded the model (`{"protocol": 1, ...}`).
 */
export const FRAME_KIND = { arrow: 0x41, error: 0x45, ready: 0x52 } as const;

export const FRAME_HEADER_BYTES = 9;

/** The header and payload of one frame, to be written in this order. */
export function encodeFrame(kind: number, payload: Uint8Array): [Buffer, Uint8Array] {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt8(kind, 0);
  header.writeBigUInt64LE(BigInt(payload.byteLength), 1);
  return [header, payload];
}

export function encodeJsonFrame(kind: number, value: unknown): [Buffer, Uint8Array] {
  return encodeFrame(kind, Buffer.from(JSON.stringify(value), 'utf8'));
}

export interface Frame {
  kind: number;
  /** Starts at offset 0 of its own ArrayBuffer, so Arrow can view its columns without a copy. */
  payload: Buffer;
}

/**
 * Reads frames from a byte stream (the worker's stdin). `next()` resolves to undefined at a
 * clean end of stream (between frames) and throws if the stream ends inside a frame.
 */
export class FrameReader {
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(source: AsyncIterable<Buffer | string>) {
    const inner = source[Symbol.asyncIterator]();
    this.chunks = {
      next: async () => {
        const r = await inner.next();
        return r.done ? r : { done: false, value: typeof r.value === 'string' ? Buffer.from(r.value) : r.value };
      },
    };
  }

  async next(): Promise<Frame | undefined> {
    const header = await this.take(FRAME_HEADER_BYTES, true);
    if (header === undefined) return undefined;
    const kind = header.readUInt8(0);
    const length = header.readBigUInt64LE(1);
    if (length > BigInt(bufferConstants.MAX_LENGTH)) {
      throw new MlflowError(`A frame of ${length} bytes is larger than this process can hold`, 'BAD_REQUEST');
    }
    const payload = await this.take(Number(length), false);
    return { kind, payload: payload ?? Buffer.alloc(0) };
  }

  /** Exactly `n` bytes in a fresh buffer; undefined if the stream ends before any byte when `atBoundary`. */
  private async take(n: number, atBoundary: boolean): Promise<Buffer | undefined> {
    while (this.pendingBytes < n) {
      const r = await this.chunks.next();
      if (r.done) {
        if (atBoundary && this.pendingBytes === 0) return undefined;
        throw new MlflowError(`The input ended inside a frame (${this.pendingBytes} of ${n} bytes read)`, 'BAD_REQUEST');
      }
      if (r.value.length === 0) continue;
      this.pending.push(r.value);
      this.pendingBytes += r.value.length;
    }
    // allocUnsafeSlow: never a slice of Node's shared pool, so the payload starts 8-byte aligned.
    const out = Buffer.allocUnsafeSlow(n);
    let filled = 0;
    while (filled < n) {
      const head = this.pending[0];
      const k = Math.min(head.length, n - filled);
      head.copy(out, filled, 0, k);
      filled += k;
      if (k === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(k);
    }
    this.pendingBytes -= n;
    return out;
  }
}

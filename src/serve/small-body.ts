import { IncomingMessage, type ServerResponse } from 'node:http';

/** Bodies up to this size, with a Content-Length and no Content-Encoding, take the small path. */
export const SMALL_BODY_BYTES = 64 * 1024;

/** A request whose small body is gathered without a closure per request (the server's IncomingMessage). */
export class BodyRequest extends IncomingMessage {
  private first: Buffer | undefined;
  private chunks: Buffer[] | undefined;
  private size = 0;
  private whenRead: ((req: BodyRequest, body: Buffer) => void) | undefined;
  /** The response this request is answered with, for `whenRead`. */
  exchange: ServerResponse | undefined;

  /**
   * Whether the body can take the small path: its size is announced, at most SMALL_BODY_BYTES
   * and `limit`, and it needs no inflating. The HTTP parser holds the body to the announced size.
   */
  isSmall(limit: number): boolean {
    const declared = this.headers['content-length'];
    if (declared === undefined || this.headers['content-encoding'] !== undefined) return false;
    const n = Number(declared);
    return n <= SMALL_BODY_BYTES && n <= limit;
  }

  /** Gathers the body, then calls `whenRead` (one function for every request: no closures). */
  readSmall(whenRead: (req: BodyRequest, body: Buffer) => void): void {
    this.whenRead = whenRead;
    this.on('data', onData);
    this.on('end', onEnd);
  }

  /** The body gathered so far, as one Buffer. */
  body(): Buffer {
    return this.chunks ? Buffer.concat(this.chunks, this.size) : (this.first ?? EMPTY);
  }

  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.first === undefined) this.first = chunk;
    else (this.chunks ??= [this.first]).push(chunk);
  }

  done(): void {
    this.whenRead?.(this, this.body());
  }
}

const EMPTY = Buffer.alloc(0);


function onData(this: BodyRequest, chunk: Buffer): void {
  this.add(chunk);
}

function onEnd(this: BodyRequest): void {
  this.done();
}

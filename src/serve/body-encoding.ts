import { promisify } from 'node:util';
import { gunzip, gzip, inflate, brotliDecompress, constants } from 'node:zlib';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const brotliAsync = promisify(brotliDecompress);
const gzipAsync = promisify(gzip);

/** Why a request body could not be decoded, with the HTTP status it gets. */
export class BodyEncodingError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/**
 * A request body as its Content-Encoding (gzip, deflate, br) says, inflated on libuv's thread
 * pool so a large body does not hold the event loop, and never past `limit` bytes: a
 * decompression bomb costs at most the limit.
 */
export async function decodeRequestBody(body: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const name = encoding?.trim().toLowerCase();
  if (name === undefined || name === '' || name === 'identity') return body;
  const options = { maxOutputLength: Math.max(1, limit) };
  try {
    if (name === 'gzip' || name === 'x-gzip') return await gunzipAsync(body, options);
    if (name === 'deflate') return await inflateAsync(body, options);
    if (name === 'br') return await brotliAsync(body, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BodyEncodingError(`The decompressed request body is larger than the limit of ${limit} bytes`, 413);
    }
    throw new BodyEncodingError(`The request body is not valid ${name} data: ${(err as Error).message}`, 400);
  }
  throw new BodyEncodingError(`Content-Encoding '${encoding}' is not supported; use gzip, deflate, br or none`, 415);
}

/** Answers smaller than this go uncompressed: gzip's header would cost more than it saves. */
const MIN_COMPRESSED_BYTES = 1024;

/** Whether the client takes gzip (Accept-Encoding names it with a non-zero q). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  for (const part of acceptEncoding.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** The body gzip-compressed when it is worth it, else undefined. */
export async function compressAnswer(body: string | Buffer): Promise<Buffer | undefined> {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size < MIN_COMPRESSED_BYTES) return undefined;
  // Level 1: scoring answers are numbers, which compress well already at the fastest level.
  return await gzipAsync(body, { level: constants.Z_BEST_SPEED });
}

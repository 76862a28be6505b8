import { snappyUncompressor } from 'hysnappy';
import { MlflowError } from '../../errors.js';

// One WebAssembly instance for the process: hysnappy's snappyUncompress compiles a new one per call.
let uncompress: ((input: Uint8Array, outputLength: number) => Uint8Array) | undefined;

/**
 * Decompresses one raw Snappy block (github.com/google/snappy format_description.txt) with
 * hysnappy, the maintained decoder hyparquet-compressors uses. hysnappy sizes its memory by the
 * length we pass but writes as many bytes as the block's own varint header says, so the header is
 * read and bounded here first: corrupt input fails with an error naming `what` before anything
 * is allocated.
 */
export function snappyDecompress(src: Uint8Array, what: string): Uint8Array {
  const fail = (why: string): never => {
    throw new MlflowError(`${what}: corrupt Snappy block (${why})`, 'INVALID_PARAMETER_VALUE');
  };
  let pos = 0;
  let outLen = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) fail('bad length header');
    const b = src[pos++];
    outLen += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  // A copy element (at least 2 bytes) yields at most 64 bytes: a larger claim is corrupt, and
  // must not make us allocate it.
  if (outLen > 32 * src.length + 64) fail(`claims ${outLen} bytes from ${src.length}`);
  uncompress ??= snappyUncompressor();
  try {
    return uncompress(src, outLen);
  } catch (e) {
    return fail((e as Error).message);
  }
}

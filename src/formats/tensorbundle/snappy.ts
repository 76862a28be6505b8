import { MlflowError } from '../../errors.js';

/**
 * Decompresses one raw Snappy block (github.com/google/snappy format_description.txt): a varint
 * uncompressed length, then literals and back-references. Every length and offset is checked
 * against the buffers, so corrupt input fails with an error naming `what`.
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
  const out = new Uint8Array(outLen);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const n = len - 59;
        if (pos + n > src.length) fail('truncated literal length');
        len = 0;
        for (let i = 0; i < n; i++) len += src[pos + i] * 2 ** (8 * i);
        pos += n;
      }
      len += 1;
      if (pos + len > src.length || o + len > outLen) fail('literal out of bounds');
      out.set(src.subarray(pos, pos + len), o);
      pos += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (pos + 1 > src.length) fail('truncated copy');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[pos++];
    } else if (kind === 2) {
      if (pos + 2 > src.length) fail('truncated copy');
      len = (tag >>> 2) + 1;
      offset = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else {
      if (pos + 4 > src.length) fail('truncated copy');
      len = (tag >>> 2) + 1;
      offset = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16)) + src[pos + 3] * 2 ** 24;
      pos += 4;
    }
    if (offset === 0 || offset > o || o + len > outLen) fail('copy out of bounds');
    // Byte by byte: a copy may overlap its own output (a run).
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset];
  }
  if (o !== outLen) fail(`expected ${outLen} bytes, got ${o}`);
  return out;
}

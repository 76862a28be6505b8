import { MlflowError } from '../../errors.js';
import { GrowingOutput } from './growing-output.js';

const FRAME_MAGIC = 0x184d2204;

/**
 * Decodes the LZ4 frame format (what python-lz4's lz4.frame, and so joblib, write): one or more
 * frames of blocks, compressed or stored, with optional checksums that are skipped, not verified.
 */
export function decompressLz4Frame(input: Uint8Array, maxBytes: number, source: string): Uint8Array {
  const bad = (what: string): never => {
    throw new MlflowError(`${source}: corrupt lz4 data: ${what}`, 'INVALID_PARAMETER_VALUE');
  };
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const out = new GrowingOutput(input.length * 4, maxBytes, `${source}: decompressed lz4 data`);
  let p = 0;
  const u32 = (): number => {
    if (p + 4 > input.length) bad('truncated');
    const x = view.getUint32(p, true);
    p += 4;
    return x;
  };
  while (p < input.length) {
    const magic = u32();
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      p += u32(); // skippable frame
      continue;
    }
    if (magic !== FRAME_MAGIC) bad('bad frame magic');
    if (p + 2 > input.length) bad('truncated header');
    const flg = input[p];
    p += 2; // FLG, BD
    if (flg >> 6 !== 1) bad('unsupported frame version');
    const blockChecksum = (flg & 0x10) !== 0;
    if (flg & 0x08) p += 8; // content size
    if (flg & 0x01) bad('dictionaries are not supported');
    p += 1; // header checksum
    for (;;) {
      const word = u32();
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (p + size > input.length) bad('block runs past the end of the input');
      const block = input.subarray(p, p + size);
      p += size;
      if (word & 0x80000000) {
        out.reserve(size);
        out.buf.set(block, out.len);
        out.len += size;
      } else decodeBlock(block, out, bad);
      if (blockChecksum) p += 4;
    }
    if (flg & 0x04) p += 4; // content checksum
  }
  return out.result();
}

/** One LZ4 block; matches may reach back into earlier blocks (linked blocks). */
function decodeBlock(src: Uint8Array, out: GrowingOutput, bad: (what: string) => never): void {
  let i = 0;
  while (i < src.length) {
    const token = src[i++];
    let lit = token >> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (i >= src.length) bad('truncated literal length');
        b = src[i++];
        lit += b;
      } while (b === 255);
    }
    if (i + lit > src.length) bad('literals run past the block');
    out.reserve(lit);
    out.buf.set(src.subarray(i, i + lit), out.len);
    out.len += lit;
    i += lit;
    if (i >= src.length) break; // the last sequence has literals only
    if (i + 2 > src.length) bad('truncated match offset');
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    if (offset === 0 || offset > out.len) bad('match offset out of range');
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (i >= src.length) bad('truncated match length');
        b = src[i++];
        len += b;
      } while (b === 255);
    }
    out.reserve(len);
    const buf = out.buf;
    let from = out.len - offset;
    let to = out.len;
    // byte by byte: a match may overlap the bytes it produces
    for (let k = 0; k < len; k++) buf[to++] = buf[from++];
    out.len = to;
  }
}

import { MlflowError } from '../../errors.js';
import { crc32c, maskCrc } from './crc32c.js';
import { snappyDecompress } from './snappy.js';

/** 0xdb4775248b80fb57, little-endian: the last 8 bytes of every LevelDB-format table. */
const MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb];
const FOOTER_SIZE = 48;
const BLOCK_TRAILER_SIZE = 5;

interface Cursor { pos: number }

function readVarint(buf: Uint8Array, cur: Cursor, what: string): number {
  let v = 0;
  for (let shift = 0; shift < 64; shift += 7) {
    if (cur.pos >= buf.length) break;
    const b = buf[cur.pos++];
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      if (v > Number.MAX_SAFE_INTEGER) break;
      return v;
    }
  }
  throw new MlflowError(`${what}: bad varint at byte ${cur.pos}`, 'INVALID_PARAMETER_VALUE');
}

interface BlockHandle { offset: number; size: number }

function readHandle(buf: Uint8Array, cur: Cursor, what: string): BlockHandle {
  return { offset: readVarint(buf, cur, what), size: readVarint(buf, cur, what) };
}

/** A block's contents, its checksum verified and Snappy undone. */
function readBlock(file: Uint8Array, h: BlockHandle, what: string): Uint8Array {
  const end = h.offset + h.size;
  if (end + BLOCK_TRAILER_SIZE > file.length) {
    throw new MlflowError(`${what}: block at ${h.offset} runs past the end of the file`, 'INVALID_PARAMETER_VALUE');
  }
  const contents = file.subarray(h.offset, end);
  const type = file[end];
  const stored = new DataView(file.buffer, file.byteOffset + end + 1, 4).getUint32(0, true);
  if (maskCrc(crc32c(file.subarray(end, end + 1), crc32c(contents))) !== stored) {
    throw new MlflowError(`${what}: checksum mismatch in block at ${h.offset}`, 'INVALID_PARAMETER_VALUE');
  }
  if (type === 0) return contents;
  if (type === 1) return snappyDecompress(contents, `${what} block at ${h.offset}`);
  throw new MlflowError(`${what}: block at ${h.offset} has unknown compression type ${type}`, 'INVALID_PARAMETER_VALUE');
}

/** A block's key/value entries in order (keys are prefix-compressed against the previous key). */
function blockEntries(block: Uint8Array, what: string): [Uint8Array, Uint8Array][] {
  if (block.length < 4) throw new MlflowError(`${what}: block too short`, 'INVALID_PARAMETER_VALUE');
  const view = new DataView(block.buffer, block.byteOffset, block.length);
  const numRestarts = view.getUint32(block.length - 4, true);
  const limit = block.length - 4 * (numRestarts + 1);
  if (limit < 0) throw new MlflowError(`${what}: bad restart count ${numRestarts}`, 'INVALID_PARAMETER_VALUE');
  const out: [Uint8Array, Uint8Array][] = [];
  let prev = new Uint8Array(0);
  const cur = { pos: 0 };
  while (cur.pos < limit) {
    const shared = readVarint(block, cur, what);
    const nonShared = readVarint(block, cur, what);
    const valueLen = readVarint(block, cur, what);
    if (shared > prev.length || cur.pos + nonShared + valueLen > limit) {
      throw new MlflowError(`${what}: corrupt entry at byte ${cur.pos}`, 'INVALID_PARAMETER_VALUE');
    }
    const key = new Uint8Array(shared + nonShared);
    key.set(prev.subarray(0, shared));
    key.set(block.subarray(cur.pos, cur.pos + nonShared), shared);
    cur.pos += nonShared;
    out.push([key, block.subarray(cur.pos, cur.pos + valueLen)]);
    cur.pos += valueLen;
    prev = key;
  }
  return out;
}

/**
 * Reads every entry of a LevelDB-format table (the format of TensorFlow's `variables.index`):
 * footer -> index block -> data blocks, each block CRC-32C checked, uncompressed or Snappy.
 */
export function readSsTable(file: Uint8Array, what: string): [Uint8Array, Uint8Array][] {
  if (file.length < FOOTER_SIZE || MAGIC.some((b, i) => file[file.length - 8 + i] !== b)) {
    throw new MlflowError(`${what} is not a TensorFlow checkpoint index (no table magic number)`, 'INVALID_PARAMETER_VALUE');
  }
  const footer = file.subarray(file.length - FOOTER_SIZE);
  const cur = { pos: 0 };
  readHandle(footer, cur, what); // metaindex: unused (no filter blocks in checkpoints)
  const index = readHandle(footer, cur, what);
  const out: [Uint8Array, Uint8Array][] = [];
  for (const [, handleBytes] of blockEntries(readBlock(file, index, what), what)) {
    const h = readHandle(handleBytes, { pos: 0 }, what);
    out.push(...blockEntries(readBlock(file, h, what), what));
  }
  return out;
}

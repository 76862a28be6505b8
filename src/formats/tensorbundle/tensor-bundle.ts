import { open, readFile } from 'node:fs/promises';
import { MlflowError } from '../../errors.js';
import {
  DT, dataTypeName, decodeTensorflowMessage, type BundleEntryProto, type BundleHeaderProto,
} from '../protobuf/tensorflow.js';
import { crc32c, maskCrc } from './crc32c.js';
import { readSsTable } from './sstable.js';
import { decodeRawValues, type TfTensor } from './tensor-values.js';

/**
 * A TensorFlow checkpoint (TensorBundle): `<prefix>.index`, an SSTable from tensor key to
 * BundleEntryProto, and `<prefix>.data-NNNNN-of-MMMMM` shards holding the bytes.
 */
export class TensorBundle {
  private constructor(
    readonly prefix: string,
    readonly header: BundleHeaderProto,
    private readonly entries: Map<string, BundleEntryProto>,
  ) {}

  /** Opens the bundle whose files start with `prefix` (e.g. `<saved model>/variables/variables`). */
  static async open(prefix: string): Promise<TensorBundle> {
    const indexPath = `${prefix}.index`;
    let file: Uint8Array;
    try {
      file = await readFile(indexPath);
    } catch (err) {
      throw new MlflowError(`Cannot read checkpoint index '${indexPath}': ${(err as Error).message}`, 'RESOURCE_DOES_NOT_EXIST');
    }
    const decoder = new TextDecoder('utf-8', { fatal: false });
    let header: BundleHeaderProto | undefined;
    const entries = new Map<string, BundleEntryProto>();
    for (const [k, v] of readSsTable(file, indexPath)) {
      const key = decoder.decode(k);
      if (key === '') header = decodeTensorflowMessage<BundleHeaderProto>('BundleHeaderProto', v, `${indexPath} header`);
      else entries.set(key, decodeTensorflowMessage<BundleEntryProto>('BundleEntryProto', v, `${indexPath} entry '${key}'`));
    }
    if (!header) throw new MlflowError(`${indexPath} has no bundle header`, 'INVALID_PARAMETER_VALUE');
    if (header.endianness !== 0) {
      throw new MlflowError(`${indexPath}: big-endian checkpoints are not supported`, 'NOT_IMPLEMENTED');
    }
    return new TensorBundle(prefix, header, entries);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  entry(key: string): BundleEntryProto | undefined {
    return this.entries.get(key);
  }

  /** Reads one tensor, verifying its CRC-32C. */
  async read(key: string): Promise<TfTensor> {
    const e = this.entries.get(key);
    const what = `checkpoint tensor '${key}' of ${this.prefix}`;
    if (!e) throw new MlflowError(`${what} does not exist`, 'RESOURCE_DOES_NOT_EXIST');
    if (e.slices.length > 0) throw new MlflowError(`${what} is a partitioned (sliced) variable, which is not supported`, 'NOT_IMPLEMENTED');
    const shape = (e.shape?.dim ?? []).map((d) => d.size);
    const count = shape.reduce((a, b) => a * b, 1);
    const bytes = await this.readShard(e, what);
    if (e.dtype === DT.STRING) return { dtype: e.dtype, shape, values: decodeStrings(bytes, count, e.crc32c, what) };
    if (maskCrc(crc32c(bytes)) !== e.crc32c) throw new MlflowError(`${what}: checksum mismatch`, 'INVALID_PARAMETER_VALUE');
    return { dtype: e.dtype, shape, values: decodeRawValues(e.dtype, bytes, count, what) };
  }

  private async readShard(e: BundleEntryProto, what: string): Promise<Uint8Array> {
    const n = this.header.numShards;
    if (e.shardId < 0 || e.shardId >= n) throw new MlflowError(`${what}: shard ${e.shardId} of ${n}`, 'INVALID_PARAMETER_VALUE');
    const path = `${this.prefix}.data-${String(e.shardId).padStart(5, '0')}-of-${String(n).padStart(5, '0')}`;
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw new MlflowError(`Cannot read checkpoint data '${path}': ${(err as Error).message}`, 'RESOURCE_DOES_NOT_EXIST');
    }
    try {
      const { size } = await fh.stat();
      if (e.offset + e.size > size) throw new MlflowError(`${what}: '${path}' is truncated`, 'INVALID_PARAMETER_VALUE');
      const buf = new Uint8Array(e.size);
      const { bytesRead } = await fh.read(buf, 0, e.size, e.offset);
      if (bytesRead !== e.size) throw new MlflowError(`${what}: '${path}' is truncated`, 'INVALID_PARAMETER_VALUE');
      return buf;
    } finally {
      await fh.close();
    }
  }
}

/**
 * DT_STRING layout: N varint64 lengths, a masked CRC of the lengths (each hashed as uint32 LE, or
 * uint64 when it does not fit), then the bytes. The entry's CRC runs over the hashed lengths, the
 * length checksum and the bytes.
 */
function decodeStrings(buf: Uint8Array, count: number, entryCrc: number, what: string): Uint8Array[] {
  const bad = (why: string): never => {
    throw new MlflowError(`${what}: corrupt string tensor (${why})`, 'INVALID_PARAMETER_VALUE');
  };
  let pos = 0;
  let crc = 0;
  const lengths: number[] = [];
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= buf.length || shift > 49) bad('length');
      const b = buf[pos++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    lengths.push(v);
    const wide = v > 0xffffffff;
    const le = new Uint8Array(wide ? 8 : 4);
    const dv = new DataView(le.buffer);
    if (wide) dv.setBigUint64(0, BigInt(v), true);
    else dv.setUint32(0, v, true);
    crc = crc32c(le, crc);
  }
  if (pos + 4 > buf.length) bad('no length checksum');
  const lengthCrc = buf.subarray(pos, pos + 4);
  if (new DataView(buf.buffer, buf.byteOffset + pos, 4).getUint32(0, true) !== maskCrc(crc)) bad('length checksum');
  crc = crc32c(lengthCrc, crc);
  pos += 4;
  const out: Uint8Array[] = [];
  for (const len of lengths) {
    if (pos + len > buf.length) bad('truncated');
    const s = buf.subarray(pos, pos + len);
    crc = crc32c(s, crc);
    out.push(s.slice());
    pos += len;
  }
  if (maskCrc(crc) !== entryCrc) bad(`checksum mismatch for ${dataTypeName(DT.STRING)} data`);
  return out;
}

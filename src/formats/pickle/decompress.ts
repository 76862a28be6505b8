import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import type * as Fflate from 'fflate';
import { MlflowError } from '../../errors.js';
import { decompressBzip2 } from './bzip2.js';
import { GrowingOutput } from './growing-output.js';
import { decompressLz4Frame } from './lz4-frame.js';
import { decompressLzmaAlone, decompressXz } from './lzma.js';

export type Compression = 'zlib' | 'gzip' | 'bz2' | 'xz' | 'lzma' | 'lz4';

/** joblib's compressors, told apart by their first bytes as joblib itself does. */
const MAGIC: [Compression, number[]][] = [
  ['zlib', [0x78]],
  ['gzip', [0x1f, 0x8b]],
  ['bz2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a]],
  ['lzma', [0x5d, 0x00]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
];

export function detectCompression(bytes: Uint8Array): Compression | undefined {
  for (const [name, magic] of MAGIC) {
    if (magic.every((b, i) => bytes[i] === b)) return name;
  }
  return undefined;
}

/**
 * zlib and gzip are inflated as a stream into one GrowingOutput, so the limit holds on the bytes
 * as they come: node's inflateSync with maxOutputLength gathers chunks up to the limit and then
 * copies them, twice the limit for a bomb.
 */
function inflateStream(make: (ondata: (chunk: Uint8Array) => void) => { push(chunk: Uint8Array, final: boolean): void }, kind: Compression) {
  return (bytes: Uint8Array, maxBytes: number, source: string): Uint8Array => {
    const out = new GrowingOutput(bytes.length * 4, maxBytes, `${source}: decompressed ${kind} data`);
    const stream = make((chunk) => out.append(chunk));
    for (let i = 0; i < bytes.length; i += STREAM_CHUNK) stream.push(bytes.subarray(i, i + STREAM_CHUNK), i + STREAM_CHUNK >= bytes.length);
    return out.result();
  };
}

// Small, since one compressed chunk can inflate 1,000-fold in a single call.
const STREAM_CHUNK = 1 << 12;

/** fflate does not read the gzip trailer; a file cut short there must still be refused as corrupt. */
function checkGzipTrailer(bytes: Uint8Array, out: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength;
  if (n < 18 || view.getUint32(n - 4, true) !== out.byteLength % 2 ** 32 || view.getUint32(n - 8, true) !== crc32(out)) {
    throw new Error('the gzip trailer (CRC-32 and size) does not match the data');
  }
  return out;
}

/** fflate, loaded by the first zlib or gzip file rather than with every model (start-up time). */
const fflate = (): typeof Fflate => createRequire(import.meta.url)('fflate') as typeof Fflate;

const DECODERS: Record<Compression, (bytes: Uint8Array, maxBytes: number, source: string) => Uint8Array> = {
  zlib: inflateStream((ondata) => new (fflate().Unzlib)(ondata), 'zlib'),
  gzip: (bytes, maxBytes, source) => checkGzipTrailer(bytes, inflateStream((ondata) => new (fflate().Gunzip)(ondata), 'gzip')(bytes, maxBytes, source)),
  bz2: decompressBzip2,
  lz4: decompressLz4Frame,
  lzma: decompressLzmaAlone,
  xz: decompressXz,
};

/** Inflates a compressed joblib file, never beyond `maxBytes`. */
export function decompress(bytes: Uint8Array, kind: Compression, maxBytes: number, source: string): Uint8Array {
  try {
    return DECODERS[kind](bytes, maxBytes, source);
  } catch (e) {
    if (e instanceof MlflowError) throw e;
    const tooBig = e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new MlflowError(
      tooBig ? `${source}: decompressed ${kind} data exceeds the limit of ${maxBytes} bytes` : `${source}: corrupt ${kind} data: ${(e as Error).message}`,
      'INVALID_PARAMETER_VALUE',
      { cause: e },
    );
  }
}

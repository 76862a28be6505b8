import { gunzipSync, inflateSync } from 'node:zlib';
import { MlflowError } from '../../errors.js';
import { decompressBzip2 } from './bzip2.js';
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

const zlibOptions = (maxBytes: number): { maxOutputLength: number } => ({ maxOutputLength: Math.min(maxBytes, 2 ** 32 - 1) });

const DECODERS: Record<Compression, (bytes: Uint8Array, maxBytes: number, source: string) => Uint8Array> = {
  zlib: (bytes, maxBytes) => inflateSync(bytes, zlibOptions(maxBytes)),
  gzip: (bytes, maxBytes) => gunzipSync(bytes, zlibOptions(maxBytes)),
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

import { createRequire } from 'node:module';
import type Bunzip from 'seek-bzip';
import { MlflowError } from '../../errors.js';
import { GrowingOutput } from './growing-output.js';

/** Decodes bzip2 (all streams) with seek-bzip, refusing to produce more than `maxBytes`. */
export function decompressBzip2(input: Uint8Array, maxBytes: number, source: string): Uint8Array {
  let pos = 0;
  const inputStream = {
    readByte(): number {
      if (pos >= input.length) throw new MlflowError(`${source}: corrupt bz2 data: unexpected end of input`, 'INVALID_PARAMETER_VALUE');
      return input[pos++];
    },
    read(into: Uint8Array, offset: number, length: number): number {
      const n = Math.min(length, input.length - pos);
      into.set(input.subarray(pos, pos + n), offset);
      pos += n;
      return n === 0 ? -1 : n;
    },
    seek(p: number): void {
      pos = p;
    },
    eof(): boolean {
      return pos >= input.length;
    },
  };
  const out = new GrowingOutput(input.length * 8, maxBytes, `${source}: decompressed bz2 data`);
  const outputStream = { writeByte: (byte: number): void => out.push(byte) };
  try {
    // Loaded by the first bz2 file, not with every model (start-up time); CommonJS, so synchronously.
    (createRequire(import.meta.url)('seek-bzip') as typeof Bunzip).decode(inputStream, outputStream, true);
  } catch (e) {
    if (e instanceof MlflowError) throw e;
    throw new MlflowError(`${source}: corrupt bz2 data: ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: e });
  }
  return out.result();
}

import { readFile, stat } from 'node:fs/promises';
import { MlflowError, NotSupportedNativelyError } from '../../errors.js';
import { decompress, detectCompression } from './decompress.js';
import { readJoblib } from './joblib.js';
import { DEFAULT_MAX_BYTES, type PickleOptions } from './reader.js';

/** The largest model file, decompressed, that the reader accepts: MLFLOW_TS_MAX_MODEL_BYTES, else 2 GiB. */
export function maxModelBytes(): number {
  const raw = process.env.MLFLOW_TS_MAX_MODEL_BYTES;
  if (raw === undefined || raw === '') return DEFAULT_MAX_BYTES;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new MlflowError(`MLFLOW_TS_MAX_MODEL_BYTES must be a positive whole number of bytes, not '${raw}'`, 'INVALID_PARAMETER_VALUE');
  }
  return n;
}

/**
 * Reads a pickle file as Python's pickle, joblib or cloudpickle wrote it: compressed joblib files
 * are recognised by their magic bytes. Every stream is read by the joblib reader, which differs
 * from the plain one only where the pickle names joblib's array wrapper class (a name only a
 * joblib stream holds), so the file is not searched for that name first (a pass over the whole
 * file, 70-290 ms for a 37 MB forest).
 */
export async function loadPickleFile(path: string, options: PickleOptions): Promise<unknown> {
  const maxBytes = options.maxBytes ?? maxModelBytes();
  const source = options.source ?? path;
  let bytes: Uint8Array;
  try {
    const { size } = await stat(path);
    if (size > maxBytes) throw new MlflowError(`${source}: file of ${size} bytes exceeds the limit of ${maxBytes} bytes`, 'INVALID_PARAMETER_VALUE');
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof MlflowError) throw e;
    throw new MlflowError(`Cannot read pickle file ${path}: ${(e as Error).message}`, 'RESOURCE_DOES_NOT_EXIST', { cause: e });
  }
  // joblib < 0.10 wrote 'ZF' + a zlib stream per array into side files
  if (bytes[0] === 0x5a && bytes[1] === 0x46) {
    throw new NotSupportedNativelyError(`${source}: this file uses the compressed format of joblib < 0.10, which mlflow-ts cannot read natively; re-save it with a recent joblib`);
  }
  const compression = detectCompression(bytes);
  if (compression) bytes = decompress(bytes, compression, maxBytes, source);
  const opts = { ...options, source };
  return readJoblib(bytes, opts);
}

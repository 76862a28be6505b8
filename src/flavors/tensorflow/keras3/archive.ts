import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { MlflowError } from '../../../errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** What Keras's saving_lib puts in a `.keras` zip that a native load needs. */
export interface KerasArchive {
  config: Json;
  /** metadata.json's keras_version, when there is one. */
  kerasVersion: string | undefined;
  /** The bytes of model.weights.h5. */
  weights: Uint8Array;
}

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS = 'model.weights.h5';
const NPZ_WEIGHTS = 'model.weights.npz';
/** Larger members are refused before inflating: a zip's declared size is all we know up front. */
const MAX_MEMBER_BYTES = 2 ** 31 - 1;

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

function isZip(head: Uint8Array): boolean {
  return ZIP_MAGIC.every((b, i) => head[i] === b);
}

function parseJson(bytes: Uint8Array, file: string, member: string): Json {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as Json;
  } catch (err) {
    throw new MlflowError(`${file}: ${member} is not JSON: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
}

/** Reads a Keras 3 (or Keras 2.13+) `.keras` zip archive. */
export async function readKerasArchive(file: string): Promise<KerasArchive> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new MlflowError(`Cannot read Keras model ${file}: ${(err as Error).message}`, 'RESOURCE_DOES_NOT_EXIST');
  }
  if (!isZip(bytes)) throw new MlflowError(`${file} is neither a Keras zip archive nor an HDF5 file`, 'INVALID_PARAMETER_VALUE');
  const seen = new Set<string>();
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, {
      filter: (f) => {
        seen.add(f.name);
        if (f.name !== CONFIG && f.name !== METADATA && f.name !== WEIGHTS) return false;
        if (f.originalSize > MAX_MEMBER_BYTES) throw new Error(`${f.name} declares ${f.originalSize} bytes, more than this loader reads`);
        return true;
      },
    });
  } catch (err) {
    throw new MlflowError(`${file} is not a readable Keras archive: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  if (!(CONFIG in members)) throw new MlflowError(`${file} has no ${CONFIG}: not a Keras model archive`, 'INVALID_PARAMETER_VALUE');
  if (!(WEIGHTS in members)) {
    if (seen.has(NPZ_WEIGHTS)) {
      throw new MlflowError(`${file} stores its weights as ${NPZ_WEIGHTS}, which is not supported natively. Use --runtime python.`, 'NOT_IMPLEMENTED');
    }
    throw new MlflowError(`${file} has no ${WEIGHTS}: the archive is incomplete`, 'INVALID_PARAMETER_VALUE');
  }
  const metadata = METADATA in members ? parseJson(members[METADATA], file, METADATA) : null;
  const version = metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) ? metadata.keras_version : undefined;
  return {
    config: parseJson(members[CONFIG], file, CONFIG),
    kerasVersion: typeof version === 'string' ? version : undefined,
    weights: members[WEIGHTS],
  };
}

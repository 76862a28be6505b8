import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';

/**
 * Reads every `part-*.parquet` file of `<stageDir>/<sub>` (Spark writes one per partition) as
 * plain rows, in file order. INT64 values come out of hyparquet as BigInt; they become numbers
 * here (counts and sizes, far below 2^53). A file that cannot be read is named in the error.
 */
export async function readDataRows(stageDir: string, sub = 'data'): Promise<Record<string, unknown>[]> {
  const dir = path.join(stageDir, sub);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new MlflowError(`${dir} does not exist: the Spark ML model is incomplete`, 'RESOURCE_DOES_NOT_EXIST');
  }
  const files = names.filter((n) => n.startsWith('part-') && n.endsWith('.parquet')).sort();
  if (files.length === 0) throw new MlflowError(`${dir} holds no parquet part file`, 'RESOURCE_DOES_NOT_EXIST');
  // Loaded here, not at the top: registering the spark flavor must not cost every import of mlflow-ts.
  const [{ parquetMetadata, parquetReadObjects }, { compressors }] = await Promise.all([import('hyparquet'), import('hyparquet-compressors')]);
  const rows: Record<string, unknown>[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    const bytes = await readFile(file);
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    let part: Record<string, unknown>[];
    try {
      parquetMetadata(buf);
      part = (await parquetReadObjects({ file: buf, compressors })) as Record<string, unknown>[];
    } catch (e) {
      throw new MlflowError(`${file} is not a readable parquet file: ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE');
    }
    for (const r of part) rows.push(plain(r) as Record<string, unknown>);
  }
  return rows;
}

/** The single row a model's `data/` holds (most stages write exactly one). */
export async function readDataRow(stageDir: string): Promise<Record<string, unknown>> {
  const rows = await readDataRows(stageDir);
  if (rows.length !== 1) throw new MlflowError(`${path.join(stageDir, 'data')} holds ${rows.length} rows; one was expected`, 'INVALID_PARAMETER_VALUE');
  return rows[0];
}

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !ArrayBuffer.isView(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

/** A field of a data row, checked to be present. */
export function field(row: Record<string, unknown>, name: string, where: string): unknown {
  if (!Object.hasOwn(row, name)) throw new MlflowError(`${where}: data has no field '${name}'`, 'INVALID_PARAMETER_VALUE');
  return row[name];
}

export function numberField(row: Record<string, unknown>, name: string, where: string): number {
  const v = field(row, name, where);
  if (typeof v !== 'number') throw new MlflowError(`${where}: data field '${name}' is not a number`, 'INVALID_PARAMETER_VALUE');
  return v;
}

export function numberArrayField(row: Record<string, unknown>, name: string, where: string): number[] {
  const v = field(row, name, where);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) {
    throw new MlflowError(`${where}: data field '${name}' is not a list of numbers`, 'INVALID_PARAMETER_VALUE');
  }
  return v as number[];
}

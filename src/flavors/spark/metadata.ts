import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';

/** A Spark ML stage's `metadata/` file: its class, uid, version and params. */
export interface StageMetadata {
  readonly className: string;
  readonly uid: string;
  readonly sparkVersion: string;
  /** The stage's directory (the one holding `metadata/`). */
  readonly dir: string;
  /** The whole JSON object, for class-specific keys (numFeatures, numTrees, numClasses...). */
  readonly raw: Record<string, unknown>;
  readonly params: Params;
}

/**
 * Reads `<dir>/metadata`: one JSON line, in `part-00000` for Spark <= 3.5 (RDD.saveAsTextFile)
 * and `part-00000-<uuid>-c000.txt` for Spark 4 (a DataFrame text writer), so any `part-*` file
 * that is not a checksum is taken.
 */
export async function readMetadata(dir: string): Promise<StageMetadata> {
  const metaDir = path.join(dir, 'metadata');
  let names: string[];
  try {
    names = await readdir(metaDir);
  } catch {
    throw new MlflowError(`${metaDir} does not exist: not a saved Spark ML model directory`, 'RESOURCE_DOES_NOT_EXIST');
  }
  const parts = names.filter((n) => n.startsWith('part-') && !n.endsWith('.crc')).sort();
  for (const name of parts) {
    const file = path.join(metaDir, name);
    const line = (await readFile(file, 'utf8')).split('\n').find((l) => l.trim() !== '');
    if (line !== undefined) return parseMetadata(line, file, dir);
  }
  throw new MlflowError(`${metaDir} holds no metadata part file`, 'RESOURCE_DOES_NOT_EXIST');
}

function parseMetadata(line: string, file: string, dir: string): StageMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    throw new MlflowError(`${file} is not valid Spark ML metadata JSON: ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  if (typeof raw !== 'object' || raw === null || typeof (raw as { class?: unknown }).class !== 'string') {
    throw new MlflowError(`${file} is not Spark ML metadata: it has no "class"`, 'INVALID_PARAMETER_VALUE');
  }
  const obj = raw as Record<string, unknown>;
  // Spark < 2.4 wrote every param in paramMap; later versions split user-set and default ones.
  const set = asObject(obj.paramMap);
  const defaults = asObject(obj.defaultParamMap);
  return {
    className: obj.class as string,
    uid: String(obj.uid ?? ''),
    sparkVersion: String(obj.sparkVersion ?? ''),
    dir,
    raw: obj,
    params: new Params(set, defaults, `${obj.class as string} (${file})`),
  };
}

function asObject(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * A stage's params: the user-set value, else the default. Spark's JSON writes doubles ±∞ and NaN
 * as the strings "Inf", "-Inf" and "NaN" (e.g. Bucketizer splits), which the number getters decode.
 */
export class Params {
  constructor(
    private readonly set: Record<string, unknown>,
    private readonly defaults: Record<string, unknown>,
    readonly where: string,
  ) {}

  has(name: string): boolean {
    return Object.hasOwn(this.set, name) || Object.hasOwn(this.defaults, name);
  }

  isSet(name: string): boolean {
    return Object.hasOwn(this.set, name);
  }

  get(name: string): unknown {
    if (Object.hasOwn(this.set, name)) return this.set[name];
    return Object.hasOwn(this.defaults, name) ? this.defaults[name] : undefined;
  }

  private bad(name: string, what: string): MlflowError {
    return new MlflowError(`${this.where}: param '${name}' is ${this.has(name) ? `not ${what}` : 'missing'}`, 'INVALID_PARAMETER_VALUE');
  }

  string(name: string, fallback?: string): string {
    const v = this.get(name) ?? fallback;
    if (typeof v !== 'string') throw this.bad(name, 'a string');
    return v;
  }

  optString(name: string): string | undefined {
    const v = this.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  number(name: string, fallback?: number): number {
    const v = sparkDouble(this.get(name) ?? fallback);
    if (v === undefined) throw this.bad(name, 'a number');
    return v;
  }

  bool(name: string, fallback?: boolean): boolean {
    const v = this.get(name) ?? fallback;
    if (typeof v !== 'boolean') throw this.bad(name, 'a boolean');
    return v;
  }

  strings(name: string): string[] {
    const v = this.get(name);
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw this.bad(name, 'a list of strings');
    return v as string[];
  }

  numbers(name: string): number[] {
    const v = this.get(name);
    if (!Array.isArray(v)) throw this.bad(name, 'a list of numbers');
    return v.map((x) => {
      const d = sparkDouble(x);
      if (d === undefined) throw this.bad(name, 'a list of numbers');
      return d;
    });
  }

  numberArrays(name: string): number[][] {
    const v = this.get(name);
    if (!Array.isArray(v) || !v.every(Array.isArray)) throw this.bad(name, 'a list of number lists');
    return (v as unknown[][]).map((row) =>
      row.map((x) => {
        const d = sparkDouble(x);
        if (d === undefined) throw this.bad(name, 'a list of number lists');
        return d;
      }),
    );
  }

  /** A param that must hold one of `allowed`; anything else is refused by name. */
  choice<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const v = this.string(name, fallback);
    if (!(allowed as readonly string[]).includes(v)) {
      throw new MlflowError(`${this.where}: ${name}='${v}' is not supported natively (supported: ${allowed.join(', ')})`, 'NOT_IMPLEMENTED');
    }
    return v as T;
  }
}

/** A double as Spark's JSON writes it. */
export function sparkDouble(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === 'Inf' || v === 'Infinity') return Infinity;
  if (v === '-Inf' || v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  return undefined;
}

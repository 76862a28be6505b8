import { MlflowError } from '../../../errors.js';

/** model.ini as h2o-genmodel's ModelMojoReader reads it: [info] key = value, [columns], [domains]. */
export interface ModelIni {
  readonly info: ReadonlyMap<string, string>;
  readonly columns: readonly string[];
  /** Column index -> [number of levels, file under domains/]. */
  readonly domainFiles: ReadonlyMap<number, { count: number; file: string }>;
}

export function parseModelIni(text: string, where: string): ModelIni {
  const info = new Map<string, string>();
  const columns: string[] = [];
  const domainFiles = new Map<number, { count: number; file: string }>();
  let section = 0;
  let nColumns = -1;
  for (const raw of text.split(/\r?\n|\r/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line === '[info]') section = 1;
    else if (line === '[columns]') {
      section = 2;
      const n = info.get('n_columns');
      if (n === undefined) throw new MlflowError(`${where}: model.ini has no n_columns`, 'INVALID_PARAMETER_VALUE');
      nColumns = Number.parseInt(n, 10);
    } else if (line === '[domains]') section = 3;
    else if (section === 1) {
      const m = /^(.*?)\s*=\s*(.*)$/.exec(line);
      if (m) info.set(m[1], m[2]);
    } else if (section === 2) {
      if (columns.length >= nColumns) throw new MlflowError(`${where}: model.ini lists more columns than n_columns`, 'INVALID_PARAMETER_VALUE');
      columns.push(line);
    } else if (section === 3) {
      const m = /^(\d+):\s*(\d+) (.*)$/.exec(line);
      if (!m) throw new MlflowError(`${where}: bad [domains] line in model.ini: '${line}'`, 'INVALID_PARAMETER_VALUE');
      domainFiles.set(Number(m[1]), { count: Number(m[2]), file: m[3] });
    }
  }
  if (nColumns < 0) throw new MlflowError(`${where}: model.ini has no [columns] section`, 'INVALID_PARAMETER_VALUE');
  if (columns.length !== nColumns) {
    throw new MlflowError(`${where}: model.ini lists ${columns.length} columns, n_columns says ${nColumns}`, 'INVALID_PARAMETER_VALUE');
  }
  return { info, columns, domainFiles };
}

/** Typed reads of [info] values, as ParseUtils.tryParse reads them; each names the key when it fails. */
export class IniValues {
  constructor(
    readonly info: ReadonlyMap<string, string>,
    readonly where: string,
  ) {}

  has(key: string): boolean {
    const v = this.info.get(key);
    return v !== undefined && v !== 'null';
  }

  str(key: string): string;
  str(key: string, def: string): string;
  str(key: string, def: string | undefined): string | undefined;
  str(key: string, ...def: [string | undefined] | []): string | undefined {
    const v = this.info.get(key);
    if (v === undefined || v === 'null') {
      if (def.length > 0) return def[0];
      throw this.missing(key);
    }
    return v;
  }

  num(key: string, def?: number): number {
    const v = this.info.get(key);
    if (v === undefined || v === 'null') {
      if (def !== undefined) return def;
      throw this.missing(key);
    }
    const x = parseJavaDouble(v);
    if (Number.isNaN(x) && v !== 'NaN') throw this.bad(key, v, 'a number');
    return x;
  }

  bool(key: string, def?: boolean): boolean {
    const v = this.info.get(key);
    if (v === undefined || v === 'null') {
      if (def !== undefined) return def;
      throw this.missing(key);
    }
    if (v !== 'true' && v !== 'false') throw this.bad(key, v, 'true or false');
    return v === 'true';
  }

  nums(key: string): number[];
  nums(key: string, def: number[] | undefined): number[] | undefined;
  nums(key: string, ...def: [number[] | undefined] | []): number[] | undefined {
    const v = this.info.get(key);
    if (v === undefined || v === 'null') {
      if (def.length > 0) return def[0];
      throw this.missing(key);
    }
    const body = /^\[(.*)\]$/.exec(v);
    if (!body) throw this.bad(key, v, 'an array');
    if (body[1].trim() === '') return [];
    return body[1].split(',').map((s) => {
      const x = parseJavaDouble(s.trim());
      if (Number.isNaN(x) && s.trim() !== 'NaN') throw this.bad(key, v, 'an array of numbers');
      return x;
    });
  }

  strs(key: string): string[] {
    const v = this.str(key);
    const body = /^\[(.*)\]$/.exec(v);
    if (!body) throw this.bad(key, v, 'an array');
    return body[1].trim() === '' ? [] : body[1].split(',').map((s) => s.trim());
  }

  private missing(key: string): MlflowError {
    return new MlflowError(`${this.where}: model.ini has no '${key}'`, 'INVALID_PARAMETER_VALUE');
  }

  private bad(key: string, v: string, what: string): MlflowError {
    return new MlflowError(`${this.where}: model.ini '${key}' = '${v}' is not ${what}`, 'INVALID_PARAMETER_VALUE');
  }
}

/** Double.parseDouble's spellings, including Infinity and NaN. */
function parseJavaDouble(s: string): number {
  if (s === 'Infinity' || s === '+Infinity') return Infinity;
  if (s === '-Infinity') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/.test(s)) return NaN;
  return Number(s.replace(/[dDfF]$/, ''));
}

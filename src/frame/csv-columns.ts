import { inexactIntegerError } from './exact-integer.js';
import { Frame, type Column, type ColumnData } from './frame.js';
import { CsvSyntaxError, type CsvRows } from './csv-tokenizer.js';
import type { ReadRequestOptions } from './read-options.js';

/** pandas 1.5's default na_values (what read_csv reads as NaN). */
const NA_VALUES = new Set([
  '', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN',
  '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'n/a', 'nan', 'null',
]);
const TRUE_VALUES = new Set(['True', 'TRUE', 'true']);
const FALSE_VALUES = new Set(['False', 'FALSE', 'false']);
const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity)$/i;

/** The column names of a CSV header as pandas makes them: blanks named `Unnamed: i`, repeats `a.1`. */
export function csvColumnNames(header: readonly string[]): string[] {
  const names: string[] = [];
  const used = new Set<string>();
  header.forEach((raw, i) => {
    const base = raw === '' ? `Unnamed: ${i}` : raw;
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}.${k}`;
    used.add(name);
    names.push(name);
  });
  return names;
}

/**
 * The layout of the data rows after a header: pandas takes a first data row with one field more
 * than the header as carrying an index in its first field.
 */
export interface CsvLayout {
  names: string[];
  /** Fields per data row (header width, or one more with an index). */
  width: number;
  /** The first field of each row is an index and is dropped. */
  hasIndex: boolean;
}

/** `firstRowWidth`: fields in the first data row, if there is one. */
export function csvLayout(header: readonly string[], firstRowWidth: number | undefined): CsvLayout {
  const names = csvColumnNames(header);
  const hasIndex = firstRowWidth === names.length + 1;
  return { names, width: names.length + (hasIndex ? 1 : 0), hasIndex };
}

/** Typed columns from data rows [from, to), each column's dtype inferred as read_csv infers it. */
export function csvRowsToFrame(layout: CsvLayout, rows: CsvRows, from = 0, to = rows.length, reading: ReadRequestOptions = {}): Frame {
  const offset = layout.hasIndex ? 1 : 0;
  const n = to - from;
  for (let r = from; r < to; r++) {
    const w = rows.width(r);
    if (w > layout.width) {
      throw new CsvSyntaxError(`Error tokenizing data. C error: Expected ${layout.width} fields in line ${rows.lines[r]}, saw ${w}\n`);
    }
  }
  const { fields, starts } = rows;
  const columns: Column[] = layout.names.map((name, j) => {
    const raw = new Array<string | undefined>(n);
    const k = j + offset;
    for (let r = 0; r < n; r++) raw[r] = k < rows.width(from + r) ? fields[starts[from + r] + k] : undefined;
    if (reading.readsAsText?.(name)) return { name, data: textColumn(raw) };
    return { name, data: inferCsvColumn(raw, name, reading.readsAsFloat?.(name) ?? false) };
  });
  return new Frame(columns, n);
}

/**
 * One column's dtype as pandas' C parser infers it: int64, else float64 (also when a missing
 * value sits among ints, or every value is missing), else bool, else strings; missing is NaN
 * in numbers and null elsewhere. No rows: an empty object column.
 */
export function inferCsvColumn(raw: readonly (string | undefined)[], name: string, mayRound: boolean): ColumnData {
  const n = raw.length;
  if (n === 0) return { kind: 'object', values: [] };
  return numericColumn(raw, name, mayRound) ?? otherColumn(raw);
}

/**
 * One pass: the column as numbers, or undefined at the first value that is not one. An int64
 * column with an integer beyond 2^53 is refused, unless `mayRound` (the schema reads the column
 * as floats) or the column is float64: there pandas rounds it too.
 */
function numericColumn(raw: readonly (string | undefined)[], name: string, mayRound: boolean): ColumnData | undefined {
  const n = raw.length;
  const values = new Float64Array(n);
  let floats = false;
  let inexact: string | undefined;
  for (let i = 0; i < n; i++) {
    const v = raw[i];
    if (v === undefined || NA_VALUES.has(v)) {
      values[i] = NaN;
      floats = true;
      continue;
    }
    const last = v.charCodeAt(v.length - 1);
    const t = v.charCodeAt(0) <= 32 || last <= 32 ? v.trim() : v;
    if (INT.test(t)) {
      values[i] = Number(t);
      if (inexact === undefined && !Number.isSafeInteger(values[i])) inexact = t;
    } else if (FLOAT.test(t)) {
      values[i] = parseNumber(t);
      floats = true;
    } else return undefined;
  }
  if (!floats && !mayRound && inexact !== undefined) throw inexactIntegerError(inexact, `in column '${name}'`);
  return { kind: 'number', dtype: floats ? 'float64' : 'int64', values };
}

function otherColumn(raw: readonly (string | undefined)[]): ColumnData {
  let bools = true;
  for (const v of raw) {
    if (v !== undefined && !NA_VALUES.has(v) && !TRUE_VALUES.has(v) && !FALSE_VALUES.has(v)) {
      bools = false;
      break;
    }
  }
  if (bools) {
    return { kind: 'bool', values: raw.map((v) => (v === undefined || NA_VALUES.has(v) ? null : TRUE_VALUES.has(v))) };
  }
  return textColumn(raw);
}

/** Strings, missing values as null: read_csv's dtype=object column. */
function textColumn(raw: readonly (string | undefined)[]): ColumnData {
  return { kind: 'string', values: raw.map((v) => (v === undefined || NA_VALUES.has(v) ? null : v)) };
}

function parseNumber(t: string): number {
  const x = Number(t);
  if (!Number.isNaN(x)) return x;
  // inf / infinity in any case, which Number() reads only as "Infinity".
  return t.startsWith('-') ? -Infinity : Infinity;
}

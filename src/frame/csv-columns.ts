import { assertColumnCount } from './column-limit.js';
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

/**
 * The column names of a CSV header as pandas 1.5's C reader makes them: a blank is `Unnamed: i`;
 * a repeat becomes `a.1`, `a.2`, ... skipping any name the header already holds (named columns
 * are renamed before blank ones). Linear: each base name keeps its next number, as pandas does,
 * and membership is a lookup (pandas scans its header list there, quadratic for many repeats).
 */
export function csvColumnNames(header: readonly string[]): string[] {
  const names = header.map((raw, i) => (raw === '' ? `Unnamed: ${i}` : raw));
  const present = new Map<string, number>();
  for (const n of names) present.set(n, (present.get(n) ?? 0) + 1);
  const blanks: number[] = [];
  const order: number[] = [];
  header.forEach((raw, i) => (raw === '' ? blanks : order).push(i));
  const counts = new Map<string, number>();
  for (const i of order.concat(blanks)) {
    const old = names[i];
    let col = old;
    let count = counts.get(col) ?? 0;
    while (count > 0) {
      counts.set(old, count + 1);
      col = `${old}.${count}`;
      count = (present.get(col) ?? 0) > 0 ? count + 1 : (counts.get(col) ?? 0);
    }
    if (col !== old) {
      present.set(old, (present.get(old) ?? 1) - 1);
      present.set(col, (present.get(col) ?? 0) + 1);
      names[i] = col;
    }
    counts.set(col, count + 1);
  }
  return names;
}

/**
 * The layout of the data rows after a header: when the first data row has more fields than the
 * header, pandas takes the extra leading fields of every row as the index (a MultiIndex when
 * there are several) and drops them from the columns.
 */
export interface CsvLayout {
  names: string[];
  /** Fields per data row: the header's, or the first data row's when it has more. */
  width: number;
  /** Leading fields of each row that are the index and are dropped. */
  indexFields: number;
}

/** `firstRowWidth`: fields in the first data row, if there is one. */
export function csvLayout(header: readonly string[], firstRowWidth: number | undefined): CsvLayout {
  assertColumnCount(Math.max(header.length, firstRowWidth ?? 0), 'CSV header');
  const names = csvColumnNames(header);
  const indexFields = Math.max(0, (firstRowWidth ?? 0) - names.length);
  return { names, width: names.length + indexFields, indexFields };
}

/** Typed columns from data rows [from, to), each column's dtype inferred as read_csv infers it. */
export function csvRowsToFrame(layout: CsvLayout, rows: CsvRows, from = 0, to = rows.length, reading: ReadRequestOptions = {}): Frame {
  const offset = layout.indexFields;
  const n = to - from;
  for (let r = from; r < to; r++) {
    const w = rows.width(r);
    if (w > layout.width) {
      throw new CsvSyntaxError(`Error tokenizing data. C error: Expected ${layout.width} fields in line ${rows.lines[r]}, saw ${w}\n`, rows.lines[r]);
    }
  }
  const { fields, starts } = rows;
  const columns: Column[] = [];
  layout.names.forEach((name, j) => {
    // As for records: a column a named column signature does not read is not typed nor kept.
    if (reading.keepsColumn && !reading.keepsColumn(name)) return;
    const raw = new Array<string | undefined>(n);
    const k = j + offset;
    for (let r = 0; r < n; r++) raw[r] = k < rows.width(from + r) ? fields[starts[from + r] + k] : undefined;
    const data = reading.readsAsText?.(name) ? textColumn(raw) : inferCsvColumn(raw, name, reading.readsAsFloat?.(name) ?? false);
    columns.push({ name, data });
  });
  return new Frame(columns, n);
}

/**
 * One column's dtype as pandas' C parser infers it: int64, else float64 (also when a missing
 * value sits among ints, or every value is missing), else bool, else strings; a missing value
 * is NaN everywhere (an object column when among bools or strings). No rows: an empty object
 * column.
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
  if (!bools) return textColumn(raw);
  const values = raw.map((v) => (v === undefined || NA_VALUES.has(v) ? NaN : TRUE_VALUES.has(v)));
  // With a missing value pandas keeps an object column of True/False/NaN.
  return values.some((v) => typeof v === 'number') ? { kind: 'object', values } : { kind: 'bool', values: values as boolean[] };
}

/**
 * read_csv's dtype=object column: strings, a missing value is a float NaN (not None), which makes
 * it an object column holding NaN.
 */
function textColumn(raw: readonly (string | undefined)[]): ColumnData {
  const values = raw.map((v) => (v === undefined || NA_VALUES.has(v) ? NaN : v));
  return values.some((v) => typeof v === 'number') ? { kind: 'object', values } : { kind: 'string', values: values as string[] };
}

function parseNumber(t: string): number {
  const x = Number(t);
  if (!Number.isNaN(x)) return x;
  // inf / infinity in any case, which Number() reads only as "Infinity".
  return t.startsWith('-') ? -Infinity : Infinity;
}

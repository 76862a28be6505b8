import { MlflowError } from '../errors.js';
import { assertRecordTableSize } from './column-limit.js';
import { Frame, type Column, type ColumnData } from './frame.js';
import { NO_FLOAT_LITERALS, type FloatLiterals } from './json-text.js';

/**
 * Builds a column from JSON values with the dtype pandas gives such a column of Python objects:
 * ints -> int64; ints and floats, or numbers and nulls -> float64 (null -> NaN); bools (and
 * nulls) -> bool; strings (and nulls) -> string; anything else or a mix -> object. A null stays
 * None outside numeric columns, and a NaN among strings makes an object column holding it, as
 * pandas keeps None and NaN apart in an object column.
 * `isFloat(i)` says whether value i was written as a float literal.
 */
export function columnFromJsonValues(
  name: string,
  values: unknown[],
  isFloat: (i: number) => boolean = () => false,
): Column {
  return { name, data: inferColumnData(values, isFloat) };
}

function inferColumnData(values: unknown[], isFloat: (i: number) => boolean): ColumnData {
  let nulls = 0;
  let ints = 0;
  let floats = 0;
  let bools = 0;
  let strings = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) nulls++;
    else if (typeof v === 'number') {
      if (!Number.isInteger(v) || isFloat(i)) floats++;
      else ints++;
    } else if (typeof v === 'boolean') bools++;
    else if (typeof v === 'string') strings++;
    else return { kind: 'object', values: values.map(nullIfUndefined) };
  }
  const n = values.length;
  if (n === 0 || nulls === n) return { kind: 'object', values: values.map(nullIfUndefined) };
  if (strings + nulls === n) return { kind: 'string', values: values.map(nullIfUndefined) as (string | null)[] };
  if (bools + nulls === n) return { kind: 'bool', values: values.map(nullIfUndefined) as (boolean | null)[] };
  if (ints + floats + nulls === n) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      out[i] = typeof v === 'number' ? v : NaN;
    }
    return { kind: 'number', dtype: floats > 0 || nulls > 0 ? 'float64' : 'int64', values: out };
  }
  return { kind: 'object', values: values.map(nullIfUndefined) };
}

function nullIfUndefined(v: unknown): unknown {
  return v === undefined ? null : v;
}

export interface FrameFromJsonOptions {
  floats?: FloatLiterals;
  /**
   * For records: the keys to keep (the columns a named signature reads; enforcement drops the
   * others anyway). Without it every key is a column.
   */
  keepsColumn?: (name: string) => boolean;
}

/**
 * A Frame from a list of records, as pd.DataFrame(records): the columns are the keys in order of
 * first appearance; a record without a key has pandas' missing value there, a float NaN (which,
 * among strings, is not the None that a JSON null is).
 */
export function frameFromRecords(records: readonly Record<string, unknown>[], options: FrameFromJsonOptions = {}): Frame {
  const floats = options.floats ?? NO_FLOAT_LITERALS;
  const names = recordKeys(records, options.keepsColumn);
  assertRecordTableSize(records.length, names.length, 'dataframe_records');
  const columns = names.map((name) => {
    const values = records.map((r) => (Object.hasOwn(r, name) ? r[name] : NaN));
    return columnFromJsonValues(name, values, (i) => floats.has(records[i], name));
  });
  return new Frame(columns, records.length);
}

/**
 * The keys of a list of records in order of first appearance (pandas' column order), those
 * `keep` accepts when given.
 */
export function recordKeys(records: readonly Record<string, unknown>[], keep?: (name: string) => boolean): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        if (!keep || keep(k)) names.push(k);
      }
    }
  }
  return names;
}

/** A Frame from `{column: values[]}`, each column inferred as pandas would. */
export function frameFromColumns(columns: Record<string, readonly unknown[]>, options: FrameFromJsonOptions = {}): Frame {
  const floats = options.floats ?? NO_FLOAT_LITERALS;
  const entries = Object.entries(columns);
  const numRows = entries.length > 0 ? entries[0][1].length : 0;
  for (const [name, values] of entries) {
    if (values.length !== numRows) {
      throw new MlflowError(
        `Column '${name}' has ${values.length} values but column '${entries[0][0]}' has ${numRows}`,
        'INVALID_PARAMETER_VALUE',
      );
    }
  }
  return new Frame(
    entries.map(([name, values]) => columnFromJsonValues(name, [...values], (i) => floats.has(values, i))),
    numRows,
  );
}

/**
 * A Frame from rows of values under the given column names, as pd.DataFrame(data=rows,
 * columns=names). Shorter rows are padded with missing values; the caller checks widths.
 */
export function frameFromRows(names: readonly string[], rows: readonly unknown[][], options: FrameFromJsonOptions = {}): Frame {
  const floats = options.floats ?? NO_FLOAT_LITERALS;
  const columns = names.map((name, j) => {
    const values = rows.map((r) => (j < r.length ? r[j] : null));
    return columnFromJsonValues(name, values, (i) => floats.has(rows[i], j));
  });
  return new Frame(columns, rows.length);
}

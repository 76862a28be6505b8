import { Frame, type Column, type ColumnData } from './frame.js';

/** Rows [start, end) of a Frame; numeric columns are views on the same memory. */
export function sliceFrame(frame: Frame, start: number, end: number): Frame {
  const s = Math.max(0, start);
  const e = Math.min(frame.numRows, end);
  const columns = frame.columns.map((c): Column => ({ name: c.name, data: sliceData(c.data, s, e) }));
  return new Frame(columns, Math.max(0, e - s));
}

function sliceData(d: ColumnData, s: number, e: number): ColumnData {
  if (d.kind === 'number') return { kind: 'number', dtype: d.dtype, values: d.values.subarray(s, e) };
  return { ...d, values: d.values.slice(s, e) } as ColumnData;
}

/**
 * A Frame as a list of records, as df.to_dict(orient="records") gives it: numbers as numbers
 * (NaN kept), missing strings and bools as null.
 */
export function frameToRecords(frame: Frame): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let r = 0; r < frame.numRows; r++) {
    const row: Record<string, unknown> = {};
    for (const c of frame.columns) {
      Object.defineProperty(row, c.name, { value: c.data.values[r], enumerable: true, writable: true, configurable: true });
    }
    rows.push(row);
  }
  return rows;
}

/** A Frame's columns as `{name: values[]}` (numeric columns as plain arrays). */
export function frameToColumns(frame: Frame): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const c of frame.columns) {
    Object.defineProperty(out, c.name, { value: Array.from(c.data.values as ArrayLike<unknown>), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

import { Frame, type Column, type ColumnData, type NumericArray } from './frame.js';

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
 * Frames with the same columns (names, kinds and dtypes, in order) stacked row-wise, as
 * pd.concat(frames, ignore_index=True) stacks them; undefined when their columns differ.
 */
export function concatFrames(frames: readonly Frame[]): Frame | undefined {
  const first = frames[0];
  for (const f of frames) {
    if (f.columns.length !== first.columns.length) return undefined;
    for (let j = 0; j < f.columns.length; j++) {
      const a = first.columns[j];
      const b = f.columns[j];
      if (a.name !== b.name || a.data.kind !== b.data.kind) return undefined;
      if (a.data.kind === 'number' && b.data.kind === 'number' && a.data.dtype !== b.data.dtype) return undefined;
    }
  }
  const rows = frames.reduce((n, f) => n + f.numRows, 0);
  const columns = first.columns.map((c, j): Column => {
    const parts = frames.map((f) => f.columns[j].data);
    if (c.data.kind === 'number') {
      const out = new (c.data.values.constructor as new (n: number) => NumericArray)(rows);
      let at = 0;
      for (const p of parts) {
        out.set(p.values as NumericArray, at);
        at += p.values.length;
      }
      return { name: c.name, data: { kind: 'number', dtype: c.data.dtype, values: out } };
    }
    return { name: c.name, data: { kind: c.data.kind, values: parts.flatMap((p) => p.values as unknown[]) } as ColumnData };
  });
  return new Frame(columns, rows);
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

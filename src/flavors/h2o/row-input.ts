import { MlflowError } from '../../errors.js';
import type { Column, Frame } from '../../frame/frame.js';
import { floatRepr } from '../../frame/python-text.js';
import type { MojoMeta } from './mojo/mojo-model.js';

/**
 * The model's input rows as h2o_mojo_pojo's pyfunc hands them to Java: pandas writes the frame to
 * CSV (numbers as Python prints them, strings as they are, NaN/None as empty), PredictCsv reads
 * every cell as a string, skips "", NA, N/A and -, and EasyPredictModelWrapper parses numeric
 * columns with Double.parseDouble and looks categorical levels up in the column's domain (an
 * unknown level is NA, as PredictCsv configures it).
 */

/** PredictCsv's cells that it leaves out of the row (NA). */
const PREDICTCSV_NA = new Set(['', 'NA', 'N/A', '-']);
const JAVA_DOUBLE = /^[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)|(0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*[pP][+-]?\d+))[fFdD]?$/;

/** Double.parseDouble, or undefined where Java throws NumberFormatException. */
function parseJavaDouble(s: string): number | undefined {
  const t = s.trim();
  if (!JAVA_DOUBLE.test(t)) return undefined;
  const body = t.replace(/[fFdD]$/, '');
  if (/NaN$/.test(body)) return NaN;
  if (/Infinity$/.test(body)) return body.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?0[xX]/.test(body)) return parseHexDouble(body);
  return Number(body);
}

function parseHexDouble(s: string): number {
  const m = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(s);
  if (!m) return NaN;
  const digits = m[2] + m[3];
  let v = 0;
  for (const ch of digits) v = v * 16 + Number.parseInt(ch, 16);
  const x = v * Math.pow(2, Number(m[4]) - 4 * m[3].length);
  return m[1] === '-' ? -x : x;
}

/** The text pandas' to_csv writes for one cell, or undefined for a missing one. */
function cellText(col: Column, r: number): string | undefined {
  const d = col.data;
  switch (d.kind) {
    case 'number': {
      const v = d.values[r];
      if (Number.isNaN(v)) return undefined;
      return d.dtype === 'float64' || d.dtype === 'float32' ? floatRepr(v) : String(v);
    }
    case 'string':
      return d.values[r] ?? undefined;
    case 'bool': {
      const v = d.values[r];
      return v === null ? undefined : v ? 'True' : 'False';
    }
    default: {
      // a column of only missing values arrives as an object column
      const v = d.values[r];
      if (v === null || v === undefined) return undefined;
      throw new MlflowError(`Column '${col.name}' holds ${d.kind} values, which an H2O model cannot take`, 'BAD_REQUEST');
    }
  }
}

export interface RowInput {
  /** The nfeatures inputs of row r, in the model's column order (written into `out`). */
  fill(r: number, out: Float64Array): void;
  /** The offset of row r (0 without an offset column). */
  offset(r: number): number;
}

/** Converts every input column once, column by column; rows are then gathered from the results. */
export function rowInput(meta: MojoMeta, frame: Frame, convertInvalidNumbers: boolean): RowInput {
  const n = frame.numRows;
  const cols: Float64Array[] = [];
  for (let j = 0; j < meta.nfeatures; j++) {
    const name = meta.columns[j];
    const col = frame.column(name);
    const out = new Float64Array(n).fill(NaN);
    cols.push(out);
    if (!col) continue; // an absent column is NA, as in PredictCsv
    const domain = meta.domains[j];
    if (domain === null) numericColumn(col, out, convertInvalidNumbers);
    else categoricalColumn(col, name, domain, out);
  }
  let offsets: Float64Array | undefined;
  if (meta.offsetColumn !== undefined) {
    const col = frame.column(meta.offsetColumn);
    if (!col) throw new MlflowError(`Offset column '${meta.offsetColumn}' is missing from the input`, 'BAD_REQUEST');
    offsets = new Float64Array(n);
    numericColumn(col, offsets, false);
    if (offsets.some(Number.isNaN)) throw new MlflowError(`Offset column '${meta.offsetColumn}' has missing values`, 'BAD_REQUEST');
  }
  return {
    fill(r, out) {
      for (let j = 0; j < cols.length; j++) out[j] = cols[j][r];
    },
    offset: (r) => (offsets ? offsets[r] : 0),
  };
}

function numericColumn(col: Column, out: Float64Array, convertInvalid: boolean): void {
  const d = col.data;
  if (d.kind === 'number') {
    // Double.parseDouble(repr(x)) is x
    for (let r = 0; r < out.length; r++) out[r] = d.values[r];
    return;
  }
  for (let r = 0; r < out.length; r++) {
    const s = cellText(col, r);
    if (s === undefined || PREDICTCSV_NA.has(s)) continue;
    const v = parseJavaDouble(s);
    if (v === undefined) {
      if (convertInvalid) continue;
      throw new MlflowError(
        `Column '${col.name}' expects numbers; row ${r} holds '${s}' (set --setConvertInvalidNum to read it as NA)`,
        'BAD_REQUEST',
      );
    }
    out[r] = v;
  }
}

function categoricalColumn(col: Column, name: string, domain: readonly string[], out: Float64Array): void {
  const index = new Map<string, number>();
  domain.forEach((level, i) => {
    if (!index.has(level)) index.set(level, i);
  });
  for (let r = 0; r < out.length; r++) {
    const s = cellText(col, r);
    if (s === undefined || PREDICTCSV_NA.has(s)) continue;
    // EnumEncoder also accepts "<column>.<level>"
    const i = index.get(s) ?? index.get(`${name}.${s}`);
    if (i !== undefined) out[r] = i;
  }
}

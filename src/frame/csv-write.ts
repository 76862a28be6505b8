import type { Column, Frame } from './frame.js';
import { floatRepr, pythonStrRepr } from './python-text.js';

/**
 * A Frame as pandas' df.to_csv(index=False) writes it: a header row, `\n` line ends, fields
 * quoted only when they hold `,`, `"` or a line break; floats as Python's repr, NaN and null as
 * an empty field, bools as True/False, datetimes as `2020-01-01 00:00:00`.
 */
export function frameToCsv(frame: Frame, options: { header?: boolean } = {}): string {
  const single = frame.columns.length === 1;
  const writers = frame.columns.map(cellWriter);
  const lines: string[] = [];
  if (options.header ?? true) lines.push(frame.columns.map((c) => quote(c.name, single)).join(','));
  for (let r = 0; r < frame.numRows; r++) {
    let line = '';
    for (let c = 0; c < writers.length; c++) {
      if (c > 0) line += ',';
      line += quote(writers[c](r), single);
    }
    lines.push(line);
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

const NEEDS_QUOTES = /[",\n\r]/;

function quote(field: string, singleColumn: boolean): string {
  // Python's csv writer quotes a lone empty field so the row is not read back as a blank line.
  if (field === '') return singleColumn ? '""' : '';
  return NEEDS_QUOTES.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

function cellWriter(column: Column): (row: number) => string {
  const d = column.data;
  switch (d.kind) {
    case 'number':
      if (d.dtype === 'float64' || d.dtype === 'float32') {
        return (r) => {
          const x = d.values[r];
          if (Number.isNaN(x)) return '';
          if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
          return floatRepr(x);
        };
      }
      return (r) => String(d.values[r]);
    case 'bool':
      return (r) => (d.values[r] === null ? '' : d.values[r] ? 'True' : 'False');
    case 'string':
      return (r) => d.values[r] ?? '';
    case 'datetime':
      return (r) => {
        const v = d.values[r];
        if (v === null) return '';
        const iso = v.toISOString();
        const ms = v.getUTCMilliseconds();
        return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${ms === 0 ? '' : `.${String(ms * 1000).padStart(6, '0')}`}`;
      };
    case 'binary':
    case 'object':
      return (r) => (d.values[r] === null ? '' : pythonRepr(d.values[r]));
  }
}

/** str() of the Python value a JSON value decodes to: [1, 'a'], {'k': None}, b'..'. */
function pythonRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (typeof v === 'string') return pythonStrRepr(v);
  if (v instanceof Uint8Array) {
    let s = '';
    for (const b of v) s += b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    return `b'${s}'`;
  }
  if (Array.isArray(v)) return `[${v.map(pythonRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${pythonStrRepr(k)}: ${pythonRepr(x)}`).join(', ')}}`;
  }
  return String(v);
}

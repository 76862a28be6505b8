import type { CsvLayout } from './csv-columns.js';
import { Frame, type Column } from './frame.js';
import type { ReadRequestOptions } from './read-options.js';
import { DOT, longDecimal, MINUS, NINE, PLUS, POW10, ZERO } from './long-decimal.js';
import { withRowOrigin } from './row-origin.js';

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/**
 * The fast path of reading CSV rows as a table, from the file's bytes [0, end) (a batch's text
 * would be megabytes of fresh memory each time); `bytes[end]` must be 0, which ends the last cell
 * (reads stay in bounds and numeric, which keeps this loop fast): rows whose every cell is a plain decimal number
 * ([+-]digits[.digits][e[+-]digits], as read_csv's int and float grammar) or empty, every row
 * as wide as the layout, lines ended by \n or \r\n. The cells are read straight into each
 * column's Float64Array, with no string per field, no array per row and no regular expression.
 * Gives the Frame (row origins included) that tokenizing the text and csvRowsToFrame give, or
 * undefined as soon as the text holds anything else (a quote, a space, NA words, a short or
 * wide row, a lone \r, ...): the caller then reads it the general way, which gives the same
 * answer and words any error. `rows`, when given, is how many rows the text must hold.
 */
export function csvNumberRows(bytes: Uint8Array, end: number, layout: CsvLayout, firstLine: number, reading: ReadRequestOptions, rows?: number): Frame | undefined {
  const { names, width, indexFields } = layout;
  // a text column keeps its cells' text ("007"), which this path does not make
  if (reading.readsAsText && names.some((n) => reading.readsAsText!(n))) return undefined;
  const kept = names.map((n) => !reading.keepsColumn || reading.keepsColumn(n));
  // rows are counted first, so the columns are allocated once at their size
  const n = rows ?? countLines(bytes, end);
  const columns: (Float64Array | undefined)[] = kept.map((k) => (k ? new Float64Array(n) : undefined));
  const floats = new Uint8Array(names.length);
  const unsafe = new Uint8Array(names.length);
  const lines = new Array<number>(n);
  // a cell whose digits are beyond 2^53 (17 significant digits) is read by longDecimal, else by Number() from its text
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, end);
  let line = firstLine;
  let row = 0;
  let i = 0;
  while (i < end) {
    let c = bytes[i];
    // a blank line is no row (its number still counts)
    if (c === LF || c === CR) {
      if (c === CR) {
        if (bytes[i + 1] !== LF) return undefined;
        i++;
      }
      i++;
      line++;
      continue;
    }
    if (row === n) return undefined;
    lines[row] = line;
    for (let field = 0; ; field++) {
      // one cell: [+-]digits[.digits][(e|E)[+-]digits], or nothing
      const start = i;
      let negative = false;
      if (c === PLUS || c === MINUS) {
        negative = c === MINUS;
        c = bytes[++i];
      }
      let mantissa = 0;
      let exact = true;
      let digits = 0;
      let scale = 0;
      let isFloat = false;
      while (c >= ZERO && c <= NINE) {
        if (exact) {
          mantissa = mantissa * 10 + (c - ZERO);
          exact = mantissa <= Number.MAX_SAFE_INTEGER;
        } else {
          scale++;
        }
        digits++;
        c = bytes[++i];
      }
      if (c === DOT) {
        isFloat = true;
        c = bytes[++i];
        while (c >= ZERO && c <= NINE) {
          if (exact) {
            mantissa = mantissa * 10 + (c - ZERO);
            exact = mantissa <= Number.MAX_SAFE_INTEGER;
            scale--;
          }
          digits++;
          c = bytes[++i];
        }
      }
      if (digits > 0 && (c === LOWER_E || c === UPPER_E)) {
        isFloat = true;
        c = bytes[++i];
        let expNegative = false;
        if (c === PLUS || c === MINUS) {
          expNegative = c === MINUS;
          c = bytes[++i];
        }
        if (!(c >= ZERO && c <= NINE)) return undefined;
        let exp = 0;
        while (c >= ZERO && c <= NINE) {
          // beyond any double's exponent it stays beyond: no overflow into a wrong answer
          if (exp < 1e6) exp = exp * 10 + (c - ZERO);
          c = bytes[++i];
        }
        scale += expNegative ? -exp : exp;
      }
      // the cell must end here, at a comma or a line end (or the end of the text)
      if (!(c === COMMA || c === LF || c === CR || i === end)) return undefined;
      if (i > start && digits === 0) return undefined;
      if (field >= width) return undefined;
      const column = field >= indexFields ? columns[field - indexFields] : undefined;
      if (column !== undefined) {
        const j = field - indexFields;
        let value: number;
        if (i === start) {
          // an empty cell is missing: NaN, and the column is float64
          value = NaN;
          floats[j] = 1;
        } else if (!isFloat) {
          value = exact ? (negative ? -mantissa : mantissa) : Number(latin1.toString('latin1', start, i));
          if (!exact && !Number.isSafeInteger(value)) unsafe[j] = 1;
        } else {
          floats[j] = 1;
          if (exact && scale >= -22 && scale <= 22) {
            value = scale < 0 ? mantissa / POW10[-scale] : mantissa * POW10[scale];
            if (negative) value = -value;
          } else {
            // exact digits beyond 10^±22 are not long-decimal's: it would read them again for nothing
            value = (exact ? undefined : longDecimal(bytes, start, i)) ?? Number(latin1.toString('latin1', start, i));
          }
        }
        column[row] = value;
      }
      if (c === COMMA) {
        c = bytes[++i];
        continue;
      }
      // the row ends: it must have every field
      if (field + 1 !== width) return undefined;
      if (c === CR) {
        if (bytes[i + 1] !== LF) return undefined;
        i++;
      }
      if (i < end) i++;
      line++;
      row++;
      break;
    }
  }
  if (row !== n) return undefined;
  const out: Column[] = [];
  for (let j = 0; j < names.length; j++) {
    const values = columns[j];
    if (values === undefined) continue;
    // an int64 column with an integer beyond 2^53: the general path refuses it or lets it round
    if (!floats[j] && unsafe[j]) return undefined;
    out.push({ name: names[j], data: { kind: 'number', dtype: floats[j] ? 'float64' : 'int64', values } });
  }
  return withRowOrigin(new Frame(out, n), { lines, shortRows: new Map() });
}

/** Non-blank lines in bytes [0, end): the rows, if every line is one. */
function countLines(bytes: Uint8Array, end: number): number {
  let count = 0;
  let previous = LF;
  for (let i = 0; i < end; i++) {
    const c = bytes[i];
    if ((c === LF || c === CR) && previous !== LF && previous !== CR) count++;
    previous = c;
  }
  return previous === LF || previous === CR ? count : count + 1;
}

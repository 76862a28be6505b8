import { Frame, type Column } from './frame.js';
import { JsonScanner, MAX_EXACT_DIGITS, POW10 } from './json-scanner.js';

/**
 * The common scoring request, `{"dataframe_split": {"columns": [names], "data": [[numbers]]}}`
 * with every row as wide as the columns, read straight from the JSON text into one
 * Float64Array per column: no parsed tree, no per-cell values. The Frame is the one the general
 * reader (JSON.parse, then frameFromRows) builds: a column of integer literals only is int64, a
 * column with a float literal (`1.0`, `2e3`, `5.1`) is float64.
 * Anything else (another key, `index`, `params`, a null, a string or NaN cell, a ragged row, an
 * escaped or repeated name, an integer of 16 digits or more, a syntax error) returns undefined
 * and goes to the general reader, which answers it as MLflow does.
 */
export function readNumericSplit(text: string): Frame | undefined {
  return new NumericSplitReader(text).read();
}


/**
 * The text of the last request up to the end of its column names, and those names: a client
 * sends the same head on every request, and a text that starts with it reads to the same names
 * (the names array is never changed, so it is shared). Kept only for a short head.
 */
let lastHead = { text: '', names: [] as string[] };
const MAX_HEAD_CHARS = 4096;

class NumericSplitReader extends JsonScanner {
  read(): Frame | undefined {
    let names: string[] | undefined;
    if (lastHead.text.length > 0 && this.t.startsWith(lastHead.text)) {
      names = lastHead.names;
      this.pos = lastHead.text.length;
      if (!this.skip(0x2c)) return undefined; // ,
    } else {
      if (!this.skip(0x7b)) return undefined; // {
      const key = this.name();
      if (key !== 'dataframe_split' || !this.skip(0x3a) || !this.skip(0x7b)) return undefined;
    }
    let table: { cells: Float64Array; rows: number; floats: Uint8Array } | undefined;
    for (;;) {
      const field = this.name();
      if (!this.skip(0x3a)) return undefined;
      if (field === 'columns' && names === undefined) {
        names = this.names();
        if (!names) return undefined;
        if (this.pos <= MAX_HEAD_CHARS) lastHead = { text: this.t.slice(0, this.pos), names };
      } else if (field === 'data' && table === undefined && names !== undefined) {
        // Rows are checked against the columns as they are read, so `columns` must come first.
        table = this.data(names.length);
        if (!table) return undefined;
      } else return undefined;
      if (this.skip(0x7d)) break; // }
      if (!this.skip(0x2c)) return undefined; // ,
    }
    if (!names || !table || !this.skip(0x7d)) return undefined;
    this.ws();
    if (this.pos !== this.t.length) return undefined;
    const width = names.length;
    const { cells, rows, floats } = table;
    const columns: Column[] = names.map((name, j) => {
      const values = new Float64Array(rows);
      for (let i = 0; i < rows; i++) values[i] = cells[i * width + j];
      return { name, data: { kind: 'number', dtype: floats[j] ? 'float64' : 'int64', values } };
    });
    return new Frame(columns, rows);
  }

  /** A non-empty list of distinct names. */
  private names(): string[] | undefined {
    if (!this.skip(0x5b)) return undefined;
    const names: string[] = [];
    const seen = new Set<string>();
    for (;;) {
      const n = this.name();
      if (n === undefined || seen.has(n)) return undefined;
      seen.add(n);
      names.push(n);
      if (this.skip(0x5d)) return names;
      if (!this.skip(0x2c)) return undefined;
    }
  }

  /**
   * At least one row, each of `width` numbers, row-major; which columns hold a float literal.
   * One loop over char codes with the position in a local (whitespace skipping written out in
   * place, as a closure would move `p` and `c` to the heap): the hot path of a large request.
   */
  private data(width: number): { cells: Float64Array; rows: number; floats: Uint8Array } | undefined {
    const t = this.t;
    let p = this.pos;
    let c = 0;
    while ((c = t.charCodeAt(p)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
    if (c !== 0x5b) return undefined; // [
    p++;
    const begin = p;
    // One row to start: a 1-row request's array (<= 64 bytes for up to 8 columns) stays on V8's
    // heap, where a larger one costs a separate allocation (~1-2 µs, and more as it grows).
    let cells = new Float64Array(width);
    const floats = new Uint8Array(width);
    let n = 0;
    let rows = 0;
    for (;;) {
      while ((c = t.charCodeAt(p)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      if (c !== 0x5b) return undefined;
      p++;
      if (n + width > cells.length) {
        // Room for as many rows as the text holds if the rest are as long as those read so far,
        // in one allocation: growing by doubling cost a third of a 1000-row parse. Every row
        // takes at least two characters per cell, so this is at most 4 bytes per character.
        const estimate = Math.ceil(((t.length - begin) / (p - begin)) * rows) + 1;
        const grown = new Float64Array(Math.max(cells.length * 2, estimate * width));
        grown.set(cells);
        cells = grown;
      }
      for (let j = 0; j < width; j++) {
        while ((c = t.charCodeAt(p)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
        if (j > 0) {
          if (c !== 0x2c) return undefined; // ,
          p++;
          while ((c = t.charCodeAt(p)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
        }
        // A JSON number literal: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?
        const start = p;
        const negative = c === 0x2d;
        if (negative) c = t.charCodeAt(++p);
        if (c < 0x30 || c > 0x39) return undefined;
        let mantissa = 0;
        let digits = 0;
        if (c === 0x30) c = t.charCodeAt(++p);
        else {
          do {
            mantissa = mantissa * 10 + (c - 0x30);
            digits++;
            c = t.charCodeAt(++p);
          } while (c >= 0x30 && c <= 0x39);
        }
        let decimals = 0;
        let float = false;
        if (c === 0x2e) {
          float = true;
          c = t.charCodeAt(++p);
          if (c < 0x30 || c > 0x39) return undefined;
          do {
            mantissa = mantissa * 10 + (c - 0x30);
            digits++;
            decimals++;
            c = t.charCodeAt(++p);
          } while (c >= 0x30 && c <= 0x39);
        }
        let exact = digits <= MAX_EXACT_DIGITS;
        if (c === 0x65 || c === 0x45) {
          float = true;
          exact = false;
          c = t.charCodeAt(++p);
          if (c === 0x2b || c === 0x2d) c = t.charCodeAt(++p);
          if (c < 0x30 || c > 0x39) return undefined;
          do c = t.charCodeAt(++p);
          while (c >= 0x30 && c <= 0x39);
        }
        // An integer literal beyond 15 digits may lie beyond 2^53: the general reader refuses those.
        if (!float && !exact) return undefined;
        if (float) floats[j] = 1;
        let x: number;
        if (exact) {
          x = mantissa / POW10[decimals];
          if (negative) x = -x;
        } else x = Number(t.slice(start, p));
        cells[n++] = x;
      }
      while ((c = t.charCodeAt(p)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      if (c !== 0x5d) return undefined; // ]
      p++;
      rows++;
      while ((c = t.charCodeAt(p)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      p++;
      if (c === 0x5d) break;
      if (c !== 0x2c) return undefined;
    }
    this.pos = p;
    return { cells, rows, floats };
  }
}

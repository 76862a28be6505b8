/**
 * A streaming CSV tokenizer with the rules of pandas' C parser in its default dialect:
 * `,` delimiter, `"` quotes with `""` as an escaped quote, rows ended by \n, \r\n or \r, blank
 * lines skipped. A quote opens a quoted section only at the start of a field; text after the
 * closing quote is kept (`"x"y` is `xy`), a quote inside an unquoted field is a plain character.
 *
 * (udsv was tried first: it drops rows shorter than the header and folds extra fields into the
 * last column, so it cannot report a malformed row as pandas does.)
 */
export class CsvSyntaxError extends Error {
  /** `line`: the 1-based line of the row at fault, when there is one. */
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'ParserError';
  }
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = 0xfeff;

/**
 * Tokenized rows, stored flat (one array of fields for all rows) so that a batch of rows costs
 * a few arrays rather than one per row.
 */
export class CsvRows {
  fields: string[] = [];
  /** Index in `fields` of each row's first field. */
  starts: number[] = [];
  /** 1-based line where each row starts. */
  lines: number[] = [];

  get length(): number {
    return this.starts.length;
  }

  width(row: number): number {
    return (row + 1 < this.starts.length ? this.starts[row + 1] : this.fields.length) - this.starts[row];
  }

  row(row: number): string[] {
    return this.fields.slice(this.starts[row], this.starts[row] + this.width(row));
  }

  /** Drops the first `n` rows. */
  drop(n: number): void {
    if (n >= this.length) {
      this.fields = [];
      this.starts = [];
      this.lines = [];
      return;
    }
    const offset = this.starts[n];
    this.fields = this.fields.slice(offset);
    this.starts = this.starts.slice(n).map((s) => s - offset);
    this.lines = this.lines.slice(n);
  }
}

export class CsvTokenizer {
  /** Fields of the row being read. */
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  /** A quote seen inside a quoted section: either the closing quote or the first of `""`. */
  private quotePending = false;
  /** The current field started with a quote (so it is not blank even if empty). */
  private fieldQuoted = false;
  /** The previous chunk ended with \r: a leading \n of the next chunk belongs to it. */
  private afterCr = false;
  private line: number;
  private rowLine: number;
  private rowIndex = 0;
  private quoteRow = 0;
  /** No text seen yet: a UTF-8 byte order mark there is skipped, as pandas skips it. */
  private atStart: boolean;

  /** `firstLine`: the line number where the text starts, when it is a part of a file after its first line. */
  constructor(firstLine = 1) {
    this.line = firstLine;
    this.rowLine = firstLine;
    this.atStart = firstLine === 1;
  }

  /** Tokenizes a chunk, appending the rows it completes to `rows`. */
  push(chunk: string, rows: CsvRows): void {
    let i = 0;
    const n = chunk.length;
    if (this.atStart && n > 0) {
      this.atStart = false;
      if (chunk.charCodeAt(0) === BOM) i = 1;
    }
    if (this.afterCr && n > 0) {
      this.afterCr = false;
      if (chunk.charCodeAt(0) === LF) i = 1;
    }
    let start = i;
    while (i < n) {
      const c = chunk.charCodeAt(i);
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (c === QUOTE) {
            // An escaped quote: keep one.
            this.field += '"';
            start = i + 1;
            i++;
            continue;
          }
          this.inQuotes = false;
          start = i;
          continue; // reread c as unquoted
        }
        if (c === QUOTE) {
          this.field += chunk.slice(start, i);
          this.quotePending = true;
          i++;
          start = i;
          continue;
        }
        if (c === LF || (c === CR)) this.line++;
        if (c === CR && chunk.charCodeAt(i + 1) === LF) i++;
        i++;
        continue;
      }
      if (c === COMMA) {
        this.fields.push(this.field + chunk.slice(start, i));
        this.field = '';
        this.fieldQuoted = false;
        i++;
        start = i;
        continue;
      }
      if (c === LF || c === CR) {
        this.field += chunk.slice(start, i);
        this.endRow(rows);
        this.line++;
        if (c === CR) {
          if (i + 1 >= n) this.afterCr = true;
          else if (chunk.charCodeAt(i + 1) === LF) i++;
        }
        i++;
        start = i;
        continue;
      }
      if (c === QUOTE && this.field === '' && start === i && !this.fieldQuoted) {
        this.inQuotes = true;
        this.fieldQuoted = true;
        this.quoteRow = this.rowIndex;
        i++;
        start = i;
        continue;
      }
      i++;
    }
    if (!this.quotePending) this.field += chunk.slice(start, n);
  }

  /** Ends the input, appending the last row if the text did not end with a newline. */
  end(rows: CsvRows): void {
    if (this.inQuotes && !this.quotePending) {
      throw new CsvSyntaxError(`Error tokenizing data. C error: EOF inside string starting at row ${this.quoteRow}`);
    }
    this.endRow(rows);
  }

  private endRow(rows: CsvRows): void {
    this.inQuotes = false;
    this.quotePending = false;
    const blank = this.fields.length === 0 && this.field === '' && !this.fieldQuoted;
    if (!blank) {
      rows.starts.push(rows.fields.length);
      rows.lines.push(this.rowLine);
      for (const f of this.fields) rows.fields.push(f);
      rows.fields.push(this.field);
      this.rowIndex++;
    }
    if (this.fields.length > 0) this.fields = [];
    this.field = '';
    this.fieldQuoted = false;
    this.rowLine = this.line + 1;
  }
}

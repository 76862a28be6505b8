import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';
import { csvLayout, type CsvLayout } from './csv-columns.js';
import { CsvRows, CsvTokenizer } from './csv-tokenizer.js';
import { fileChunks } from './file-chunks.js';
import { incompleteUtf8Tail } from './utf8-position.js';

/** The bytes of one batch of data rows in a CSV file, and where they stand in it. */
export interface CsvRange {
  /** Byte offsets [start, end): the batch's rows, from the first byte after the previous row's line end. */
  start: number;
  end: number;
  /** The 1-based line number at `start`. */
  firstLine: number;
  /** Data rows in the range (blank lines are not rows). */
  rows: number;
}

/** A CSV file cut into batches that can be parsed apart, each as the one-pass reader would have read it. */
export interface CsvSplit {
  layout: CsvLayout;
  ranges: CsvRange[];
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * Cuts a CSV file into ranges of `batchRows` data rows that can be tokenized separately (in
 * worker threads) and give the batches readFrameBatches gives. Only a file every byte of whose
 * line ends is a row end is cut: one without a quote character (a quoted field may hold a
 * newline). Undefined when the file is not cut, so the one-pass reader reads it and reports
 * anything wrong as it does: it holds a quote, it is not valid UTF-8, its header cannot be read,
 * or it is a single batch. Costs one pass over the bytes (memchr speed, no text is decoded but
 * the header and first row).
 */
export async function splitCsvFile(path: string, batchRows: number): Promise<CsvSplit | undefined> {
  const ranges: CsvRange[] = [];
  /** Data rows before `rangeStart` have been put in ranges; these are counted since. */
  let rowsInRange = 0;
  let rangeStart = 0;
  let rangeLine = 1;
  let line = 1;
  let pos = 0;
  /** Start of the current line, its byte length so far (0: blank so far), whether it ended with CR. */
  let lineStart = 0;
  let lineBytes = 0;
  let afterCr = false;
  let headerEnd = -1;
  let firstRowEnd = -1;
  let tail: Buffer = Buffer.alloc(0);
  let startsWithBom = false;
  const endLine = (terminatorEnd: number): void => {
    const blank = lineBytes === 0 || (lineStart === 0 && lineBytes === 3 && headerEnd < 0 && startsWithBom);
    line++;
    if (!blank) {
      if (headerEnd < 0) {
        headerEnd = terminatorEnd;
        rangeStart = terminatorEnd;
        rangeLine = line;
      } else {
        if (firstRowEnd < 0) firstRowEnd = terminatorEnd;
        rowsInRange++;
        if (rowsInRange === batchRows) {
          ranges.push({ start: rangeStart, end: terminatorEnd, firstLine: rangeLine, rows: rowsInRange });
          rangeStart = terminatorEnd;
          rangeLine = line;
          rowsInRange = 0;
        }
      }
    }
    lineStart = terminatorEnd;
    lineBytes = 0;
  };
  for await (const chunk of fileChunks(path)) {
    if (chunk.indexOf(QUOTE) >= 0) return undefined;
    // the previous chunk's unfinished character, completed here
    const bytes = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    const complete = incompleteUtf8Tail(bytes);
    if (!isUtf8(bytes.subarray(0, complete))) return undefined;
    tail = Buffer.from(bytes.subarray(complete));
    if (pos === 0) startsWithBom = BOM.every((b, i) => chunk[i] === b);
    let i = 0;
    if (afterCr) {
      // the previous chunk ended with \r: a \n here belongs to that line end (and a cut after it)
      afterCr = false;
      if (chunk[0] === LF) i = 1;
      endLine(pos + i);
    }
    const hasCr = chunk.indexOf(CR, i) >= 0;
    while (i < chunk.length) {
      if (!hasCr) {
        const nl = chunk.indexOf(LF, i);
        if (nl < 0) {
          lineBytes += chunk.length - i;
          break;
        }
        lineBytes += nl - i;
        endLine(pos + nl + 1);
        i = nl + 1;
        continue;
      }
      const c = chunk[i];
      if (c === LF) {
        endLine(pos + i + 1);
      } else if (c === CR) {
        if (i + 1 === chunk.length) {
          afterCr = true;
        } else if (chunk[i + 1] === LF) {
          i++;
          endLine(pos + i + 1);
        } else {
          endLine(pos + i + 1);
        }
      } else {
        lineBytes++;
      }
      i++;
    }
    pos += chunk.length;
  }
  if (tail.length > 0) return undefined;
  // the last row needs no line end
  if (afterCr || lineBytes > 0) endLine(pos);
  if (rowsInRange > 0) ranges.push({ start: rangeStart, end: pos, firstLine: rangeLine, rows: rowsInRange });
  if (ranges.length < 2) return undefined;
  const layout = await headerLayout(path, firstRowEnd);
  return layout && { layout, ranges };
}

/** The layout the header and first data row (the file's first `end` bytes) give; undefined if they give none. */
async function headerLayout(path: string, end: number): Promise<CsvLayout | undefined> {
  const rows = new CsvRows();
  const tokenizer = new CsvTokenizer();
  tokenizer.push(new TextDecoder().decode(await readRange(path, 0, end)), rows);
  tokenizer.end(rows);
  if (rows.length !== 2) return undefined;
  try {
    return csvLayout(rows.row(0), rows.width(1));
  } catch {
    // too many columns: the one-pass reader says so
    return undefined;
  }
}

/** Bytes [start, end) of a file: at the start of `into` when it is given (and large enough). */
export async function readRange(path: string, start: number, end: number, into?: Uint8Array): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const out = into === undefined ? new Uint8Array(end - start) : into.subarray(0, end - start);
    let filled = 0;
    while (filled < out.length) {
      const { bytesRead } = await handle.read(out, filled, out.length - filled, start + filled);
      if (bytesRead === 0) throw new Error(`${path} ended at byte ${start + filled}, before byte ${end}: it changed while it was read`);
      filled += bytesRead;
    }
    return out;
  } finally {
    await handle.close();
  }
}

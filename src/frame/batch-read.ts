import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { MlflowError } from '../errors.js';
import { csvLayout, csvRowsToFrame, type CsvLayout } from './csv-columns.js';
import { csvNumberRows } from './csv-numbers.js';
import { readRange, type CsvRange } from './csv-split.js';
import { CsvRows, CsvSyntaxError, CsvTokenizer } from './csv-tokenizer.js';
import { assertExactIntegers } from './exact-integer.js';
import { Frame, isFrame } from './frame.js';
import { frameFromRecords } from './frame-from-json.js';
import { sliceFrame } from './frame-rows.js';
import { JsonSyntaxError, parseJsonText } from './json-text.js';
import type { ReadRequestOptions } from './read-options.js';
import { parseJsonRequest } from './request-json.js';
import { lineByteOffset, withRowOrigin } from './row-origin.js';
import { CSV_PARSE_FAILED } from './scoring-messages.js';
import { firstInvalidUtf8, incompleteUtf8Tail } from './utf8-position.js';

export type BatchFormat = 'csv' | 'jsonl' | 'json' | 'parquet' | 'arrow';

/** A file path, or the bytes of one as a Node stream or any async iterable of chunks. */
export type BatchSource = string | AsyncIterable<Uint8Array | string>;

/** `readsAsFloat` and `readsAsText` apply to the text formats (csv, json, jsonl). */
export interface ReadBatchesOptions extends ReadRequestOptions {
  /** Rows per Frame (the last may be shorter). Default 10,000. */
  batchRows?: number;
}

/**
 * Reads a table as Frames of `batchRows` rows. CSV, JSON lines, Parquet (row group by row
 * group) and Arrow IPC (batch by batch) are streamed, so memory holds one batch, not the file;
 * `json` (a scoring request body or a list of records) is read whole, as JSON must be.
 */
export function readFrameBatches(source: BatchSource, format: BatchFormat, options: ReadBatchesOptions = {}): AsyncIterable<Frame> {
  const batchRows = options.batchRows ?? 10_000;
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    throw new MlflowError(`batchRows must be a positive integer, got ${batchRows}`, 'INVALID_PARAMETER_VALUE');
  }
  switch (format) {
    case 'csv':
      return readCsvBatches(source, batchRows, options);
    case 'jsonl':
      return readJsonLinesBatches(source, batchRows, options);
    case 'json':
      return readJsonBatches(source, batchRows, options);
    case 'parquet':
      return readParquetSource(source, batchRows);
    case 'arrow':
      return readArrowBatches(source, batchRows);
  }
}

function describe(source: BatchSource): string {
  return typeof source === 'string' ? `'${source}'` : 'the input stream';
}

async function* textChunks(source: BatchSource): AsyncGenerator<string> {
  const stream = typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  /** Bytes before `tail`, and the previous chunk's unfinished last character, to place an error. */
  let consumed = 0;
  let tail: Uint8Array = new Uint8Array(0);
  for await (const chunk of stream) {
    if (typeof chunk === 'string') {
      yield chunk;
      continue;
    }
    let text;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch (e) {
      throw notUtf8(source, consumed, Buffer.concat([tail, chunk]), false, e);
    }
    // A character's bytes span at most 4: a chunk that short may still end the previous tail.
    const bytes = chunk.length < 4 ? Buffer.concat([tail, chunk]) : chunk;
    const from = incompleteUtf8Tail(bytes);
    consumed += (bytes === chunk ? tail.length : 0) + from;
    tail = bytes.subarray(from);
    yield text;
  }
  let rest;
  try {
    rest = decoder.decode();
  } catch (e) {
    throw notUtf8(source, consumed, tail, true, e);
  }
  if (rest) yield rest;
}

/** The error for bytes that are not UTF-8, naming the offset of the first bad byte in the input. */
function notUtf8(source: BatchSource, consumed: number, bytes: Uint8Array, final: boolean, cause: unknown): MlflowError {
  const at = firstInvalidUtf8(bytes, final);
  const where = at < 0 ? '' : ` (byte offset ${consumed + at})`;
  return new MlflowError(`${describe(source)} is not valid UTF-8 text${where}`, 'BAD_REQUEST', { cause });
}

async function* readCsvBatches(source: BatchSource, batchRows: number, reading: ReadRequestOptions): AsyncGenerator<Frame> {
  const tokenizer = new CsvTokenizer();
  const rows = new CsvRows();
  let layout: CsvLayout | undefined;
  let ended = false;
  try {
    for (const chunks = textChunks(source); !ended; ) {
      const next = await chunks.next();
      if (next.done) {
        tokenizer.end(rows);
        ended = true;
      } else {
        tokenizer.push(next.value, rows);
      }
      if (!layout) {
        // The header, then the first data row (its width tells whether rows carry an index).
        if (rows.length < 2 && !ended) continue;
        if (rows.length === 0) throw new CsvSyntaxError('No columns to parse from file');
        layout = csvLayout(rows.row(0), rows.length > 1 ? rows.width(1) : undefined);
        rows.drop(1);
      }
      let taken = 0;
      while (rows.length - taken >= batchRows) {
        yield csvBatch(layout, rows, taken, taken + batchRows, reading);
        taken += batchRows;
      }
      if (ended && rows.length > taken) yield csvBatch(layout, rows, taken, rows.length, reading);
      else rows.drop(taken);
    }
  } catch (e) {
    throw await csvReadError(e, source);
  }
}

/** A tokenizer's error as pandas words a read_csv failure, naming the file and where the row starts. */
async function csvReadError(e: unknown, source: BatchSource): Promise<unknown> {
  if (!(e instanceof CsvSyntaxError)) return e;
  const offset = typeof source === 'string' && e.line !== undefined ? await lineByteOffset(source, e.line).catch(() => undefined) : undefined;
  const at = offset === undefined ? '' : ` (line ${e.line} starts at byte offset ${offset})`;
  return new MlflowError(`${CSV_PARSE_FAILED} Error in ${describe(source)}: '${e.message}'${at}`, 'BAD_REQUEST');
}

// a U+FEFF that starts a range is a character of its first field: only a file's first byte may be a BOM
const RANGE_DECODER = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * One batch of a CSV file that splitCsvFile cut: the Frame, or the error, that readFrameBatches
 * gives for those rows (so any thread can read any batch).
 */
export async function readCsvRange(path: string, range: CsvRange, layout: CsvLayout, reading: ReadRequestOptions): Promise<Frame> {
  try {
    return await withRangeBytes(path, range, (bytes, end) => {
      const numbers = csvNumberRows(bytes, end, layout, range.firstLine, reading, range.rows);
      if (numbers) return numbers;
      const text = bytes.subarray(0, end);
      // splitCsvFile checked that the file is UTF-8; ASCII is copied as is
      const rows = new CsvRows();
      const tokenizer = new CsvTokenizer(range.firstLine);
      tokenizer.push(isAscii(text) ? Buffer.from(text.buffer, text.byteOffset, end).toString('latin1') : RANGE_DECODER.decode(text), rows);
      tokenizer.end(rows);
      if (rows.length !== range.rows) throw new Error(`${path} changed while it was read: ${rows.length} rows where it had ${range.rows}`);
      return csvBatch(layout, rows, 0, rows.length, reading);
    });
  } catch (e) {
    throw await csvReadError(e, path);
  }
}

/**
 * The bytes of the last range read, for the next one to be read into: a batch is read from them
 * at once, after which they are not needed, and a fresh buffer per batch (megabytes) is memory
 * the system maps and faults in again each time. Taken while in use, so a read meanwhile
 * (another batch of the same thread) makes its own.
 */
let spareBytes: Uint8Array | undefined;

/** `read` of a range's `end` bytes, followed by a 0 byte (csvNumberRows' end); the buffer is the spare again once it returns. */
async function withRangeBytes<T>(path: string, range: CsvRange, read: (bytes: Uint8Array, end: number) => T): Promise<T> {
  const size = range.end - range.start;
  const buffer = spareBytes !== undefined && spareBytes.length > size ? spareBytes : new Uint8Array(size + 1);
  spareBytes = undefined;
  try {
    const bytes = await readRange(path, range.start, range.end, buffer);
    buffer[bytes.length] = 0;
    return read(buffer, bytes.length);
  } finally {
    spareBytes = buffer;
  }
}

/** Rows [from, to) as a Frame that remembers their lines, and which rows were short. */
function csvBatch(layout: CsvLayout, rows: CsvRows, from: number, to: number, reading: ReadRequestOptions): Frame {
  const frame = csvRowsToFrame(layout, rows, from, to, reading);
  const shortRows = new Map<number, number>();
  for (let r = from; r < to; r++) {
    const width = rows.width(r);
    if (width < layout.width) shortRows.set(r - from, Math.max(0, width - layout.indexFields));
  }
  return withRowOrigin(frame, { lines: rows.lines.slice(from, to), shortRows });
}

async function* readJsonLinesBatches(source: BatchSource, batchRows: number, reading: ReadRequestOptions): AsyncGenerator<Frame> {
  let carry = '';
  let lineNo = 0;
  let pending: string[] = [];
  let pendingLines: number[] = [];
  let firstLine = 1;
  const flush = (): Frame => {
    // One parse for the whole batch keeps float literals (1.0) apart from ints.
    let parsed;
    try {
      parsed = parseJsonText(`[${pending.join(',')}]`);
    } catch (e) {
      if (!(e instanceof JsonSyntaxError)) throw e;
      const bad = pending.findIndex((l) => {
        try {
          parseJsonText(l);
          return false;
        } catch {
          return true;
        }
      });
      throw new MlflowError(`${describe(source)} line ${firstLine + Math.max(0, bad)} is not valid JSON`, 'BAD_REQUEST');
    }
    const records = parsed.value as unknown[];
    const notRecord = records.findIndex((r) => typeof r !== 'object' || r === null || Array.isArray(r));
    if (notRecord >= 0) {
      throw new MlflowError(`${describe(source)} line ${firstLine + notRecord} is not a JSON object`, 'BAD_REQUEST');
    }
    const lines = pendingLines;
    pending = [];
    pendingLines = [];
    const frame = frameFromRecords(records as Record<string, unknown>[], { floats: parsed.floats });
    assertExactIntegers(frame, undefined, parsed.inexactIntegers, reading.readsAsFloat);
    withRowOrigin(frame, { lines });
    return frame;
  };
  const take = function* (line: string): Generator<Frame> {
    lineNo++;
    if (line.trim() === '') return;
    if (pending.length === 0) firstLine = lineNo;
    pending.push(line);
    pendingLines.push(lineNo);
    if (pending.length === batchRows) yield flush();
  };
  for await (const chunk of textChunks(source)) {
    const lines = (carry + chunk).split('\n');
    carry = lines.pop()!;
    for (const line of lines) yield* take(line);
  }
  yield* take(carry);
  if (pending.length > 0) yield flush();
}

async function* readJsonBatches(source: BatchSource, batchRows: number, reading: ReadRequestOptions): AsyncGenerator<Frame> {
  let text = '';
  for await (const chunk of textChunks(source)) text += chunk;
  const trimmed = text.trimStart();
  let frame: Frame;
  if (trimmed.startsWith('[')) {
    let parsed;
    try {
      parsed = parseJsonText(text);
    } catch (e) {
      if (!(e instanceof JsonSyntaxError)) throw e;
      throw new MlflowError(`${describe(source)} is not valid JSON: ${e.message}`, 'BAD_REQUEST');
    }
    const records = parsed.value as unknown[];
    if (!records.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
      throw new MlflowError(`${describe(source)}: a JSON list must hold records (objects)`, 'BAD_REQUEST');
    }
    frame = frameFromRecords(records as Record<string, unknown>[], { floats: parsed.floats });
    assertExactIntegers(frame, undefined, parsed.inexactIntegers, reading.readsAsFloat);
  } else {
    const { input } = parseJsonRequest(text, reading);
    if (!isFrame(input)) {
      throw new MlflowError(
        `${describe(source)}: batch input must be a table (dataframe_split, dataframe_records or a list of records)`,
        'BAD_REQUEST',
      );
    }
    frame = input;
  }
  for (let start = 0; start < frame.numRows; start += batchRows) yield sliceFrame(frame, start, start + batchRows);
}

// Parquet and Arrow are loaded when a batch of that format is read: importing mlflow-ts stays fast.
async function* readParquetSource(source: BatchSource, batchRows: number): AsyncGenerator<Frame> {
  const [{ asyncBufferFromFile }, { readParquetBatches }] = await Promise.all([import('hyparquet'), import('./parquet.js')]);
  let file;
  if (typeof source === 'string') {
    file = await asyncBufferFromFile(source);
  } else {
    // Parquet needs random access (its footer is at the end): a stream is read into memory.
    const parts: Uint8Array[] = [];
    for await (const c of source) parts.push(typeof c === 'string' ? Buffer.from(c) : c);
    const buf = Buffer.concat(parts);
    file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  }
  try {
    yield* readParquetBatches(file, batchRows);
  } catch (e) {
    if (e instanceof MlflowError) throw e;
    throw new MlflowError(`${describe(source)} is not a readable Parquet file: ${(e as Error).message}`, 'BAD_REQUEST', { cause: e });
  }
}

async function* readArrowBatches(source: BatchSource, batchRows: number): AsyncGenerator<Frame> {
  const [{ RecordBatchReader }, { frameFromArrow }] = await Promise.all([import('apache-arrow'), import('./arrow.js')]);
  let reader;
  try {
    const input = typeof source === 'string' ? await readArrowInput(source) : source;
    reader = await RecordBatchReader.from(input as AsyncIterable<Uint8Array>);
  } catch (e) {
    throw new MlflowError(`${describe(source)} is not an Arrow IPC file or stream: ${(e as Error).message}`, 'BAD_REQUEST', { cause: e });
  }
  for await (const batch of reader) {
    const frame = frameFromArrow(batch);
    for (let start = 0; start < frame.numRows; start += batchRows) yield sliceFrame(frame, start, start + batchRows);
  }
}

/** An Arrow file needs its footer, so a path ending in the file magic is read whole; a stream is streamed. */
async function readArrowInput(path: string): Promise<Uint8Array | AsyncIterable<Uint8Array>> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(6);
  try {
    await handle.read(head, 0, 6, 0);
  } finally {
    await handle.close();
  }
  if (head.toString('latin1') === 'ARROW1') return new Uint8Array(await readFile(path));
  return createReadStream(path) as AsyncIterable<Uint8Array>;
}

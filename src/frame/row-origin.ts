import { fileChunks } from './file-chunks.js';
import type { Frame } from './frame.js';

/**
 * Where the rows of a batch that readFrameBatches yielded stand in their file, so an error found
 * later (by the cast or the model) can name the row as the file numbers it.
 */
export interface RowOrigin {
  /** The 1-based line where each row starts (CSV, counting the header line; JSON lines). */
  readonly lines?: readonly number[];
  /** CSV rows shorter than the header: row index in the batch -> how many columns it filled. */
  readonly shortRows?: ReadonlyMap<number, number>;
}

const origins = new WeakMap<Frame, RowOrigin>();

export function withRowOrigin(frame: Frame, origin: RowOrigin): Frame {
  origins.set(frame, origin);
  return frame;
}

export function rowOriginOf(frame: Frame): RowOrigin | undefined {
  return origins.get(frame);
}

/**
 * The byte offset in a file where 1-based `line` starts, counting \n, \r\n and \r as line ends
 * as the CSV tokenizer does; undefined past the end. Read again on an error only, so the reader
 * does not count bytes for every row.
 */
export async function lineByteOffset(path: string, line: number): Promise<number | undefined> {
  if (line <= 1) return 0;
  let current = 1;
  let pos = 0;
  let previousCr = false;
  /** The line was found after a \r at this offset: a \n next still belongs to that line end. */
  let afterCr: number | undefined;
  for await (const chunk of fileChunks(path, 1 << 20)) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (afterCr !== undefined) return c === 0x0a ? afterCr + 1 : afterCr;
      if (c === 0x0d || (c === 0x0a && !previousCr)) {
        current++;
        if (current === line) {
          if (c === 0x0a) return pos + i + 1;
          afterCr = pos + i + 1;
        }
      }
      previousCr = c === 0x0d;
    }
    pos += chunk.length;
  }
  return afterCr;
}

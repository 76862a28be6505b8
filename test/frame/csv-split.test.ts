import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsvRange } from '../../src/frame/batch-read.js';
import { FILE_CHUNK_BYTES } from '../../src/frame/file-chunks.js';
import { splitCsvFile } from '../../src/frame/csv-split.js';
import { readFrameBatches, type Frame } from '../../src/frame/index.js';
import { rowOriginOf } from '../../src/frame/row-origin.js';

/** A batch, or the error reading it, as plain data to compare. */
type Read = { columns: unknown; rows: number; origin: unknown } | { error: string };

function plain(f: Frame): Read {
  const origin = rowOriginOf(f);
  return { columns: f.columns, rows: f.numRows, origin: { lines: origin?.lines, shortRows: [...(origin?.shortRows ?? [])] } };
}

/** What the one-pass reader gives: each batch, then the error that stopped it, if any. */
async function onePass(path: string, batchRows: number): Promise<Read[]> {
  const out: Read[] = [];
  try {
    for await (const f of readFrameBatches(path, 'csv', { batchRows })) out.push(plain(f));
  } catch (e) {
    out.push({ error: (e as Error).message });
  }
  return out;
}

/** What reading the split ranges apart gives, up to the first range that fails. */
async function byRanges(path: string, batchRows: number): Promise<Read[] | undefined> {
  const split = await splitCsvFile(path, batchRows);
  if (!split) return undefined;
  const out: Read[] = [];
  for (const range of split.ranges) {
    try {
      out.push(plain(await readCsvRange(path, range, split.layout, {})));
    } catch (e) {
      out.push({ error: (e as Error).message });
      break;
    }
  }
  return out;
}

// `models predict --workers` reads a CSV file's batches in several threads: each batch, its row
// lines and its errors must be what the one-pass reader gives.
describe('splitCsvFile + readCsvRange read the batches readFrameBatches reads', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'csv-split-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, content: string | Buffer): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  }

  const rows = (n: number, eol = '\n'): string => Array.from({ length: n }, (_, i) => `${i},${i * 0.25},${i % 3 === 0 ? 'NA' : i / 7}`).join(eol);

  it.each([
    ['LF', `a,b,c\n${rows(23)}\n`],
    ['no final line end', `a,b,c\n${rows(23)}`],
    ['CRLF', `a,b,c\r\n${rows(23, '\r\n')}\r\n`],
    ['CR', `a,b,c\r${rows(23, '\r')}\r`],
    ['mixed line ends and blank lines', `\n\na,b,c\r\n\r\n${rows(10, '\n\n')}\r\r\n${rows(13, '\r\n')}\n\n\n`],
    ['a BOM, and a U+FEFF opening a later row', `\ufeffa,b,c\n${rows(9)}\n\ufeff9,1,2\n${rows(13)}\n`],
    ['an index column (rows wider than the header)', `b,c\n${rows(23)}\n`],
    ['short rows and blank cells', `a,b,c\n${rows(7)}\n1\n2,\n,,\n${rows(13)}\n`],
    ['text, bool and integer-overflow columns', `a,b,c\n${rows(7)}\nx,True,1e400\n${rows(4)}\n1,False,9007199254740993\n${rows(9)}\n`],
    ['spaces, inf and non-ASCII text', `a,b,c\n${rows(8)}\n 1 ,inf,é\n${rows(12)}\n`],
  ])('%s', async (name, content) => {
    const path = await file(`${name}.csv`, content);
    for (const batchRows of [1, 4, 5, 10]) {
      const expected = await onePass(path, batchRows);
      expect(expected.length).toBeGreaterThan(1);
      expect(await byRanges(path, batchRows)).toEqual(expected);
    }
  });

  it('ranges read in any order, at once or one after another (into the bytes the last one left), are the batches', async () => {
    const path = await file('reuse.csv', `a,b,c\n${rows(40)}\n9,9\n`);
    const split = (await splitCsvFile(path, 7))!;
    const expected = await onePass(path, 7);
    const read = async (k: number): Promise<Read> => plain(await readCsvRange(path, split.ranges[k], split.layout, {}));
    // the last range (shorter), then the first (longer), then two at once
    expect(await read(5)).toEqual(expected[5]);
    expect(await read(0)).toEqual(expected[0]);
    expect(await Promise.all([read(2), read(3)])).toEqual([expected[2], expected[3]]);
  });

  it('a row wider than the first is the error the one-pass reader raises, with its line and byte offset', async () => {
    const path = await file('wide.csv', `a,b,c\n${rows(12)}\n1,2,3,4\n${rows(5)}\n`);
    const expected = await onePass(path, 5);
    expect(expected.at(-1)).toEqual({ error: expect.stringMatching(/Expected 3 fields in line 14, saw 4.*line 14 starts at byte offset/s) });
    expect(await byRanges(path, 5)).toEqual(expected);
  });

  it('is not cut (the one-pass reader reads it) with a quote, bytes that are not UTF-8, or one batch', async () => {
    expect(await splitCsvFile(await file('quoted.csv', `a,b\n${rows(10)}\n"x\ny",1\n`), 2)).toBeUndefined();
    expect(await splitCsvFile(await file('latin1.csv', Buffer.concat([Buffer.from(`a,b\n${rows(10)}\n`), Buffer.from([0xe9, 0x0a])])), 2)).toBeUndefined();
    expect(await splitCsvFile(await file('one.csv', `a,b,c\n${rows(10)}\n`), 10)).toBeUndefined();
    expect(await splitCsvFile(await file('header.csv', 'a,b,c\n'), 10)).toBeUndefined();
    expect(await splitCsvFile(await file('two.csv', `a,b,c\n${rows(11)}\n`), 10)).toMatchObject({ ranges: [{ rows: 10 }, { rows: 1 }] });
  });

  it('cuts across the chunks the file is read in (a CRLF and a character split between chunks)', async () => {
    const CHUNK = FILE_CHUNK_BYTES;
    const line = (i: number): string => `${i},${'é'.repeat(i % 7)}${i * 0.5},${i % 5}`;
    const parts = ['a,b,c\r\n'];
    let bytes = parts[0].length;
    const add = (s: string): void => {
      parts.push(s);
      bytes += Buffer.byteLength(s);
    };
    let i = 0;
    /** Rows, then one padded row whose last character `tail` ends at byte `at` of the file. */
    const padTo = (at: number, tail: string): void => {
      while (bytes < at - 200) add(`${line(i++)}\r\n`);
      add(`1,2,${'x'.repeat(at - bytes - Buffer.byteLength(`1,2,${tail}`))}${tail}`);
    };
    padTo(CHUNK, '\r'); // the chunk ends with \r; the next starts with \n
    add('\n');
    const rowsToCr = i + 1;
    padTo(2 * CHUNK + 1, 'é'); // é's two bytes on either side of the second cut
    add('\r\n');
    while (bytes < 2.5 * CHUNK) add(`${line(i++)}\r\n`);
    const text = parts.join('');
    const buf = Buffer.from(text);
    expect([buf[CHUNK - 1], buf[CHUNK], buf[2 * CHUNK - 1], buf[2 * CHUNK]]).toEqual([0x0d, 0x0a, 0xc3, 0xa9]);
    const path = await file('big.csv', buf);
    const expected = await onePass(path, 7_000);
    expect(expected.at(-1)).not.toHaveProperty('error');
    // every line but the header is a row
    const dataRows = text.split('\n').length - 2;
    expect(expected.length).toBe(Math.ceil(dataRows / 7_000));
    expect(await byRanges(path, 7_000)).toEqual(expected);
    // a batch that ends at the \r\n split between chunks
    const cutAtCr = await onePass(path, rowsToCr);
    expect(cutAtCr.length).toBeGreaterThanOrEqual(2);
    expect(await byRanges(path, rowsToCr)).toEqual(cutAtCr);
  });
});

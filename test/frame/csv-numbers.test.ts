import { describe, expect, it } from 'vitest';
import { csvLayout, csvRowsToFrame, type CsvLayout } from '../../src/frame/csv-columns.js';
import { csvNumberRows } from '../../src/frame/csv-numbers.js';
import { CsvRows, CsvTokenizer } from '../../src/frame/csv-tokenizer.js';
import type { Frame } from '../../src/frame/index.js';
import type { ReadRequestOptions } from '../../src/frame/read-options.js';
import { rowOriginOf } from '../../src/frame/row-origin.js';

/** A Frame as plain data, each number by its bits (so -0 and NaN compare as themselves). */
function plain(f: Frame): unknown {
  const origin = rowOriginOf(f);
  return {
    rows: f.numRows,
    columns: f.columns.map((c) => ({
      name: c.name,
      kind: c.data.kind,
      dtype: 'dtype' in c.data ? c.data.dtype : undefined,
      values: Array.from(c.data.values as ArrayLike<unknown>, (v) => (typeof v === 'number' ? (Object.is(v, -0) ? '-0' : String(v)) : v)),
    })),
    lines: origin?.lines,
    shortRows: [...(origin?.shortRows ?? [])],
  };
}

/** The general path: the tokenizer, then csvRowsToFrame (what readCsvRange did before the fast path). */
function general(text: string, layout: CsvLayout, firstLine: number, reading: ReadRequestOptions): unknown {
  const rows = new CsvRows();
  const tokenizer = new CsvTokenizer(firstLine);
  try {
    tokenizer.push(text, rows);
    tokenizer.end(rows);
    const frame = csvRowsToFrame(layout, rows, 0, rows.length, reading);
    const shortRows = new Map<number, number>();
    for (let r = 0; r < rows.length; r++) if (rows.width(r) < layout.width) shortRows.set(r, Math.max(0, rows.width(r) - layout.indexFields));
    return { ...(plain(frame) as object), lines: rows.lines, shortRows: [...shortRows] };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const ABC = csvLayout(['a', 'b', 'c'], 3);

/** The text's UTF-8 bytes followed by the 0 byte csvNumberRows stops at, and where that byte is. */
function bytesOf(text: string): [Uint8Array, number] {
  const bytes = Buffer.from(`${text}\0`);
  return [new Uint8Array(bytes), bytes.length - 1];
}

/** The fast path gives what the general path gives, or leaves the text to it. */
function agrees(text: string, layout = ABC, reading: ReadRequestOptions = {}, firstLine = 2): 'fast' | 'general' {
  const fast = csvNumberRows(...bytesOf(text), layout, firstLine, reading);
  if (fast === undefined) return 'general';
  expect(plain(fast)).toEqual(general(text, layout, firstLine, reading));
  return 'fast';
}

describe('csvNumberRows: plain numbers read without tokenizing', () => {
  it('reads ints, floats, exponents, signs and empty cells as the general path does', () => {
    expect(agrees('1,2,3\n4,5,6\n')).toBe('fast');
    expect(agrees('1,2.5,-3\n-0,+5,6e2\n')).toBe('fast');
    expect(agrees('-0.0,.5,1.\n0.1,1e-5,1E+22\n')).toBe('fast');
    expect(agrees('1,,3\n,5,\n')).toBe('fast');
    expect(agrees('1,2,3')).toBe('fast');
    expect(agrees('1,2,3\r\n4,5,6\r\n')).toBe('fast');
    expect(agrees('1,2,3\n\n\r\n4,5,6\n\n')).toBe('fast');
    expect(agrees('007,-000,1\n')).toBe('fast');
  });

  it('rounds every number as Number() does: long mantissas, large and small exponents', () => {
    const cells = [
      '0.46878494450741764', '-1.0491622304460273', '9007199254740993', '9007199254740992', '-9007199254740991',
      '123456789012345678901234567890', '1.7976931348623157e308', '1e309', '-1e309', '5e-324', '2e-324', '1e-400',
      '0.1e23', '1e22', '1e23', '123456789e-30', '1.00000000000000000000001', '0.000000000000000000000000001',
      '4.9406564584124654e-324', '2.2250738585072011e-308', '12345678901234567', '1e1000000000000', '-0e5',
    ];
    const rows: string[] = [];
    for (let i = 0; i + 2 < cells.length; i++) rows.push(`${cells[i]},${cells[i + 1]},${cells[i + 2]}`);
    expect(agrees(`${rows.join('\n')}\n`, ABC, { readsAsFloat: () => true })).toBe('fast');
    // ints beyond 2^53 in an int column: the general path decides (here it refuses them)
    expect(agrees('9007199254740993,1,2\n')).toBe('general');
    expect(agrees('9007199254740993,1,2\n1.5,1,2\n')).toBe('fast');
  });

  it('matches Number() on random decimals', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const cell = (): string => {
      const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
      const forms = [String(x), x.toExponential(Math.floor(rand() * 20)), x.toFixed(Math.floor(rand() * 20)), String(Math.round(x))];
      return forms[Math.floor(rand() * forms.length)];
    };
    const rows = Array.from({ length: 2000 }, () => `${cell()},${cell()},${cell()}`);
    expect(agrees(`${rows.join('\n')}\n`)).toBe('fast');
  });

  it('drops the index fields and the columns the schema does not keep', () => {
    const withIndex = csvLayout(['a', 'b'], 3);
    expect(agrees('10,1,2\n11,3,4\n', withIndex)).toBe('fast');
    expect(agrees('1,2,3\n4,5,6\n', ABC, { keepsColumn: (n) => n !== 'b' })).toBe('fast');
  });

  it('leaves to the general path anything but plain numbers and whole rows', () => {
    for (const text of [
      '1,2\n', '1,2,3,4\n', '1,2,3\n4,5\n', '1, 2,3\n', '1,2,3 \n', 'NA,2,3\n', 'nan,2,3\n', 'inf,1,2\n', '"1",2,3\n',
      'a,2,3\n', '1,2,3\r4,5,6\n', '1e,2,3\n', '.,2,3\n', '-,2,3\n', '+,1,2\n', '1.2.3,1,2\n', '0x10,1,2\n', 'True,1,2\n',
      '1,2,3\n\u00e9,1,2\n', '1,2,3e\n', '1,2,3e+\n', '1_000,1,2\n',
    ]) {
      expect(agrees(text), text).toBe('general');
    }
    // a text column keeps its cells' text
    expect(agrees('1,2,3\n', ABC, { readsAsText: (n) => n === 'a' })).toBe('general');
  });

  it('checks the row count it is told', () => {
    expect(csvNumberRows(...bytesOf('1,2,3\n4,5,6\n'), ABC, 2, {}, 2)).toBeDefined();
    expect(csvNumberRows(...bytesOf('1,2,3\n4,5,6\n'), ABC, 2, {}, 3)).toBeUndefined();
    expect(csvNumberRows(...bytesOf('1,2,3\n4,5,6\n'), ABC, 2, {}, 1)).toBeUndefined();
  });
});

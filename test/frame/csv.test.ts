import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { parseCsvRequest, readFrameBatches, type ColumnData, type Frame } from '../../src/frame/index.js';

/** Expected values are what pandas 1.5.3's read_csv gives for the same text. */

function kinds(f: Frame): string[] {
  return f.columns.map((c) => (c.data.kind === 'number' ? c.data.dtype : c.data.kind));
}

function values(d: ColumnData): unknown[] {
  return Array.from(d.values as ArrayLike<unknown>, (v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v));
}

describe('parseCsvRequest follows read_csv', () => {
  it('infers int64, float64 (also ints with a gap), bool, string; NA strings are missing', () => {
    const f = parseCsvRequest('i,f,g,b,s,e,t\n1,1.5,1,True,x,,y\n 2 ,2,,false,NA,,z\n');
    expect(kinds(f)).toEqual(['int64', 'float64', 'float64', 'bool', 'object', 'float64', 'string']);
    expect(values(f.column('i')!.data)).toEqual([1, 2]);
    expect(values(f.column('g')!.data)).toEqual([1, 'NaN']);
    expect(values(f.column('b')!.data)).toEqual([true, false]);
    // pandas' missing value among strings is a float NaN (an object column), never None.
    expect(values(f.column('s')!.data)).toEqual(['x', 'NaN']);
    expect(values(f.column('e')!.data)).toEqual(['NaN', 'NaN']);
    expect(values(f.column('t')!.data)).toEqual(['y', 'z']);
  });

  it("renames repeated header names as pandas 1.5's C reader does, in linear time", () => {
    expect(parseCsvRequest('a,a.1,a\n1,2,3\n').columnNames).toEqual(['a', 'a.1', 'a.2']);
    expect(parseCsvRequest('a,a,a,a.1\n1,2,3,4\n').columnNames).toEqual(['a', 'a.2', 'a.3', 'a.1']);
    expect(parseCsvRequest(',,Unnamed: 0\n1,2,3\n').columnNames).toEqual(['Unnamed: 0.1', 'Unnamed: 1', 'Unnamed: 0']);
    expect(parseCsvRequest('a,a,a.1,a.1\n1,2,3,4\n').columnNames).toEqual(['a', 'a.2', 'a.1', 'a.1.1']);
    // issue #18: 40,000 repeats of one name took minutes when each repeat counted from 1.
    const names = parseCsvRequest(`${'a,'.repeat(39_999)}a\n`).columnNames;
    expect(names.length).toBe(40_000);
    expect(names[39_999]).toBe('a.39999');
  });

  it('a header of more than 100,000 columns is refused, naming the limit', () => {
    expect(() => parseCsvRequest(`${'x,'.repeat(100_000)}x\n`)).toThrow(/CSV header has 100001 columns; mlflow-ts accepts at most 100000/);
  });

  it('leading fields beyond the header are the index (a MultiIndex for several), as read_csv takes them', () => {
    const f = parseCsvRequest('a,b\n1,2,3,4\n5,6,7,8\n');
    expect(values(f.column('a')!.data)).toEqual([3, 7]);
    expect(values(f.column('b')!.data)).toEqual([4, 8]);
    // Later rows may be shorter, not longer than the first: pandas' ParserError.
    expect(() => parseCsvRequest('a,b\n1,2,3\n4,5,6,7\n')).toThrow(/Expected 3 fields in line 3, saw 4/);
  });

  it('a bool column with a missing value is an object column of True, False and NaN', () => {
    const f = parseCsvRequest('b,c\nTrue,1\n,2\nFalse,3\n');
    expect(kinds(f)).toEqual(['object', 'int64']);
    expect(values(f.column('b')!.data)).toEqual([true, 'NaN', false]);
  });

  it('numbers pandas reads: 1e5, .5, 5., +5, inf, -Infinity; not 1_000; "None" is a string in pandas 1.5', () => {
    expect(values(parseCsvRequest('a\n1e5\n.5\n5.\n+5\ninf\n-Infinity\n').column('a')!.data)).toEqual([
      100000, 0.5, 5, 5, Infinity, -Infinity,
    ]);
    expect(parseCsvRequest('a\n1_000\n').column('a')!.data).toEqual({ kind: 'string', values: ['1_000'] });
    expect(parseCsvRequest('a\nNone\n1\n').column('a')!.data).toEqual({ kind: 'string', values: ['None', '1'] });
  });

  it('quotes, escaped quotes, text after a closing quote, CRLF and CR line ends, blank lines', () => {
    const f = parseCsvRequest('a,b\r\n"x,""y""",1\r\n\r\n"q"z,2\r3,4');
    expect(values(f.column('a')!.data)).toEqual(['x,"y"', 'qz', '3']);
    expect(values(f.column('b')!.data)).toEqual([1, 2, 4]);
  });

  it('header names: blanks are "Unnamed: i", repeats get .1', () => {
    expect(parseCsvRequest('a,a,,b\n1,2,3,4\n').columnNames).toEqual(['a', 'a.1', 'Unnamed: 2', 'b']);
  });

  it('short rows are padded; a first row one field wider carries an index', () => {
    expect(kinds(parseCsvRequest('a,b\n1\n'))).toEqual(['int64', 'float64']);
    const indexed = parseCsvRequest('a,b\n1,2,3\n');
    expect(values(indexed.column('a')!.data)).toEqual([2]);
  });

  it("refuses what pandas refuses, with MLflow's message and pandas' reason", () => {
    const cases: [string, string][] = [
      ['', 'No columns to parse from file'],
      ['\n\n', 'No columns to parse from file'],
      ['a,b\n1,2\n1,2,3\n', 'Error tokenizing data. C error: Expected 2 fields in line 3, saw 3\n'],
      ['a,b\n"1,2\n', 'Error tokenizing data. C error: EOF inside string starting at row 1'],
    ];
    for (const [text, reason] of cases) {
      try {
        parseCsvRequest(text);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(MlflowError);
        expect((e as MlflowError).errorCode).toBe('BAD_REQUEST');
        expect((e as MlflowError).message).toBe(
          'Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas' +
            ` DataFrame produced using the \`pandas.DataFrame.to_csv()\` method. Error: '${reason}'`,
        );
      }
    }
  });

  it('a header without rows gives empty object columns', () => {
    const f = parseCsvRequest('a,b\n');
    expect(f.numRows).toBe(0);
    expect(kinds(f)).toEqual(['object', 'object']);
  });
});

describe('chunk boundaries do not change the result', () => {
  it('any split of a tricky CSV reads as the whole text does', async () => {
    const text = 'a,"b\r\nc"\r\n"x,""y""",1\r\n\r\n"q"z,2\r3,"4"\n"",\n';
    const whole = parseCsvRequest(text);
    expect(whole.columnNames).toEqual(['a', 'b\r\nc']);
    for (let cut = 1; cut < text.length; cut++) {
      async function* two(): AsyncGenerator<string> {
        yield text.slice(0, cut);
        yield text.slice(cut);
      }
      const batches: Frame[] = [];
      for await (const b of readFrameBatches(two(), 'csv')) batches.push(b);
      expect(batches).toHaveLength(1);
      expect(batches[0].columnNames).toEqual(whole.columnNames);
      expect(batches[0].columns.map((c) => values(c.data))).toEqual(whole.columns.map((c) => values(c.data)));
    }
  });
});

describe('readFrameBatches streams a CSV', () => {
  const ROWS = 200_000;
  const ROWS_PER_CHUNK = 1_000;

  /** A generated 5-column CSV, handed out in chunks; counts how many were pulled. */
  function generated(): { chunks: AsyncIterable<string>; pulled: () => number } {
    let pulled = 0;
    async function* gen(): AsyncGenerator<string> {
      yield 'id,x,y,label,flag\n';
      for (let start = 0; start < ROWS; start += ROWS_PER_CHUNK) {
        let text = '';
        for (let i = start; i < start + ROWS_PER_CHUNK; i++) {
          text += `${i},${(i % 97) / 8},${i * 0.5},c${i % 3},${i % 2 === 0 ? 'True' : 'False'}\n`;
        }
        pulled++;
        yield text;
      }
    }
    return { chunks: gen(), pulled: () => pulled };
  }

  it(`reads ${ROWS} rows as batches of 25,000, pulling input only as batches are taken`, async () => {
    const { chunks, pulled } = generated();
    const sizes: number[] = [];
    const pulledAtBatch: number[] = [];
    let sum = 0;
    for await (const batch of readFrameBatches(chunks, 'csv', { batchRows: 25_000 })) {
      sizes.push(batch.numRows);
      pulledAtBatch.push(pulled());
      if (sizes.length === 1) expect(kinds(batch)).toEqual(['int64', 'float64', 'float64', 'string', 'bool']);
      const id = batch.column('id')!.data.values as Float64Array;
      sum += id.reduce((a, b) => a + b, 0);
    }
    expect(sizes).toEqual(Array(8).fill(25_000));
    expect(sum).toBe((ROWS * (ROWS - 1)) / 2);
    // Bounded memory: when a batch is handed out, only the chunks for it (plus one) have been read.
    pulledAtBatch.forEach((n, b) => expect(n).toBeLessThanOrEqual(((b + 1) * 25_000) / ROWS_PER_CHUNK + 1));
  });

  it('a bad row deep in the file is reported with its line', async () => {
    async function* chunks(): AsyncGenerator<string> {
      yield 'a,b\n';
      for (let i = 0; i < 10; i++) yield '1,2\n';
      yield '1,2,3\n';
    }
    const read = async () => {
      for await (const _ of readFrameBatches(chunks(), 'csv', { batchRows: 4 })) void _;
    };
    await expect(read()).rejects.toThrow('Expected 2 fields in line 12, saw 3');
  });
});

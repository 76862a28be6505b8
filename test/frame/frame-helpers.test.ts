import { describe, expect, it } from 'vitest';
import {
  frameFromColumns, frameFromRecords, frameToColumns, frameToRecords, readFrameBatches, sliceFrame,
  tensorFromJson, tensorToNested, type Frame,
} from '../../src/frame/index.js';

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const p of parts) yield p;
}

async function collect(it: AsyncIterable<Frame>): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of it) out.push(f);
  return out;
}

describe('frame helpers', () => {
  it('records -> frame -> records keeps values and key order', () => {
    const records = [{ a: 1, b: 'x' }, { a: 2, b: null }];
    const f = frameFromRecords(records);
    expect(frameToRecords(f)).toEqual(records);
    expect(frameToColumns(f)).toEqual({ a: [1, 2], b: ['x', null] });
  });

  it('a missing record key is NaN and a JSON null None, as pd.DataFrame(records) keeps them', () => {
    const f = frameFromRecords([{ s: 'x', n: 1 }, { s: null }, { n: 2 }]);
    expect(f.column('s')!.data).toEqual({ kind: 'object', values: ['x', null, NaN] });
    expect(Array.from(f.column('n')!.data.values as Float64Array)).toEqual([1, NaN, 2]);
  });

  it('records with ever new keys: only the kept keys become columns; without a filter the size is capped (issue #18)', () => {
    const records = Array.from({ length: 8000 }, (_, r) => Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`k${r}_${k}`, 1])));
    expect(() => frameFromRecords(records)).toThrow(/80000 distinct keys over 8000 records.*at most 33554432 cells/);
    const kept = frameFromRecords([...records, { a: 1 }], { keepsColumn: (n) => n === 'a' });
    expect(kept.columnNames).toEqual(['a']);
    expect(kept.numRows).toBe(8001);
  });

  it('columns dict -> frame, lengths checked', () => {
    const f = frameFromColumns({ x: [1, 2.5], y: [true, false] });
    expect(f.column('x')!.data).toMatchObject({ kind: 'number', dtype: 'float64' });
    expect(f.column('y')!.data).toEqual({ kind: 'bool', values: [true, false] });
    expect(() => frameFromColumns({ x: [1], y: [1, 2] })).toThrow("Column 'y' has 2 values but column 'x' has 1");
  });

  it('sliceFrame shares numeric memory', () => {
    const f = frameFromColumns({ x: [1, 2, 3, 4] });
    const s = sliceFrame(f, 1, 3);
    expect(Array.from(s.column('x')!.data.values as Float64Array)).toEqual([2, 3]);
    expect((s.column('x')!.data.values as Float64Array).buffer).toBe((f.column('x')!.data.values as Float64Array).buffer);
  });

  it('tensor <-> nested JSON', () => {
    for (const v of [[[1, 2, 3], [4, 5, 6]], [true, false], [['a', 'b']], 7, [[[]]]]) {
      expect(tensorToNested(tensorFromJson(v))).toEqual(v);
    }
  });
});

describe('readFrameBatches: JSON lines and JSON', () => {
  it('JSON lines across chunk boundaries, float literals kept', async () => {
    const batches = await collect(readFrameBatches(chunks('{"a": 1.0, "b": "x"}\n{"a"', ': 2, "b": "y"}\n\n{"a": 3, "b": null}'), 'jsonl', { batchRows: 2 }));
    expect(batches.map((b) => b.numRows)).toEqual([2, 1]);
    expect(batches[0].column('a')!.data).toMatchObject({ kind: 'number', dtype: 'float64' });
    expect(batches[1].column('a')!.data).toMatchObject({ kind: 'number', dtype: 'int64' });
  });

  it('a bad JSON line is named by its number', async () => {
    await expect(collect(readFrameBatches(chunks('{"a": 1}\n{"a": \n'), 'jsonl'))).rejects.toThrow('the input stream line 2 is not valid JSON');
    await expect(collect(readFrameBatches(chunks('{"a": 1}\n[1]\n'), 'jsonl'))).rejects.toThrow('line 2 is not a JSON object');
  });

  it('JSON: a list of records, or a scoring request body', async () => {
    const list = await collect(readFrameBatches(chunks('[{"a": 1}, {"a": 2}, {"a": 3}]'), 'json', { batchRows: 2 }));
    expect(list.map((b) => b.numRows)).toEqual([2, 1]);
    const split = await collect(readFrameBatches(chunks('{"dataframe_split": {"columns": ["a"], "data": [[1], [2]]}}'), 'json'));
    expect(split[0].numRows).toBe(2);
    await expect(collect(readFrameBatches(chunks('{"inputs": [[1]]}'), 'json'))).rejects.toThrow('batch input must be a table');
  });

  it('invalid UTF-8 is refused, not replaced', async () => {
    async function* bytes(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([0x61, 0x0a, 0xff, 0x0a]);
    }
    await expect(collect(readFrameBatches(bytes(), 'csv'))).rejects.toThrow('is not valid UTF-8 text');
  });
});

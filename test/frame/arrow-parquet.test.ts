import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { ByteWriter } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { Frame, createFrameWriter, frameToRecords, parseJsonRequest, readFrameBatches, type ColumnData } from '../../src/frame/index.js';
import { frameFromArrow, frameToArrow } from '../../src/arrow.js';
import { ParquetFrameWriter, readParquetBatches } from '../../src/parquet.js';

const dir = mkdtempSync(join(tmpdir(), 'frame-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A table with every column kind, nulls included. */
function sample(): Frame {
  const f = parseJsonRequest(
    '{"dataframe_records": [' +
      '{"i": 1, "f": 1.5, "n": null, "s": "a", "b": true, "o": [1, 2]},' +
      '{"i": 2, "f": 2.0, "n": 3.5, "s": null, "b": false, "o": {"x": "y"}},' +
      '{"i": -3, "f": -0.25, "n": 4, "s": "\\u00e9", "b": true, "o": null}]}',
  ).input as Frame;
  const i32: ColumnData = { kind: 'number', dtype: 'int32', values: new Int32Array([7, 8, 9]) };
  const f32: ColumnData = { kind: 'number', dtype: 'float32', values: new Float32Array([0.5, 1.5, 2.5]) };
  const when: ColumnData = { kind: 'datetime', values: [new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), null, new Date(0)] };
  return new Frame([...f.columns, { name: 'i32', data: i32 }, { name: 'f32', data: f32 }, { name: 'when', data: when }], 3);
}

function dtypes(f: Frame): string[] {
  return f.columns.map((c) => `${c.name}:${c.data.kind === 'number' ? c.data.dtype : c.data.kind}`);
}

/** Records with NaN as a string, so equality can compare them. */
function plain(f: Frame): unknown {
  return JSON.parse(JSON.stringify(frameToRecords(f), (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v)));
}

describe('Arrow', () => {
  it('round-trips every column kind through an IPC buffer', () => {
    const f = sample();
    const back = frameFromArrow(tableFromIPC(tableToIPC(frameToArrow(f))));
    expect(dtypes(back)).toEqual(dtypes(f));
    expect(plain(back)).toEqual(plain(f));
  });

  it('shares numeric memory with Arrow both ways (no copy)', () => {
    const f = sample();
    const values = f.column('f')!.data.values as Float64Array;
    const table = frameToArrow(f);
    expect(table.getChild('f')!.data[0].values.buffer).toBe(values.buffer);
    expect((frameFromArrow(table).column('f')!.data.values as Float64Array).buffer).toBe(values.buffer);
    expect((frameFromArrow(table).column('i32')!.data.values as Int32Array).buffer).toBe(
      (f.column('i32')!.data.values as Int32Array).buffer,
    );
  });
  it('writes int64 and uint64 exactly, negatives and values beyond 32 bits included', () => {
    const signed = [0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 32) - 5, 2 ** 53 - 1, -(2 ** 53) + 1, 123456789012];
    const unsigned = [0, 1, 2 ** 32 + 3, 2 ** 53 - 1, 4294967295, 7, 8, 9, 10, 11];
    const f = new Frame([
      { name: 'i64', data: { kind: 'number', dtype: 'int64', values: Float64Array.from(signed) } },
      { name: 'u64', data: { kind: 'number', dtype: 'uint64', values: Float64Array.from(unsigned) } },
    ], signed.length);
    const table = tableFromIPC(tableToIPC(frameToArrow(f)));
    expect(Array.from(table.getChild('i64')!.toArray() as BigInt64Array)).toEqual(signed.map(BigInt));
    expect(Array.from(table.getChild('u64')!.toArray() as BigUint64Array)).toEqual(unsigned.map(BigInt));
    const back = frameFromArrow(table);
    expect(dtypes(back)).toEqual(['i64:int64', 'u64:uint64']);
    expect(Array.from(back.column('i64')!.data.values as Float64Array)).toEqual(signed);
  });
});

describe('Parquet', () => {
  it('round-trips write -> read, row group by row group', async () => {
    const f = sample();
    const sink = new ByteWriter();
    const writer = new ParquetFrameWriter(sink, 2);
    writer.write(f);
    writer.write(f);
    writer.close();
    const batches: Frame[] = [];
    for await (const b of readParquetBatches(sink.getBuffer(), 2)) batches.push(b);
    // 6 rows in row groups of 2 (2, 1 per written frame of 3), each a batch.
    expect(batches.map((b) => b.numRows)).toEqual([2, 1, 2, 1]);
    expect(dtypes(batches[0])).toEqual(dtypes(f));
    expect([...(plain(batches[0]) as unknown[]), ...(plain(batches[1]) as unknown[])]).toEqual(plain(f));
  });

  it('a second batch with other columns is refused, naming both layouts', () => {
    const writer = new ParquetFrameWriter(new ByteWriter());
    writer.write(sample());
    expect(() => writer.write(sample().select(['i']))).toThrow(/a batch has columns \[i:INT64\]/);
  });
});

describe('Parquet written by Spark (snappy, nested structs)', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/frame/parquet/${name}`, import.meta.url));

  it('reads the columns with their types', async () => {
    const [batch] = await collectBatches(fixture('spark_logreg_data.snappy.parquet'));
    expect(dtypes(batch)).toEqual([
      'numClasses:int32', 'numFeatures:int32', 'interceptVector:object', 'coefficientMatrix:object', 'isMultinomial:bool',
    ]);
    expect(batch.column('numFeatures')!.data.values[0]).toBe(692);
    const intercept = batch.column('interceptVector')!.data.values[0] as { values: number[] };
    expect(intercept.values).toEqual([-0.12065879445860686, 0.12065879445860686]);
  });

  it('strings and doubles', async () => {
    const [batch] = await collectBatches(fixture('spark_trees_metadata.snappy.parquet'));
    expect(dtypes(batch)).toEqual(['treeID:int32', 'metadata:string', 'weights:float64']);
    expect(batch.numRows).toBe(2);
    expect(String(batch.column('metadata')!.data.values[0])).toContain('DecisionTreeClassificationModel');
  });
});

async function collectBatches(path: string): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const b of readFrameBatches(path, 'parquet')) out.push(b);
  return out;
}

describe('batch writers and readers, file to file', () => {
  for (const format of ['csv', 'jsonl', 'parquet', 'arrow'] as const) {
    it(`${format}: writes batches and reads them back`, async () => {
      const path = join(dir, `out.${format}`);
      const f = sample().select(['i', 'f', 's', 'b']);
      const w = createFrameWriter(path, format);
      await w.write(f);
      await w.write(f);
      await w.close();
      const batches: Frame[] = [];
      for await (const b of readFrameBatches(path, format, { batchRows: 4 })) batches.push(b);
      expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(6);
      const rows = batches.flatMap((b) => plain(b) as unknown[]);
      const written = plain(f) as Record<string, unknown>[];
      // CSV has no None: the empty cell to_csv writes for it reads back as NaN, as in pandas.
      const expected = format === 'csv' ? written.map((r) => ({ ...r, s: r.s ?? 'NaN' })) : written;
      expect(rows).toEqual([...expected, ...expected]);
    });
  }

  it('csv output is what pandas to_csv(index=False) writes', async () => {
    const path = join(dir, 'pandas.csv');
    const w = createFrameWriter(path, 'csv');
    await w.write(sample().select(['i', 'f', 'n', 's', 'b', 'o', 'when']));
    await w.close();
    // Written by pandas 1.5.3 for the same table (o as Python objects, when as datetime64).
    expect(readFileSync(path, 'utf8')).toBe(
      'i,f,n,s,b,o,when\n' +
        '1,1.5,,a,True,"[1, 2]",2024-01-02 03:04:05\n' +
        "2,2.0,3.5,,False,{'x': 'y'},\n" +
        '-3,-0.25,4.0,é,True,,1970-01-01 00:00:00\n',
    );
  });

  it('an Arrow IPC stream is read batch by batch', async () => {
    const bytes = tableToIPC(frameToArrow(sample()), 'stream');
    async function* stream(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 64) yield bytes.subarray(i, i + 64);
    }
    const batches: Frame[] = [];
    for await (const b of readFrameBatches(stream(), 'arrow', { batchRows: 2 })) batches.push(b);
    expect(batches.map((b) => b.numRows)).toEqual([2, 1]);
    expect(dtypes(batches[0])).toEqual(dtypes(sample()));
  });

  it("json output is MLflow's predictions body", async () => {
    const path = join(dir, 'pred.json');
    const w = createFrameWriter(path, 'json');
    const f = sample().select(['i', 'f']);
    await w.write(f);
    await w.write(f);
    await w.close();
    const row = '{"i": 1, "f": 1.5}, {"i": 2, "f": 2.0}, {"i": -3, "f": -0.25}';
    expect(readFileSync(path, 'utf8')).toBe(`{"predictions": [${row}, ${row}]}`);
  });
});

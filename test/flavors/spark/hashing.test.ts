import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Frame } from '../../../src/frame/frame.js';
import { loadPipeline } from '../../../src/flavors/spark/index.js';
import { murmur3Bytes, murmur3BytesSpark2, nonNegativeMod } from '../../../src/flavors/spark/murmur3.js';
import { SPARK_FIXTURES } from './fixtures.js';

const REFERENCE = JSON.parse(readFileSync(path.join(SPARK_FIXTURES, 'generated', 'murmur3-reference.json'), 'utf8')) as Record<string, number>;
const utf8 = new TextEncoder();

/** A params-only stage directory, as Spark's DefaultParamsWriter writes it. */
function stageDir(meta: object): string {
  const dir = mkdtempSync(path.join(process.env.MLFLOW_TS_CACHE_DIR ?? tmpdir(), 'spark-stage-'));
  mkdirSync(path.join(dir, 'metadata'));
  writeFileSync(path.join(dir, 'metadata', 'part-00000'), `${JSON.stringify(meta)}\n`);
  return dir;
}

describe('spark flavor: murmur3 hashing (HashingTF, FeatureHasher)', () => {
  it.each(Object.entries(REFERENCE))('MurmurHash3 x86_32 of %j, seed 42, as scikit-learn computes it', (term, hash) => {
    expect(murmur3Bytes(utf8.encode(term), 42)).toBe(hash);
  });

  it("Spark 2's variant differs only in the tail bytes", () => {
    for (const term of ['abcd', 'abcdefgh', '1234567890ab']) expect(murmur3BytesSpark2(utf8.encode(term), 42)).toBe(murmur3Bytes(utf8.encode(term), 42));
  });

  it('HashingTF (Spark 3) counts each term at its hash modulo numFeatures', async () => {
    const dir = stageDir({
      class: 'org.apache.spark.ml.feature.HashingTF', timestamp: 0, sparkVersion: '3.5.0', uid: 'hashingTF_1',
      paramMap: { inputCol: 'words', outputCol: 'tf', numFeatures: 1000 }, defaultParamMap: { binary: false, numFeatures: 262144 },
    });
    const pipeline = await loadPipeline(dir);
    const words = ['spark', 'hadoop', 'spark', 'mllib', 'é'];
    const out = await pipeline.transform(new Frame([{ name: 'words', data: { kind: 'object', values: [words] } }]));
    const tf = (out.column('tf')?.data.values[0] as number[]);
    expect(tf).toHaveLength(1000);
    const expected = new Array<number>(1000).fill(0);
    for (const w of words) expected[nonNegativeMod(REFERENCE[w], 1000)] += 1;
    expect(tf).toEqual(expected);
  });

  it('FeatureHasher: numbers at hash(column), strings as indicators at hash("column=value")', async () => {
    const dir = stageDir({
      class: 'org.apache.spark.ml.feature.FeatureHasher', timestamp: 0, sparkVersion: '3.5.0', uid: 'fh_1',
      paramMap: { inputCols: ['Age', 'Employment'], outputCol: 'hashed', numFeatures: 64 }, defaultParamMap: {},
    });
    const pipeline = await loadPipeline(dir);
    const input = new Frame([
      { name: 'Age', data: { kind: 'number', dtype: 'float64', values: Float64Array.of(38) } },
      { name: 'Employment', data: { kind: 'string', values: ['Private'] } },
    ]);
    const out = await pipeline.transform(input);
    const v = out.column('hashed')?.data.values[0] as number[];
    const expected = new Array<number>(64).fill(0);
    expected[nonNegativeMod(murmur3Bytes(utf8.encode('Age'), 42), 64)] += 38;
    expected[nonNegativeMod(REFERENCE['Employment=Private'], 64)] += 1;
    expect(v).toEqual(expected);
  });
});

import { cpSync, mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../../src/errors.js';
import { Frame } from '../../../src/frame/frame.js';
import { loadPipeline } from '../../../src/flavors/spark/index.js';
import { readMetadata } from '../../../src/flavors/spark/metadata.js';
import { murmur3Bytes, nonNegativeMod } from '../../../src/flavors/spark/murmur3.js';
import { SPARK_FIXTURES } from './fixtures.js';

const HYDRO = path.join(SPARK_FIXTURES, 'hydrosphere');
const APACHE = path.join(SPARK_FIXTURES, 'apache-spark-metadata');

function sparseRows(size: number): Frame {
  const rows = [
    { size, indices: [], values: [] },
    { size, indices: [127, 128, 154, 155, 156], values: [51, 159, 253, 159, 50] },
    { size, indices: [300, 301, 350, 351, 400, 401, 450], values: [253, 253, 253, 253, 253, 253, 253] },
  ];
  return new Frame([{ name: 'features', data: { kind: 'object', values: rows } }]);
}

describe('spark flavor: Spark 2.3 models (pyspark 2.3, hydrosphere)', () => {
  it('multinomial LogisticRegression with sparse CSR coefficients: 692 features, softmax probabilities', async () => {
    const pipeline = await loadPipeline(path.join(HYDRO, 'py_log_reg'));
    expect(pipeline.stage.params.get('family')).toBe('multinomial'); // Spark 2.3: every param in paramMap
    const out = await pipeline.transform(sparseRows(692));
    const probs = out.column('probability')?.data.values as number[][];
    const raw = out.column('rawPrediction')?.data.values as number[][];
    const pred = out.column('prediction')?.data.values as Float64Array;
    probs.forEach((p, i) => {
      expect(p[0] + p[1]).toBeCloseTo(1, 14);
      // softmax is monotone: the likeliest class has the largest margin
      expect(pred[i]).toBe(raw[i][1] > raw[i][0] ? 1 : 0);
      expect(p[1] / p[0]).toBeCloseTo(Math.exp(raw[i][1] - raw[i][0]), 10);
    });
    // vectors of another size are refused
    const e = await pipeline.transform(sparseRows(10)).then(() => null, (err: unknown) => err);
    expect((e as MlflowError).httpStatus).toBe(400);
  });

  it('RandomForestClassifier in 4 parquet parts, without rawCount: every tree votes once', async () => {
    const pipeline = await loadPipeline(path.join(HYDRO, 'py_rforest_cls'));
    const input = sparseRows(692);
    const renamed = new Frame([{ name: 'indexedFeatures', data: input.columns[0].data }]);
    const out = await pipeline.transform(renamed);
    const raw = out.column('rawPrediction')?.data.values as number[][];
    raw.forEach((r) => expect(r[0] + r[1]).toBeCloseTo(10, 12));
    const pred = out.column('prediction')?.data.values as Float64Array;
    raw.forEach((r, i) => expect(pred[i]).toBe(r[1] > r[0] ? 1 : 0));
  });
});

describe('spark flavor: metadata of each Spark version', () => {
  it('Spark 2.3 keeps every param in paramMap; 2.4+ split user-set params and defaults', async () => {
    const m23 = await readMetadata(path.join(HYDRO, 'py_rforest_cls'));
    expect(m23.sparkVersion).toBe('2.3.0');
    expect(m23.params.isSet('maxDepth')).toBe(true);
    expect(m23.raw.numTrees).toBe(10);
    const gbtc = await readMetadata(path.join(APACHE, 'gbtc-2.4.7'));
    expect(gbtc.className).toBe('org.apache.spark.ml.classification.GBTClassificationModel');
    expect(gbtc.params.number('maxIter')).toBe(2); // set, over the default 20
    expect(gbtc.params.isSet('stepSize')).toBe(false);
    expect(gbtc.params.number('stepSize')).toBe(0.1);
    const si = await readMetadata(path.join(APACHE, 'strIndexerModel-2.4.4'));
    expect(si.params.string('handleInvalid')).toBe('skip');
  });

  // hashingTF-2.4.4 holds params only: it loads (see the next test)
  it.each(readdirSync(APACHE).filter((n) => !n.endsWith('.md') && !n.startsWith('hashingTF')))('%s: reads, then names the data it lacks or refuses the class', async (name) => {
    const dir = path.join(APACHE, name);
    const meta = await readMetadata(dir);
    expect(meta.className).toMatch(/^org\.apache\.spark\.ml\./);
    const e = (await loadPipeline(dir).then(() => null, (err: unknown) => err)) as MlflowError;
    expect(e).toBeInstanceOf(MlflowError);
    if (e.errorCode === 'NOT_IMPLEMENTED') expect(e.message).toContain(meta.className);
    else expect(e.message).toContain(dir);
  });

  it('HashingTF saved by Spark 2.4 loads with its params (binary, numFeatures 100) and Spark 2\'s hash', async () => {
    const pipeline = await loadPipeline(path.join(APACHE, 'hashingTF-2.4.4'));
    const words = ['abcd', 'abcd', 'efgh'];
    const out = await pipeline.transform(new Frame([{ name: 'words', data: { kind: 'object', values: [words] } }]));
    const v = out.column('features')?.data.values[0] as number[];
    expect(v).toHaveLength(100);
    // binary: each distinct term counts 1; 4-byte terms hash alike in both variants
    const expected = new Array<number>(100).fill(0);
    for (const w of words) expected[nonNegativeMod(murmur3Bytes(new TextEncoder().encode(w), 42), 100)] = 1;
    expect(v).toEqual(expected);
  });

  it('Spark 4 names the metadata file part-00000-<uuid>-c000.txt', async () => {
    const dir = mkdtempSync(path.join(process.env.MLFLOW_TS_CACHE_DIR ?? tmpdir(), 'spark4-'));
    cpSync(path.join(HYDRO, 'py_log_reg'), dir, { recursive: true });
    renameSync(path.join(dir, 'metadata', 'part-00000'), path.join(dir, 'metadata', 'part-00000-5c1b0c7e-2f0a-4bd4-a1a9-8d1f0e2c3b4a-c000.txt'));
    const pipeline = await loadPipeline(dir);
    expect(pipeline.stage.className).toBe('org.apache.spark.ml.classification.LogisticRegressionModel');
  });
});

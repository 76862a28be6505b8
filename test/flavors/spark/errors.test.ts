import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../../src/errors.js';
import { Frame } from '../../../src/frame/frame.js';
import { loadPipeline } from '../../../src/flavors/spark/index.js';
import { readDataRow } from '../../../src/flavors/spark/model-data.js';
import { fixturePath, inputFrame, manifest, readCsv, SPARK_FIXTURES, unzipPipeline } from './fixtures.js';

const RF100 = path.join(SPARK_FIXTURES, 'generated', 'rf100-audit', 'sparkml');

async function rejection(p: Promise<unknown>): Promise<MlflowError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(MlflowError);
  return e as MlflowError;
}

function pipelineDir(name: string): string {
  const entry = manifest().find((p) => p.name === name);
  if (!entry) throw new Error(name);
  return unzipPipeline(fixturePath(entry.pipeline_zip));
}

function copyOf(dir: string): string {
  const target = mkdtempSync(path.join(process.env.MLFLOW_TS_CACHE_DIR ?? tmpdir(), 'spark-broken-'));
  cpSync(dir, target, { recursive: true });
  return target;
}

describe('spark flavor: bad input', () => {
  it('a missing input column is a 400 naming it', async () => {
    const pipeline = await loadPipeline(RF100);
    const input = new Frame([
      { name: 'Age', data: { kind: 'number', dtype: 'int64', values: Float64Array.of(38) } },
      { name: 'Hours', data: { kind: 'number', dtype: 'float64', values: Float64Array.of(72) } },
      { name: 'Employment', data: { kind: 'string', values: ['Private'] } },
    ]);
    const e = await rejection(pipeline.transform(input));
    expect(e.httpStatus).toBe(400);
    expect(e.message).toContain("'Income'");
  });

  it('an unseen category with handleInvalid=error is a 400 naming the column, not the value', async () => {
    const pipeline = await loadPipeline(pipelineDir('DecisionTreeIris'));
    const input = inputFrame(fixturePath('pmml-sparkml/src/test/resources/csv/Iris.csv'), fixturePath('pmml-sparkml/src/test/resources/schema/Iris.json'));
    const species = input.column('Species');
    (species?.data.values as string[])[3] = 'secret-value-xyz';
    const e = await rejection(pipeline.transform(input));
    expect(e.httpStatus).toBe(400);
    expect(e.message).toContain("'Species'");
    expect(e.message).toContain('unseen');
    expect(e.message).not.toContain('secret-value-xyz');
  });

  it('an input without the label column is scored: the label indexer is skipped, as in Spark', async () => {
    const pipeline = await loadPipeline(pipelineDir('DecisionTreeIris'));
    const input = inputFrame(fixturePath('pmml-sparkml/src/test/resources/csv/Iris.csv'), fixturePath('pmml-sparkml/src/test/resources/schema/Iris.json'));
    const unlabeled = input.select(input.columnNames.filter((n) => n !== 'Species'));
    const out = await pipeline.transform(unlabeled);
    expect(out.column('prediction')?.data.values).toHaveLength(150);
  });

  it('a corrupt parquet file is an error naming the file', async () => {
    const dir = copyOf(RF100);
    const dataDir = path.join(dir, 'stages', '2_RandomForestClassifier_5f4e3d2c1b0a', 'data');
    const file = path.join(dataDir, readdirSync(dataDir).find((n) => n.endsWith('.parquet')) as string);
    writeFileSync(file, 'PAR1 this is not parquet PAR1');
    const e = await rejection(loadPipeline(dir));
    expect(e.message).toContain(file);
  });

  it('corrupt metadata is an error naming the file', async () => {
    const dir = copyOf(RF100);
    const file = path.join(dir, 'stages', '1_VectorAssembler_0a1b2c3d4e5f', 'metadata', 'part-00000');
    writeFileSync(file, '{"class": "org.apache.spark.ml.feature.VectorAssembler", "paramMap": ');
    const e = await rejection(loadPipeline(dir));
    expect(e.message).toContain(file);
  });
});

describe('spark flavor: stages not supported natively are refused at load by class name', () => {
  const refused: [string, string][] = [
    ['FPGrowthShopping', 'org.apache.spark.ml.fpm.FPGrowthModel'],
  ];
  it.each(refused)('%s: %s', async (name, cls) => {
    const e = await rejection(loadPipeline(pipelineDir(name)));
    expect(e.errorCode).toBe('NOT_IMPLEMENTED');
    expect(e.message).toContain(cls);
    expect(e.message).toContain('not supported natively');
  });

  it('an unknown class is refused by name', async () => {
    const dir = copyOf(RF100);
    const file = path.join(dir, 'stages', '1_VectorAssembler_0a1b2c3d4e5f', 'metadata', 'part-00000');
    writeFileSync(file, '{"class":"com.example.MyTransformer","uid":"x","sparkVersion":"3.5.0","paramMap":{}}\n');
    const e = await rejection(loadPipeline(dir));
    expect(e.errorCode).toBe('NOT_IMPLEMENTED');
    expect(e.message).toContain('com.example.MyTransformer');
  });
});

describe('spark flavor: a column a skipped StringIndexer would have made', () => {
  it('is reported as the input column the caller left out', async () => {
    const entry = manifest().find((p) => p.name === 'DecisionTreeAudit');
    const pipeline = await loadPipeline(unzipPipeline(fixturePath(entry?.pipeline_zip as string)));
    const input = inputFrame(fixturePath('pmml-sparkml/src/test/resources/csv/Audit.csv'), fixturePath('pmml-sparkml/src/test/resources/schema/Audit.json'));
    const e = await rejection(pipeline.transform(input.select(input.columnNames.filter((n) => n !== 'Education'))));
    expect(e.httpStatus).toBe(400);
    expect(e.message).toContain("input column 'Education' is missing");
  });
});

describe('spark flavor: IndexToString after a classifier', () => {
  it("turns predictions back into Spark's labels (checked against the pipeline's expected Species)", async () => {
    const dir = copyOf(pipelineDir('DecisionTreeIris'));
    const meta = JSON.parse(readFileSync(path.join(dir, 'metadata', 'part-00000'), 'utf8')) as { paramMap: { stageUids: string[] } };
    const uids = meta.paramMap.stageUids;
    const labelsDir = readdirSync(path.join(dir, 'stages')).find((n) => n.startsWith('0_')) as string;
    const labels = (await readDataRow(path.join(dir, 'stages', labelsDir))).labelsArray as string[][];
    const stage = path.join(dir, 'stages', `${uids.length}_IndexToString_test`);
    mkdirSync(path.join(stage, 'metadata'), { recursive: true });
    writeFileSync(path.join(stage, 'metadata', 'part-00000'), `${JSON.stringify({
      class: 'org.apache.spark.ml.feature.IndexToString', timestamp: 0, sparkVersion: '3.5.0', uid: 'IndexToString_test',
      paramMap: { inputCol: 'prediction', outputCol: 'predictedSpecies', labels: labels[0] }, defaultParamMap: {},
    })}\n`);
    writeFileSync(path.join(dir, 'metadata', 'part-00000'), `${JSON.stringify({ ...meta, paramMap: { stageUids: [...uids, 'IndexToString_test'] } })}\n`);
    const pipeline = await loadPipeline(dir);
    const input = inputFrame(fixturePath('pmml-sparkml/src/test/resources/csv/Iris.csv'), fixturePath('pmml-sparkml/src/test/resources/schema/Iris.json'));
    const out = await pipeline.transform(input);
    const expected = readCsv(fixturePath('pmml-sparkml/src/test/resources/csv/DecisionTreeIris.csv')).rows.map((r) => r[0]);
    expect(out.column('predictedSpecies')?.data.values).toEqual(expected);
  });
});

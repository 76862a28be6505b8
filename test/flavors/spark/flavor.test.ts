import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { Frame } from '../../../src/frame/frame.js';
import { loadPipeline } from '../../../src/flavors/spark/index.js';
import { inputFrame, readCsv, SPARK_FIXTURES, fixturePath } from './fixtures.js';

const RF100 = path.join(SPARK_FIXTURES, 'generated', 'rf100-audit');
const AUDIT_CSV = fixturePath('pmml-sparkml/src/test/resources/csv/Audit.csv');
const AUDIT_SCHEMA = fixturePath('pmml-sparkml/src/test/resources/schema/Audit.json');

function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}

describe('spark flavor through loadPredictor (MLmodel spark + python_function mlflow.spark)', () => {
  it('loads natively and predicts the "prediction" column as a list, as MLflow\'s _PyFuncModelWrapper', async () => {
    const predictor = await loadPredictor(RF100, { runtime: 'native' });
    expect(predictor.flavor).toBe('spark');
    const input = inputFrame(AUDIT_CSV, AUDIT_SCHEMA);
    const out = (await predictor.predict(input)) as number[];
    expect(Array.isArray(out)).toBe(true);
    expect(out).toHaveLength(input.numRows);
    const expected = readCsv(path.join(SPARK_FIXTURES, 'generated', 'rf100-audit-expected.csv'));
    // scikit-learn fitted the 100 trees; its predict_proba is the forest's probability
    const full = await (await loadPipeline(path.join(RF100, 'sparkml'))).transform(input);
    const probs = full.column('probability')?.data.values as number[][];
    const bad = expected.rows.filter((r, i) => !close(probs[i][0], Number(r[0])) || !close(probs[i][1], Number(r[1])));
    expect(bad).toEqual([]);
    out.forEach((p, i) => expect(p).toBe(probs[i][1] > probs[i][0] ? 1 : 0));
    await predictor.close();
  });

  it('gives every column Spark adds, named as Spark names them', async () => {
    const pipeline = await loadPipeline(path.join(RF100, 'sparkml'));
    const input = new Frame([
      { name: 'Age', data: { kind: 'number', dtype: 'int64', values: Float64Array.of(38) } },
      { name: 'Income', data: { kind: 'number', dtype: 'float64', values: Float64Array.of(81838) } },
      { name: 'Hours', data: { kind: 'number', dtype: 'float64', values: Float64Array.of(72) } },
      { name: 'Employment', data: { kind: 'string', values: ['never seen'] } },
    ]);
    const out = await pipeline.transform(input);
    expect(out.columnNames).toEqual(['Age', 'Income', 'Hours', 'Employment', 'employmentIndex', 'features', 'rawPrediction', 'probability', 'prediction']);
    // handleInvalid=keep: an unseen category gets index numLabels (7 Audit employment labels)
    expect(out.column('employmentIndex')?.data.values[0]).toBe(7);
    expect(out.column('features')?.data.values[0]).toEqual([38, 81838, 72, 7]);
    const raw = out.column('rawPrediction')?.data.values[0] as number[];
    expect(raw[0] + raw[1]).toBeCloseTo(100, 9);
  });
});

describe('spark flavor: a features column given as lists of numbers', () => {
  it('becomes a vector, as with a sparkml_vector signature column (MLflow converts it with array_to_vector)', async () => {
    const dir = mkdtempSync(path.join(process.env.MLFLOW_TS_CACHE_DIR ?? tmpdir(), 'spark-vec-'));
    cpSync(path.join(SPARK_FIXTURES, 'hydrosphere', 'py_log_reg'), path.join(dir, 'sparkml'), { recursive: true });
    writeFileSync(
      path.join(dir, 'MLmodel'),
      [
        'flavors:',
        '  python_function:',
        '    data: sparkml',
        '    loader_module: mlflow.spark',
        '    python_version: 3.11.2',
        '  spark:',
        '    code: null',
        '    model_data: sparkml',
        '    pyspark_version: 2.3.0',
        'mlflow_version: 2.22.1',
        'signature:',
        `  inputs: '[{"type": "sparkml_vector", "name": "features", "required": true}]'`,
        `  outputs: '[{"type": "double", "required": true}]'`,
        '',
      ].join('\n'),
    );
    const predictor = await loadPredictor(dir, { runtime: 'native' });
    const rows = [new Array<number>(692).fill(0), Array.from({ length: 692 }, (_, i) => (i % 7 === 0 ? 200 : 0))];
    const out = (await predictor.predict(new Frame([{ name: 'features', data: { kind: 'object', values: rows } }]))) as number[];
    // the same rows as sparse vectors score alike
    const pipeline = await loadPipeline(path.join(dir, 'sparkml'));
    const sparseRows = rows.map((r) => ({ size: 692, indices: r.flatMap((x, i) => (x !== 0 ? [i] : [])), values: r.filter((x) => x !== 0) }));
    const full = await pipeline.transform(new Frame([{ name: 'features', data: { kind: 'object', values: sparseRows } }]));
    expect(out).toEqual(Array.from(full.column('prediction')?.data.values as Float64Array));
    expect(out).toHaveLength(2);
    await predictor.close();
  });
});

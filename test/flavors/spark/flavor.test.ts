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

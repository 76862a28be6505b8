import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Frame } from '../../../src/frame/frame.js';
import { parseJsonRequest } from '../../../src/frame/index.js';
import { makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { callMethod, loadSklearnEstimator } from '../../../src/flavors/sklearn/index.js';

const ROOT = join(import.meta.dirname, '../../fixtures/sklearn');

function values(t: Tensor): unknown[] {
  return Array.from(t.data as ArrayLike<unknown>);
}

function expectClose(got: unknown[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs((g as number) - want[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want[i]))));
}

describe('MLflow 2.22.1 sklearn models (made by Python MLflow) through loadPredictor', () => {
  const expected = JSON.parse(readFileSync(join(ROOT, 'mlflow-2.22.1/expected.json'), 'utf8')) as Record<
    string,
    { predict_fn: string; dtype: string; predictions: unknown[] }
  >;
  for (const [name, exp] of Object.entries(expected)) {
    it(`${name}: serving_input_example gives sklearn's ${exp.predict_fn} output`, async () => {
      const dir = join(ROOT, 'mlflow-2.22.1', name);
      const predictor = await loadPredictor(dir, { runtime: 'native' });
      expect(predictor.flavor).toBe('sklearn');
      const req = parseJsonRequest(readFileSync(join(dir, 'serving_input_example.json'), 'utf8'));
      const out = (await predictor.predict(req.input)) as Tensor;
      expect(out.dtype).toBe(exp.dtype);
      if (exp.dtype === 'float64') expectClose(values(out), exp.predictions.flat() as number[]);
      else expect(values(out)).toEqual(exp.predictions);
      if (exp.predict_fn === 'predict_proba') expect(out.shape).toEqual([exp.predictions.length, 3]);
    });
  }

  it('iris_logreg: columns in another order and an extra column are accepted (as the 2.22.1 server did)', async () => {
    const predictor = await loadPredictor(join(ROOT, 'mlflow-2.22.1/iris_logreg'), { runtime: 'native' });
    const req = parseJsonRequest(
      '{"dataframe_split": {"columns": ["petal_width", "petal_length", "sepal_width", "sepal_length", "extra"], "data": [[2.3, 6.1, 3.0, 7.7, 1]]}}',
    );
    expect(values((await predictor.predict(req.input)) as Tensor)).toEqual([2]);
  });

  it('iris_logreg_proba: dataframe_split of three classes matches the recorded server answer', async () => {
    const predictor = await loadPredictor(join(ROOT, 'mlflow-2.22.1/iris_logreg_proba'), { runtime: 'native' });
    const req = parseJsonRequest(JSON.stringify({
      dataframe_split: {
        columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
        data: [[5.1, 3.5, 1.4, 0.2]],
      },
    }));
    const out = (await predictor.predict(req.input)) as Tensor;
    // protocol/TABLE.md, iris_logreg_proba dataframe_records
    expectClose(values(out), [0.9815846522037225, 0.018415333299454474, 1.4496823031003109e-08]);
  });
});

describe('older MLflow sklearn models', () => {
  it('MLflow 1.30.1 LogisticRegression (pickled by sklearn 1.5.2) predicts expected_outputs.json', async () => {
    const dir = join(ROOT, 'mlflow-legacy/mlflow-1.30.1-logreg');
    const exp = JSON.parse(readFileSync(join(dir, 'expected_outputs.json'), 'utf8')) as {
      input: { columns: string[]; data: number[][] }; predict: number[];
    };
    const predictor = await loadPredictor(dir, { runtime: 'native' });
    const frame = new Frame(exp.input.columns.map((name, j) => ({
      name, data: { kind: 'number', dtype: 'float64', values: Float64Array.from(exp.input.data, (r) => r[j]) },
    })));
    expect(values((await predictor.predict(frame)) as Tensor)).toEqual(exp.predict);
    const est = await loadSklearnEstimator(join(dir, 'model.pkl'));
    const proba = JSON.parse(readFileSync(join(dir, 'expected_outputs.json'), 'utf8')).predict_proba as number[][];
    expectClose(values(callMethod(est, 'predict_proba', frame)), proba.flat());
  });

  it('2018 ElasticNet (sklearn 0.19.1, protocol 2, sklearn.linear_model.coordinate_descent) predicts expected_outputs.json', async () => {
    const dir = join(ROOT, 'mlflow-legacy/elasticnet-2018');
    const exp = JSON.parse(readFileSync(join(dir, 'expected_outputs.json'), 'utf8')) as {
      input: { columns: string[]; data: number[][] }; predict: number[];
    };
    const predictor = await loadPredictor(dir, { runtime: 'native' });
    const rows = exp.input.data.length;
    const cols = exp.input.columns.length;
    const x = makeTensor({ dtype: 'float64', shape: [rows, cols], data: Float64Array.from(exp.input.data.flat()) });
    expectClose(values((await predictor.predict(x)) as Tensor), exp.predict);
  });
});

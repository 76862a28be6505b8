import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Frame } from '../../../src/frame/frame.js';
import type { Tensor } from '../../../src/frame/tensor.js';
import { saveModel } from '../../../src/flavors/sklearn/index.js';
import { Model } from '../../../src/model/index.js';
import { caseInput, type CaseJson } from './case-input.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';

const ROOT = join(import.meta.dirname, '../../fixtures/sklearn');
const tmp = mkdtempSync(join(tmpdir(), 'mlflow-ts-sklearn-save-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PY_MODEL = join(ROOT, 'mlflow-2.22.1/iris_logreg');

function example(): Frame {
  const names = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
  const rows = [[5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3]];
  return new Frame(names.map((name, j) => ({
    name, data: { kind: 'number', dtype: 'float64', values: Float64Array.from(rows, (r) => r[j]) },
  })));
}

describe('sklearn saveModel', () => {
  it('packages a pickle as Python MLflow 2.22.1 does (same flavors, signature, example files)', async () => {
    const dir = join(tmp, 'iris');
    await saveModel(dir, { pickle: join(PY_MODEL, 'model.pkl'), inputExample: example() });
    const ours = await Model.load(dir);
    const theirs = await Model.load(PY_MODEL);
    expect(ours.flavors.sklearn).toEqual({ ...theirs.flavors.sklearn, serialization_format: 'pickle' });
    const { env: _e1, ...ourPyfunc } = ours.flavors.python_function;
    const { env: _e2, ...theirPyfunc } = theirs.flavors.python_function;
    expect(ourPyfunc).toEqual(theirPyfunc);
    expect(ours.signature?.toDict()).toEqual(theirs.signature?.toDict());
    expect(ours.savedInputExampleInfo).toEqual(theirs.savedInputExampleInfo);
    expect(readFileSync(join(dir, 'requirements.txt'), 'utf8')).toBe('mlflow==2.22.1\nscikit-learn==1.2.1');
    expect(readFileSync(join(dir, 'python_env.yaml'), 'utf8')).toContain('python: 3.11.2');
    expect(readFileSync(join(dir, 'serving_input_example.json'), 'utf8')).toContain('"dataframe_split"');
    expect(readFileSync(join(dir, 'model.pkl'))).toEqual(readFileSync(join(PY_MODEL, 'model.pkl')));

    const predictor = await loadPredictor(dir, { runtime: 'native' });
    expect(Array.from(((await predictor.predict(example())) as Tensor).data as Float64Array)).toEqual([0, 2]);
  });

  it('infers a probability output signature for predict_fn predict_proba', async () => {
    const dir = join(tmp, 'proba');
    const model = await saveModel(dir, { pickle: join(PY_MODEL, 'model.pkl'), inputExample: example(), predictFn: 'predict_proba' });
    expect(model.flavors.python_function.predict_fn).toBe('predict_proba');
    expect(model.signature?.toDict().outputs).toBe('[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]');
  });

  it('round-trips a DataFrame pipeline (strings, missing values) through save, signature enforcement and predict', async () => {
    const caseDir = join(ROOT, 'pipeline_column_transformer_logreg_mixed');
    const c = JSON.parse(readFileSync(join(caseDir, 'case.json'), 'utf8')) as CaseJson & {
      outputs: { predict_proba: { value: number[][] } };
    };
    const input = caseInput(c) as Frame;
    const dir = join(tmp, 'mixed');
    const model = await saveModel(dir, { pickle: join(caseDir, 'model.p5.pkl'), inputExample: input, predictFn: 'predict_proba' });
    expect(model.signature?.toDict().inputs).toContain('{"type": "string", "name": "sex", "required": false}');
    const predictor = await loadPredictor(dir, { runtime: 'native' });
    const out = (await predictor.predict(input)) as Tensor;
    const want = c.outputs.predict_proba.value.flat();
    Array.from(out.data as Float64Array).forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-9));
  });

  it('refuses joblib files, which pickle.load cannot read', async () => {
    await expect(saveModel(join(tmp, 'jl'), { pickle: join(ROOT, 'ridge_diabetes/model.joblib') })).rejects.toThrow(/is a joblib file/);
    await expect(saveModel(join(tmp, 'jlz'), { pickle: join(ROOT, 'kmeans_iris/model.joblib_z3') })).rejects.toThrow(/is a joblib file/);
  });

  it('refuses an estimator it cannot score, and a predict_fn the estimator lacks', async () => {
    await expect(saveModel(join(tmp, 'gpc'), { pickle: join(ROOT, 'extra/unsupported/gpc.pkl') })).rejects.toThrow(/GaussianProcessClassifier is not supported natively; use --runtime python/);
    await expect(saveModel(join(tmp, 'ridge'), { pickle: join(ROOT, 'ridge_diabetes/model.p4.pkl'), predictFn: 'predict_proba' }))
      .rejects.toThrow("has no method 'predict_proba'");
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Frame } from '../../../src/frame/frame.js';
import type { Tensor } from '../../../src/frame/tensor.js';
import { saveModel } from '../../../src/flavors/sklearn/index.js';
import { Model, PyFloat } from '../../../src/model/index.js';
import { caseInput, type CaseJson } from './case-input.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { loadWithPython, pythonMissing, pythonNote } from '../../formats/pickle/python.js';

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
    expect(ours.flavors.sklearn).toEqual(theirs.flavors.sklearn);
    expect(ours.flavors.python_function).toEqual(theirs.flavors.python_function);
    // MLflow's fixture passed infer_signature(X, predict(X)) (a tensor output); save_model's own
    // inference from an example takes a classifier's 1-D predictions as a Series: one long column.
    expect(ours.signature?.toDict().inputs).toEqual(theirs.signature?.toDict().inputs);
    expect(ours.signature?.toDict().outputs).toBe('[{"type": "long", "required": true}]');
    expect(ours.savedInputExampleInfo).toEqual(theirs.savedInputExampleInfo);
    // The pickle holds numpy 1.x arrays (numpy.core) and records scikit-learn 1.2.1.
    expect(readFileSync(join(dir, 'requirements.txt'), 'utf8')).toBe('mlflow==2.22.1\ncloudpickle\nnumpy<2\nscikit-learn==1.2.1');
    expect(readFileSync(join(dir, 'python_env.yaml'), 'utf8')).toContain('python: 3.11.2');
    expect(readFileSync(join(dir, 'serving_input_example.json'), 'utf8')).toContain('"dataframe_split"');
    expect(readFileSync(join(dir, 'model.pkl'))).toEqual(readFileSync(join(PY_MODEL, 'model.pkl')));

    const predictor = await loadPredictor(dir, { runtime: 'native' });
    expect(Array.from(((await predictor.predict(example())) as Tensor).data as Float64Array)).toEqual([0, 2]);
  });

  it('infers the output from predict whatever predict_fn is, as MLflow\'s _SklearnModelWrapper does', async () => {
    const dir = join(tmp, 'proba');
    const model = await saveModel(dir, { pickle: join(PY_MODEL, 'model.pkl'), inputExample: example(), predictFn: 'predict_proba' });
    expect(model.flavors.python_function.predict_fn).toBe('predict_proba');
    expect(model.signature?.toDict().outputs).toBe('[{"type": "long", "required": true}]');
  });

  it('saves a list-of-records example as a json_object and infers the signature through a DataFrame', async () => {
    const dir = join(tmp, 'records');
    const records = [
      { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
      { sepal_length: 7.7, sepal_width: 3.0, petal_length: 6.1, petal_width: 2.3 },
    ].map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, new PyFloat(v)])));
    const model = await saveModel(dir, { pickle: join(PY_MODEL, 'model.pkl'), inputExample: records, serializationFormat: 'pickle' });
    expect(model.flavors.sklearn.serialization_format).toBe('pickle');
    expect(model.savedInputExampleInfo?.type).toBe('json_object');
    expect(readFileSync(join(dir, 'input_example.json'), 'utf8')).toBe(
      '[{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}, ' +
        '{"sepal_length": 7.7, "sepal_width": 3.0, "petal_length": 6.1, "petal_width": 2.3}]',
    );
    expect(JSON.parse(readFileSync(join(dir, 'serving_input_example.json'), 'utf8'))).toEqual({ inputs: records.map((r) => JSON.parse(JSON.stringify(r, (_k, v: unknown) => (v instanceof PyFloat ? v.value : v)))) });
    expect(model.signature?.toDict()).toMatchObject({
      inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type": "double", "name": "sepal_width", "required": true}, ' +
        '{"type": "double", "name": "petal_length", "required": true}, {"type": "double", "name": "petal_width", "required": true}]',
      outputs: '[{"type": "long", "required": true}]',
    });
    expect(readFileSync(join(dir, 'requirements.txt'), 'utf8')).toBe('mlflow==2.22.1\nnumpy<2\nscikit-learn==1.2.1');
  });

  it('saves without a signature, with a warning, when the example does not score (as MLflow)', async () => {
    const warned: string[] = [];
    const onWarning = (w: Error): void => void warned.push(w.message);
    process.on('warning', onWarning);
    try {
      const model = await saveModel(join(tmp, 'bad-example'), { pickle: join(PY_MODEL, 'model.pkl'), inputExample: [{ a: 'x' }] });
      await new Promise((r) => setImmediate(r));
      expect(model.signature).toBeUndefined();
      expect(warned.join('\n')).toContain('Failed to infer the model signature from the input example');
      const none = await saveModel(join(tmp, 'no-signature'), { pickle: join(PY_MODEL, 'model.pkl'), inputExample: example(), signature: false });
      expect(none.signature).toBeUndefined();
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('writes the requirements the pickle proves: numpy 1 or 2 by its pickle path, scikit-learn by _sklearn_version', async () => {
    const numpy2 = join(tmp, 'numpy2');
    await saveModel(numpy2, { pickle: join(ROOT, 'requirements/logreg_numpy2.pkl') });
    expect(readFileSync(join(numpy2, 'requirements.txt'), 'utf8')).toBe('mlflow==2.22.1\ncloudpickle\nnumpy>=2\nscikit-learn==1.6.1');
    expect(readFileSync(join(numpy2, 'conda.yaml'), 'utf8')).toBe(
      'channels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip\n- pip:\n  - mlflow==2.22.1\n  - cloudpickle\n  - numpy>=2\n  - scikit-learn==1.6.1\nname: mlflow-env\n',
    );
    expect(readFileSync(join(numpy2, 'python_env.yaml'), 'utf8')).toBe(
      'python: 3.11.2\nbuild_dependencies:\n- pip\n- setuptools\n- wheel\ndependencies:\n- -r requirements.txt\n',
    );
    const plain = join(tmp, 'numpy1-pickle');
    const model = await saveModel(plain, { pickle: join(ROOT, 'ridge_diabetes/model.p4.pkl'), serializationFormat: 'pickle' });
    expect(model.flavors.sklearn.serialization_format).toBe('pickle');
    expect(readFileSync(join(plain, 'requirements.txt'), 'utf8')).toBe('mlflow==2.22.1\nnumpy<2\nscikit-learn==1.2.1');
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

  describe('rewrites a joblib file as the standard pickle that MLflow loads with pickle.load', () => {
    const joblibs = [
      ['ridge_diabetes', 'model.joblib'],
      ['kmeans_iris', 'model.joblib_z3'],
      ['hist_gradient_boosting_classifier_breast_cancer', 'model.joblib'],
    ] as const;
    for (const [name, file] of joblibs) {
      it(`${name}/${file}: a plain pickle that predicts as scikit-learn did`, async () => {
        const dir = join(tmp, `jl-${name}`);
        const caseDir = join(ROOT, name);
        const c = JSON.parse(readFileSync(join(caseDir, 'case.json'), 'utf8')) as CaseJson;
        const model = await saveModel(dir, { pickle: join(caseDir, file) });
        expect(model.flavors.sklearn.serialization_format).toBe('pickle');
        expect(readFileSync(join(dir, 'requirements.txt'), 'utf8')).toContain('scikit-learn==1.2.1');
        const pkl = readFileSync(join(dir, 'model.pkl'));
        expect(pkl[0]).toBe(0x80); // a pickle's PROTO opcode, not compressed joblib data
        expect(pkl.includes('NumpyArrayWrapper')).toBe(false);
        const predictor = await loadPredictor(dir, { runtime: 'native' });
        const out = (await predictor.predict(caseInput(c))) as Tensor;
        const want = (c.outputs.predict.value as unknown[]).flat() as number[];
        Array.from(out.data as ArrayLike<number>).forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want[i]))));
      });
    }

    it(`Python's pickle.load reads each model.pkl and it predicts as case.json says${pythonNote}`, { skip: pythonMissing !== undefined, timeout: 60_000 }, () => {
      const predict = joblibs.map(([name]) => [join(tmp, `jl-${name}`, 'model.pkl'), join(ROOT, name, 'case.json')]);
      expect(loadWithPython({ predict })).toEqual({ checked: joblibs.length, failures: {} });
    });
  });

  it('packages an estimator it cannot score natively, with a warning, as MLflow would', async () => {
    const warnings: string[] = [];
    const gpc = join(ROOT, 'extra/unsupported/gpc.pkl');
    const model = await saveModel(join(tmp, 'gpc'), { pickle: gpc, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([
      `WARNING: ${gpc}: sklearn.gaussian_process._gpc.GaussianProcessClassifier is not supported natively; packaging it anyway: the Python bridge (--runtime python or auto) will score it`,
    ]);
    expect(model.flavors.sklearn.sklearn_version).toBe('1.2.1');
    expect(readFileSync(join(tmp, 'gpc', 'model.pkl')).equals(readFileSync(gpc))).toBe(true);
    expect(readFileSync(join(tmp, 'gpc', 'requirements.txt'), 'utf8')).toContain('scikit-learn==1.2.1');
  });

  it('refuses a corrupt pickle, naming the file and the byte, and a predict_fn the estimator lacks', async () => {
    const truncated = join(tmp, 'truncated.pkl');
    const whole = readFileSync(join(ROOT, 'ridge_diabetes/model.p4.pkl'));
    writeFileSync(truncated, whole.subarray(0, 200));
    await expect(saveModel(join(tmp, 'trunc'), { pickle: truncated, onWarning: () => expect.fail('no warning') })).rejects.toThrow(new RegExp(`${truncated} \\(byte \\d+\\)`));
    await expect(saveModel(join(tmp, 'ridge'), { pickle: join(ROOT, 'ridge_diabetes/model.p4.pkl'), predictFn: 'predict_proba' }))
      .rejects.toThrow("has no method 'predict_proba'");
  });
});

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelRaisedError, NotSupportedNativelyError } from '../../../src/errors.js';
import { loadPickleFile, type PyInstance } from '../../../src/formats/pickle/index.js';
import { allowSklearnGlobal, buildEstimator } from '../../../src/flavors/sklearn/build.js';
import { loadSklearnEstimator } from '../../../src/flavors/sklearn/load.js';
import { callMethod } from '../../../src/flavors/sklearn/methods.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { createInvocationHandler, UNEXPECTED_MODEL_ERROR } from '../../../src/serve/invocations.js';
import { caseInput, type CaseJson } from './case-input.js';

/**
 * DictVectorizer and FeatureHasher take, through MLflow's scoring server, only one DataFrame
 * column of dicts (or string lists, or pairs) handed over by a ColumnTransformer: a request whose
 * cells are JSON objects scores as scikit-learn did (the outputs of every version are checked in
 * versions.test.ts); on a whole DataFrame they fail, as in scikit-learn.
 */
const ROOT = join(import.meta.dirname, '../../fixtures/sklearn/versions');
const MLMODEL = join(import.meta.dirname, '../../fixtures/sklearn/mlflow-2.22.1/iris_rf/MLmodel');
const tmp = mkdtempSync(join(tmpdir(), 'mlflow-ts-dict-features-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function caseOf(version: string, name: string): CaseJson {
  return JSON.parse(readFileSync(join(ROOT, `v${version}`, name, 'case.json'), 'utf8')) as CaseJson;
}

/** An MLflow 2.22.1 sklearn model directory (iris_rf's MLmodel without its signature) around a case's pickle. */
function modelDir(version: string, name: string): string {
  const dir = join(tmp, `${version}-${name}`);
  mkdirSync(dir);
  const mlmodel = readFileSync(MLMODEL, 'utf8').replace(/^signature:\n(?: {2}.*\n)+/m, '').replace(/^saved_input_example_info:\n(?: {2}.*\n)+/m, '');
  writeFileSync(join(dir, 'MLmodel'), mlmodel);
  copyFileSync(join(ROOT, `v${version}`, name, 'model.cloudpickle.pkl'), join(dir, 'model.pkl'));
  return dir;
}

describe('DictVectorizer and FeatureHasher on a column of mappings', () => {
  for (const version of ['1.2.1', '1.6.1', '1.9.1']) {
    for (const name of ['dict_vectorizer_column_logreg', 'feature_hasher_dict_column_ridge']) {
      it(`scikit-learn ${version} ${name}: a dataframe_split and a dataframe_records request with JSON objects in a column`, async () => {
        const c = caseOf(version, name);
        const predictor = await loadPredictor(modelDir(version, name), { runtime: 'native' });
        const handle = createInvocationHandler(predictor);
        const columns = c.input.columns!;
        const split = { dataframe_split: { columns, data: c.input.data } };
        const records = { dataframe_records: c.input.data.map((row) => Object.fromEntries(columns.map((k, j) => [k, row[j]]))) };
        for (const body of [split, records]) {
          const res = await handle(Buffer.from(JSON.stringify(body)), 'application/json');
          expect(res.status, String(res.body)).toBe(200);
          const got = (JSON.parse(String(res.body)) as { predictions: unknown[] }).predictions;
          const want = c.outputs.predict.value as unknown[];
          if (typeof want[0] === 'number' && !Number.isInteger(want[0])) {
            got.forEach((v, i) => expect(v as number).toBeCloseTo(want[i] as number, 9));
          } else expect(got).toEqual(want);
        }
      });
    }
  }

  it('a DictVectorizer given a whole DataFrame fails as in scikit-learn (its iteration yields column names)', async () => {
    const c = caseOf('1.9.1', 'dict_vectorizer_alone_dataframe');
    const est = await loadSklearnEstimator(join(ROOT, 'v1.9.1', c.case, c.files.pickle_protocol4));
    expect(() => callMethod(est, 'transform', caseInput(c))).toThrow(ModelRaisedError);
    expect(() => callMethod(est, 'transform', caseInput(c))).toThrow("'str' object has no attribute 'items'");
  });

  it('a scoring request to a pipeline starting with a DictVectorizer gets MLflow\'s model-error answer', async () => {
    const dir = modelDir('1.6.1', 'dict_vectorizer_alone_dataframe');
    const mlmodel = readFileSync(join(dir, 'MLmodel'), 'utf8').replace('predict_fn: predict', 'predict_fn: transform');
    writeFileSync(join(dir, 'MLmodel'), mlmodel);
    const c = caseOf('1.6.1', 'dict_vectorizer_alone_dataframe');
    const handle = createInvocationHandler(await loadPredictor(dir, { runtime: 'native' }));
    const res = await handle(Buffer.from(JSON.stringify({ dataframe_split: { columns: c.input.columns, data: c.input.data } })), 'application/json');
    expect(res.status).toBe(400);
    expect(JSON.parse(String(res.body))).toEqual({ error_code: 'BAD_REQUEST', message: UNEXPECTED_MODEL_ERROR });
  });

  it('dtype=int64: values truncated (the fixtures), None raises as np.int64(None), a dense int64 output is refused', async () => {
    const c = caseOf('1.9.1', 's9_dict_vectorizer_int64_column_transform');
    const file = join(ROOT, 'v1.9.1', c.case, c.files.pickle_protocol4);
    const est = await loadSklearnEstimator(file);
    const j = c.input.columns!.indexOf('feats');
    const data = c.input.data.map((row) => row.map((v, k) => (k === j ? { ...(v as object), size: null } : v)));
    const input = caseInput({ ...c, input: { ...c.input, data } });
    expect(() => callMethod(est, 'transform', input)).toThrow(ModelRaisedError);
    expect(() => callMethod(est, 'transform', input)).toThrow("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
    const root = (await loadPickleFile(file, { allowGlobal: allowSklearnGlobal, source: file })) as PyInstance;
    const dv = (root.state.transformers_ as unknown[][])[0][1] as PyInstance;
    dv.state.sparse = false;
    expect(() => buildEstimator(root)).toThrow(NotSupportedNativelyError);
    expect(() => buildEstimator(root)).toThrow(/dtype int64 with sparse=False/);
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPickleFile, type NdArray, type PyInstance } from '../../../src/formats/pickle/index.js';
import { comparable } from './comparable.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const FIX = join(FIXTURES, 'formats');
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')).sklearn;
const sklearnOnly = { allowGlobal: (module: string) => module === 'sklearn' || module.startsWith('sklearn.') };
const load = (rel: string): Promise<PyInstance> => loadPickleFile(join(FIX, rel), sklearnOnly) as Promise<PyInstance>;

function treeOf(est: PyInstance): Record<string, unknown> {
  return (est.state.tree_ as PyInstance).state;
}

describe('sklearn models pickled by pickle, joblib and cloudpickle', () => {
  for (const file of ['model.p4.pkl', 'model.p5.pkl', 'model.joblib', 'model.cloudpickle.pkl']) {
    it(`reads a DecisionTreeClassifier from ${file} with the tree arrays Python reads`, async () => {
      const est = await load(`sklearn/decision_tree_classifier_iris/${file}`);
      expect(`${est.module}.${est.name}`).toBe('sklearn.tree._classes.DecisionTreeClassifier');
      const tree = treeOf(est);
      expect(comparable(tree.nodes)).toEqual(expected.tree_nodes);
      expect(comparable(tree.values)).toEqual(expected.tree_values);
      expect(comparable(est.state.classes_)).toEqual(expected.tree_classes);
      const nodes = tree.nodes as NdArray;
      expect(Object.keys(nodes.fields!)).toEqual(['left_child', 'right_child', 'feature', 'threshold', 'impurity', 'n_node_samples', 'weighted_n_node_samples']);
    });
  }

  for (const file of ['model.p4.pkl', 'model.joblib']) {
    it(`reads string class labels (object array) and coefficients from ${file}`, async () => {
      const est = await load(`sklearn/logreg_string_labels_iris/${file}`);
      expect(comparable(est.state.classes_)).toEqual(expected.strings_classes);
      expect(comparable(est.state.coef_)).toEqual(expected.strings_coef);
      expect(comparable(est.state.intercept_)).toEqual(expected.strings_intercept);
      expect((est.state.classes_ as NdArray).dtype).toBe('|O');
    });
  }

  it('reads a zlib-compressed joblib RandomForest', async () => {
    const rf = await load('sklearn/random_forest_classifier_wine/model.joblib_z3');
    const trees = rf.state.estimators_ as PyInstance[];
    expect(trees).toHaveLength(expected.rf_n_estimators);
    expect(comparable((treeOf(trees[3]).nodes as NdArray).fields!.threshold)).toEqual(expected.rf_tree3_threshold);
  });
});

describe('cloudpickle beyond plain estimators', () => {
  it('refuses a cloudpickled lambda: its code would have to run', async () => {
    await expect(load('cloudpickle_lambda.pkl')).rejects.toThrow(/refused to load global 'cloudpickle\.cloudpickle\._make_function'/);
  });

  it('reads a numpy ufunc reference as a PyGlobal when the caller allows it', async () => {
    const allow = (m: string, name: string): boolean => sklearnOnly.allowGlobal(m) || (m === 'numpy.core._multiarray_umath' && name === 'log1p');
    const ft = (await loadPickleFile(join(FIX, 'cloudpickle_log1p.pkl'), { allowGlobal: allow })) as PyInstance;
    expect(ft.state.func).toEqual({ kind: 'global', module: 'numpy.core._multiarray_umath', name: 'log1p' });
    await expect(load('cloudpickle_log1p.pkl')).rejects.toThrow(/'numpy\.core\._multiarray_umath\.log1p'/);
  });
});

describe('MLflow model pickles', () => {
  it('reads the 2018 ElasticNet (protocol 0, Python 2 strings, sklearn 0.19)', async () => {
    const want = JSON.parse(readFileSync(join(FIX, 'mlflow/elasticnet_2018_expected_outputs.json'), 'utf8'));
    const est = await load('mlflow/elasticnet_2018_sklearn_0.19.pkl');
    expect(`${est.module}.${est.name}`).toBe('sklearn.linear_model.coordinate_descent.ElasticNet');
    expect(Array.from((est.state.coef_ as NdArray).data as Float64Array)).toEqual(want.coef_);
    expect((est.state.intercept_ as NdArray).data[0]).toBe(want.intercept_);
    for (const [k, v] of Object.entries(want.params)) expect(est.state[k]).toEqual(v);
  });

  it('reads the MLflow 1.30.1 LogisticRegression (sklearn 1.5.2)', async () => {
    const est = await load('mlflow/mlflow_1.30.1_logreg.pkl');
    expect(comparable(est.state.coef_)).toEqual(expected.mlflow1_coef);
    expect(comparable(est.state.feature_names_in_)).toEqual(expected.mlflow1_feature_names);
  });

  it('reads the MLflow 2.22.1 cloudpickled Pipeline', async () => {
    const pipe = await load('mlflow/mlflow_2.22.1_iris_pipeline.pkl');
    expect(`${pipe.module}.${pipe.name}`).toBe('sklearn.pipeline.Pipeline');
    const steps = pipe.state.steps as [string, PyInstance][];
    expect(steps.map(([name, est]) => [name, est.name])).toEqual([
      ['scaler', 'StandardScaler'],
      ['lr', 'LogisticRegression'],
    ]);
  });
});

// The sklearn flavor's copy of every case made by shared/fixtures/sklearn/make.py.
const ALL = join(FIXTURES, 'sklearn');
const cases = existsSync(ALL) ? readdirSync(ALL).filter((d) => existsSync(join(ALL, d, 'case.json'))) : [];

describe.skipIf(cases.length === 0)('every sklearn fixture model file', () => {
  for (const c of cases) {
    const files = readdirSync(join(ALL, c)).filter((f) => f.startsWith('model.'));
    it(`reads ${c}: ${files.join(', ')}`, async () => {
      for (const f of files) {
        const est = (await loadPickleFile(join(ALL, c, f), sklearnOnly)) as PyInstance;
        expect(est.kind).toBe('instance');
        expect(est.module.startsWith('sklearn.')).toBe(true);
      }
    });
  }
});

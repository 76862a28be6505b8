import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowError, NotSupportedNativelyError } from '../../../src/errors.js';
import { Frame } from '../../../src/frame/frame.js';
import { makeTensor } from '../../../src/frame/tensor.js';
import { allowSklearnGlobal, buildEstimator, loadSklearnEstimator } from '../../../src/flavors/sklearn/index.js';
import { fromPredictInput } from '../../../src/flavors/sklearn/data.js';
import { callMethod, methodOf } from '../../../src/flavors/sklearn/methods.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';

const ROOT = join(import.meta.dirname, '../../fixtures/sklearn');

function irisFrame(names: string[], rows: number[][]): Frame {
  return new Frame(names.map((name, j) => ({
    name, data: { kind: 'number', dtype: 'float64', values: Float64Array.from(rows, (r) => r[j]) },
  })));
}

const IRIS_NAMES = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];

describe('sklearn flavor errors', () => {
  it('refuses an estimator it does not implement at read time, naming the class', async () => {
    const err = await loadSklearnEstimator(join(ROOT, 'extra/unsupported/gpc.pkl')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotSupportedNativelyError);
    expect((err as MlflowError).errorCode).toBe('NOT_IMPLEMENTED');
    expect((err as Error).message).toContain('extra/unsupported/gpc.pkl: sklearn.gaussian_process._gpc.GaussianProcessClassifier is not supported natively');
  });

  it('refuses any other class in the file (custom code, os.system) by name, running nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlflow-ts-sklearn-err-'));
    try {
      for (const [mod, name] of [['__main__', 'MyTransformer'], ['os', 'system']]) {
        const file = join(dir, `${name}.pkl`);
        // protocol 2: GLOBAL mod name, EMPTY_TUPLE, NEWOBJ, STOP
        writeFileSync(file, Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from(`c${mod}\n${name}\n)\x81.`, 'latin1')]));
        await expect(loadSklearnEstimator(file)).rejects.toThrow(`${mod}.${name} is not supported natively`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('allows exactly the implemented classes and their parts', () => {
    expect(allowSklearnGlobal('sklearn.linear_model._logistic', 'LogisticRegression')).toBe(true);
    expect(allowSklearnGlobal('sklearn.linear_model.coordinate_descent', 'ElasticNet')).toBe(true);
    expect(allowSklearnGlobal('sklearn.tree._tree', 'Tree')).toBe(true);
    expect(allowSklearnGlobal('numpy.core._multiarray_umath', 'log1p')).toBe(true);
    expect(allowSklearnGlobal('sklearn.gaussian_process._gpc', 'GaussianProcessClassifier')).toBe(false);
    expect(allowSklearnGlobal('os', 'system')).toBe(false);
    expect(allowSklearnGlobal('builtins', 'eval')).toBe(false);
    expect(allowSklearnGlobal('numpy', 'load')).toBe(false);
    expect(allowSklearnGlobal('sklearn.linear_model', 'toString')).toBe(false);
  });

  it('builds nothing from a non-estimator object', () => {
    expect(() => buildEstimator({ a: 1 })).toThrow(/not a scikit-learn estimator/);
    expect(() => buildEstimator({ kind: 'instance', module: 'sklearn.cluster._dbscan', name: 'DBSCAN', state: {}, args: [] }))
      .toThrow(new NotSupportedNativelyError('sklearn.cluster._dbscan.DBSCAN is not supported natively'));
  });

  it('checks feature_names_in_ as sklearn does: columns in another order than at fit are an error (from 1.2)', async () => {
    const est = await loadSklearnEstimator(join(ROOT, 'logreg_dataframe_iris/model.p4.pkl'));
    const row = [5.1, 3.5, 1.4, 0.2];
    expect(callMethod(est, 'predict_proba', irisFrame(IRIS_NAMES, [row])).shape).toEqual([1, 3]);
    expect(() => callMethod(est, 'predict_proba', irisFrame([...IRIS_NAMES].reverse(), [[...row].reverse()]))).toThrow(
      'The feature names should match those that were passed during fit. Feature names must be in the same order as they were in fit.',
    );
    expect(() => callMethod(est, 'predict', irisFrame(['a', ...IRIS_NAMES.slice(1)], [row]))).toThrow(
      /feature names should match.*unseen at fit time: a\..*now missing: sepal length \(cm\)/,
    );
  });

  it('refuses FunctionTransformer(validate=False) on a bool column by name (numpy computes in float16 there)', async () => {
    const est = await loadSklearnEstimator(join(ROOT, 'versions/v1.9.1/sweep_function_transformer_reordered_iris/model.p4.pkl'));
    const frame = new Frame([
      ...['a', 'b', 'c'].map((name) => ({ name, data: { kind: 'number' as const, dtype: 'float64' as const, values: Float64Array.of(1.5) } })),
      { name: 'flag', data: { kind: 'bool' as const, values: [true] } },
    ], 1);
    expect(() => callMethod(est, 'transform', frame)).toThrow(NotSupportedNativelyError);
  });

  it('refuses the wrong number of features, and 1-D input', async () => {
    const est = await loadSklearnEstimator(join(ROOT, 'random_forest_classifier_wine/model.p4.pkl'));
    const x = makeTensor({ dtype: 'float64', shape: [1, 3], data: Float64Array.of(1, 2, 3) });
    expect(() => callMethod(est, 'predict', x)).toThrow('X has 3 features, but RandomForestClassifier is expecting 13 features as input.');
    const flat = makeTensor({ dtype: 'float64', shape: [3], data: Float64Array.of(1, 2, 3) });
    expect(() => callMethod(est, 'predict', flat)).toThrow(/Expected 2D array, got 1D array/);
  });

  it('refuses 3-D input as check_array does: a VotingClassifier(flatten_transform=False) transform handed to another estimator', async () => {
    const voting = await loadSklearnEstimator(join(ROOT, 'versions/v1.9.1/s12s_voting_soft_unflattened_iris/model.p4.pkl'));
    const forest = await loadSklearnEstimator(join(ROOT, 'random_forest_classifier_wine/model.p4.pkl'));
    const x = makeTensor({ dtype: 'float64', shape: [2, 4], data: Float64Array.of(5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3) });
    expect(callMethod(voting, 'transform', x).shape).toEqual([3, 2, 3]);
    const stacked = voting.transform!(fromPredictInput(x));
    expect(() => methodOf(forest, 'predict')(stacked)).toThrow('Found array with dim 3. RandomForestClassifier expected <= 2.');
  });

  it("checks values as sklearn's check_array: no empty input, no NaN or infinity where the estimator refuses them", async () => {
    const est = await loadSklearnEstimator(join(ROOT, 'logreg_dataframe_iris/model.p4.pkl'));
    expect(() => callMethod(est, 'predict', irisFrame(IRIS_NAMES, [[Number.NaN, 3.5, 1.4, 0.2]]))).toThrow(
      'Input X contains NaN. LogisticRegression does not accept missing values encoded as NaN natively.',
    );
    expect(() => callMethod(est, 'predict', irisFrame(IRIS_NAMES, [[5.1, Number.POSITIVE_INFINITY, 1.4, 0.2]]))).toThrow(
      "Input X contains infinity or a value too large for dtype('float64').",
    );
    expect(() => callMethod(est, 'predict', irisFrame(IRIS_NAMES, []))).toThrow(
      'Found array with 0 sample(s) (shape=(0, 4)) while a minimum of 1 is required by LogisticRegression.',
    );
    // HistGradientBoosting validates with force_all_finite=False: NaN is missing, infinity follows its splits
    const hgb = await loadSklearnEstimator(join(ROOT, 'hist_gradient_boosting_regressor_nan_diabetes/model.p4.pkl'));
    const nanRow = makeTensor({ dtype: 'float64', shape: [1, 10], data: Float64Array.from({ length: 10 }, (_, j) => (j === 0 ? Number.NaN : 0.01)) });
    expect(callMethod(hgb, 'predict', nanRow).shape).toEqual([1]);
    const infRow = makeTensor({ dtype: 'float64', shape: [1, 10], data: Float64Array.from({ length: 10 }, (_, j) => (j === 0 ? Number.NEGATIVE_INFINITY : 0.01)) });
    expect(callMethod(hgb, 'predict', infRow).shape).toEqual([1]);
    expect(() => callMethod(est, 'predict', [[Number.POSITIVE_INFINITY, 1, 1, 1]])).toThrow(/Input X contains infinity/);
  });

  it('names a method the estimator lacks', async () => {
    const est = await loadSklearnEstimator(join(ROOT, 'ridge_diabetes/model.p4.pkl'));
    expect(() => callMethod(est, 'predict_proba', [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])).toThrow(
      "sklearn.linear_model._ridge.Ridge has no method 'predict_proba' (it has: predict)",
    );
  });

  it('refuses strings where numbers are needed, naming the column', async () => {
    const est = await loadSklearnEstimator(join(ROOT, 'logreg_dataframe_iris/model.p4.pkl'));
    const f = new Frame([
      { name: IRIS_NAMES[0], data: { kind: 'string', values: ['abc'] } },
      ...IRIS_NAMES.slice(1).map((name) => ({ name, data: { kind: 'number' as const, dtype: 'float64' as const, values: Float64Array.of(1) } })),
    ]);
    expect(() => callMethod(est, 'predict', f)).toThrow(`could not convert string to float in column '${IRIS_NAMES[0]}'`);
  });

  it('refuses NaN in a tree model that has no missing-value support (sklearn 1.2)', async () => {
    const est = await loadSklearnEstimator(join(ROOT, 'decision_tree_regressor_diabetes/model.p4.pkl'));
    expect(() => callMethod(est, 'predict', [new Array(10).fill(NaN)])).toThrow(/contains NaN/);
  });

  it('labels come back with the dtype of classes_ (strings as an object array)', async () => {
    const est = await loadSklearnEstimator(join(ROOT, 'logreg_string_labels_iris/model.p4.pkl'));
    const out = callMethod(est, 'predict', [[5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3]]);
    expect(out.dtype).toBe('object');
    expect(out.data).toEqual(['setosa', 'virginica']);
  });

  it('honours predict_fn, refusing one the model lacks or that is not a prediction method', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlflow-ts-sklearn-fn-'));
    try {
      cpSync(join(ROOT, 'mlflow-2.22.1/diabetes_linreg'), dir, { recursive: true });
      const mlmodel = readFileSync(join(dir, 'MLmodel'), 'utf8');
      writeFileSync(join(dir, 'MLmodel'), mlmodel.replace('predict_fn: predict', 'predict_fn: predict_proba'));
      await expect(loadPredictor(dir, { runtime: 'native' })).rejects.toThrow(
        "sklearn.linear_model._base.LinearRegression has no method 'predict_proba' (flavors.python_function.predict_fn)",
      );
      writeFileSync(join(dir, 'MLmodel'), mlmodel.replace('predict_fn: predict', 'predict_fn: score'));
      await expect(loadPredictor(dir, { runtime: 'native' })).rejects.toThrow("predict_fn 'score' is not supported natively");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses MultiOutputClassifier.predict_proba by name when its outputs have unequal class counts (a ragged list)', async () => {
    const model = join(ROOT, 'versions/v1.9.1/multi_output_classifier_unequal_iris/model.p4.pkl');
    const est = await loadSklearnEstimator(model);
    expect(() => callMethod(est, 'predict_proba', [[5.1, 3.5, 1.4, 0.2]])).toThrow(NotSupportedNativelyError);
    expect(() => callMethod(est, 'predict_proba', [[5.1, 3.5, 1.4, 0.2]])).toThrow(
      'sklearn.multioutput.MultiOutputClassifier.predict_proba is not supported natively: its outputs have 3, 2 classes',
    );
    const dir = mkdtempSync(join(tmpdir(), 'mlflow-ts-sklearn-fn-'));
    try {
      cpSync(join(ROOT, 'mlflow-2.22.1/diabetes_linreg'), dir, { recursive: true });
      cpSync(model, join(dir, 'model.pkl'));
      writeFileSync(join(dir, 'MLmodel'), readFileSync(join(dir, 'MLmodel'), 'utf8').replace('predict_fn: predict', 'predict_fn: predict_proba'));
      const err = await loadPredictor(dir, { runtime: 'native' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotSupportedNativelyError);
      expect((err as Error).message).toContain('MultiOutputClassifier.predict_proba (flavors.python_function.predict_fn) is not supported natively');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

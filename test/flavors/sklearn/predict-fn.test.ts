import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../../src/frame/tensor.js';
import { saveModel, type SklearnMethod } from '../../../src/flavors/sklearn/index.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { caseInput, type CaseJson } from './case-input.js';
import { expectOutput } from './check-case.js';

/**
 * predict_proba, decision_function, transform and score_samples reached through an MLflow
 * model's predict_fn (python_function's setting): the pickle packaged with that predict_fn and
 * scored through pyfunc gives scikit-learn's own output of that method (case.json).
 */
const ROOT = join(import.meta.dirname, '../../fixtures/sklearn/versions');
const tmp = mkdtempSync(join(tmpdir(), 'mlflow-ts-sklearn-predict-fn-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CASES: [string, SklearnMethod][] = [
  ['isolation_forest_score_samples_wine', 'score_samples'],
  ['one_class_svm_score_samples_diabetes', 'score_samples'],
  ['lof_novelty_score_samples_wine', 'score_samples'],
  ['lof_novelty_manhattan_diabetes', 'decision_function'],
  ['sgd_one_class_svm_score_samples_diabetes', 'score_samples'],
  ['gaussian_mixture_diag_wine', 'score_samples'],
  ['gaussian_mixture_full_iris', 'predict_proba'],
  ['calibrated_sigmoid_svc_multiclass_wine', 'predict_proba'],
  ['one_vs_one_logreg_wine', 'decision_function'],
  ['classifier_chain_proba_method_iris', 'predict_log_proba'],
  ['select_from_model_extra_trees_iris', 'transform'],
];

describe('sklearn predict_fn', () => {
  for (const version of ['v1.2.1', 'v1.9.1']) {
    for (const [name, method] of CASES) {
      if (version === 'v1.2.1' && name === 'classifier_chain_proba_method_iris') continue; // chain_method is 1.6+
      it(`${version} ${name}: predict_fn ${method}`, async () => {
        const caseDir = join(ROOT, version, name);
        const c = JSON.parse(readFileSync(join(caseDir, 'case.json'), 'utf8')) as CaseJson;
        const dir = join(tmp, `${version}-${name}`);
        const model = await saveModel(dir, { pickle: join(caseDir, 'model.cloudpickle.pkl'), predictFn: method });
        expect(model.flavors.python_function.predict_fn).toBe(method);
        const predictor = await loadPredictor(dir, { runtime: 'native' });
        expectOutput(method, (await predictor.predict(caseInput(c))) as Tensor, c.outputs[method]);
      });
    }
  }

  it('refuses score_samples on an estimator without it, naming the methods it has', async () => {
    const dir = join(tmp, 'no-score-samples');
    await expect(saveModel(dir, { pickle: join(ROOT, 'v1.9.1/kernel_ridge_rbf_diabetes/model.cloudpickle.pkl'), predictFn: 'score_samples' }))
      .rejects.toThrow("KernelRidge has no method 'score_samples' to use as predict_fn");
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotSupportedNativelyError } from '../../../src/errors.js';
import type { SklearnMethod } from '../../../src/flavors/sklearn/estimator.js';
import { loadSklearnEstimator } from '../../../src/flavors/sklearn/load.js';
import { callMethod } from '../../../src/flavors/sklearn/methods.js';
import { caseInput, readCaseJson } from './case-input.js';
import { expectCaseOutputs } from './check-case.js';

/**
 * Parity on the fixtures made by test/fixtures/sklearn/versions/make_versions.py with
 * scikit-learn 1.2.1 (the estimators beyond the original sets), 1.6.1 and 1.9.1 (all cases):
 * every pickle of every case predicts as scikit-learn did, or, for the estimators listed in
 * NOT_NATIVE, is refused as not supported natively, at load or for these rows (the Python bridge
 * scores those).
 */
const ROOT = join(import.meta.dirname, '../../fixtures/sklearn/versions');

/** Cases refused natively (the bridge scores them), with what the refusal says. */
const NOT_NATIVE: Record<string, string> = {
  pls_regression_diabetes: 'PLSRegression is not supported natively',
  // a callable kernel is a pickled function: the allow-list refuses it by name
  kernel_ridge_callable_diabetes: 'numpy.dot is not supported natively',
  // refused for some of their rows (refused-rows.test.ts: row by row): predictions whose terms
  // cancel beyond what BLAS's order keeps to 1e-9, cosine distance ties numpy's argpartition breaks,
  // overflowing sums whose value BLAS's order decides, brute-force euclidean distances' expansion
  s10w_kernel_ridge_poly_cancelling_diabetes: "scikit-learn's answer for this input may differ from ours",
  s10w_kneighbors_cosine_ties: "numpy's argpartition's choice",
  s10w_spline_complement_nb_huge_iris: 'the order BLAS adds them in decides',
  s10w_kneighbors_brute_iris: 'brute-force euclidean neighbours',
  s11s_nearest_centroid_huge_iris: 'NearestCentroid: row 1: |x|^2 overflows',
  s12s_kernel_ridge_f32_diabetes: 'float32 kernel terms (float32 rows, a float32 fit)',
  s12s_bagging_svc_ovo_missing_class_iris: 'decision values of different shapes',
};

/**
 * How far a float32 output of a model fitted on float32 may be from scikit-learn's: a score one
 * float32 ulp off (BLAS sgemv's own summation order) moves exp() of it by ~2e-6 relative.
 */
const F32_BLAS_REL = 1e-5;

/**
 * 'f32svml_' cases: numpy computes float32 pow/log1p/expm1 with CPU-dispatched SVML kernels that
 * are not correctly rounded (ours are); a one-ulp difference before `- 1` or a standardization
 * grows to ~3e-6 relative (measured at most 2.7e-6 on these fixtures).
 */
const F32_SVML_REL = 5e-6;

const versions = readdirSync(ROOT).filter((d) => d.startsWith('v') && existsSync(join(ROOT, d, 'index.json'))).sort();

for (const version of versions) {
  const index = JSON.parse(readFileSync(join(ROOT, version, 'index.json'), 'utf8')) as { cases: { case: string }[] };
  describe(`scikit-learn ${version.slice(1)}`, () => {
    for (const { case: name } of index.cases) {
      const dir = join(ROOT, version, name);
      const c = readCaseJson(join(dir, 'case.json'));
      const refused = NOT_NATIVE[name];
      for (const file of Object.values(c.files)) {
        if (refused) {
          it(`${name} / ${file} is refused as not supported natively`, async () => {
            // at load, or by its first method for these rows
            const method = Object.keys(c.outputs)[0] as SklearnMethod;
            const err = await loadSklearnEstimator(join(dir, file)).then((est) => callMethod(est, method, caseInput(c))).catch((e: unknown) => e);
            expect(err).toBeInstanceOf(NotSupportedNativelyError);
            expect((err as Error).message).toContain(refused);
          });
        } else {
          // models fitted on float32 ('f32_'): float32 scores from BLAS, to float32 precision
          const rel = name.startsWith('f32_') ? F32_BLAS_REL : name.startsWith('f32svml_') ? F32_SVML_REL : 0;
          // 'f32mix_': float64 answers scikit-learn computed from float32 intermediate values
          const f64Rel = name.startsWith('f32mix_') ? F32_BLAS_REL : 1e-9;
          it(`${name} / ${file}`, () => expectCaseOutputs(dir, file, c, rel, f64Rel));
        }
      }
    }
  });
}

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Tensor } from '../../../src/frame/tensor.js';
import { loadSklearnEstimator } from '../../../src/flavors/sklearn/load.js';
import { callMethod, isSklearnMethod } from '../../../src/flavors/sklearn/methods.js';
import { wasmKernel } from '../../../src/numeric/linear-scores.js';
import { caseInput, readCaseJson } from './case-input.js';

/**
 * The linear models' two score kernels on the real fixtures: every output of every linear case
 * (all scikit-learn versions) is the same bits through the WebAssembly kernel as through the
 * JavaScript one (a second copy of the modules loaded without WebAssembly), and within 1e-12 of
 * scikit-learn's (its BLAS sums in another order).
 */
const ROOT = join(import.meta.dirname, '../../fixtures/sklearn');
const LINEAR = /^(logreg|linear_|lasso|ridge|elasticnet|sgd_|lars|lasso_lars|omp|perceptron|passive_aggressive|lda_|poisson|gamma_regressor|tweedie|huber|bayesian_ridge|ard|quantile_regressor|theil_sen|frozen_ridge|pipeline_scaler_pca_logreg|pipeline_column_transformer_(logreg|ridge))/;

function linearCases(): string[] {
  const roots = [ROOT, join(ROOT, 'extra'), ...readdirSync(join(ROOT, 'versions')).filter((v) => v.startsWith('v')).map((v) => join(ROOT, 'versions', v))];
  return roots.flatMap((r) => (existsSync(r) ? readdirSync(r).filter((d) => LINEAR.test(d)).map((d) => join(r, d)) : []))
    .filter((d) => existsSync(join(d, 'case.json')));
}

function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

function bitsOf(t: Tensor): string {
  return t.data instanceof Float64Array ? Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex') : JSON.stringify(Array.from(t.data as ArrayLike<unknown>));
}

describe('linear models: WebAssembly and JavaScript kernels on the fixtures', () => {
  afterAll(() => vi.unstubAllGlobals());
  const cases = linearCases();

  it('finds the linear cases and runs WebAssembly here', () => {
    expect(cases.length).toBeGreaterThan(60);
    expect(wasmKernel()).not.toBeNull();
  });

  it('every output is the same bits through both kernels, and within 1e-12 of scikit-learn', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    const jsLoad = (await import('../../../src/flavors/sklearn/load.js')).loadSklearnEstimator;
    const jsCall = (await import('../../../src/flavors/sklearn/methods.js')).callMethod;
    const jsKernels = await import('../../../src/numeric/linear-scores.js');
    // the second copy's Frame class, which its input reader knows
    const jsInput = (await import('./case-input.js')).caseInput;
    expect(jsKernels.wasmKernel()).toBeNull();
    let compared = 0;
    for (const dir of cases) {
      const c = readCaseJson(join(dir, 'case.json'));
      for (const file of Object.values(c.files)) {
        const wasm = await loadSklearnEstimator(join(dir, file)).catch(() => null);
        if (wasm === null) continue; // refused natively (versions.test.ts checks the refusal)
        const js = await jsLoad(join(dir, file));
        for (const [method, exp] of Object.entries(c.outputs)) {
          if (!isSklearnMethod(method)) continue;
          const a = callMethod(wasm, method, caseInput(c));
          const b = jsCall(js, method, jsInput(c));
          expect(bitsOf(a), `${dir} ${file} ${method}`).toBe(bitsOf(b));
          if (exp.dtype === 'float64') {
            const want = flat(exp.value) as (number | null)[];
            const bad = Array.from(a.data as Float64Array).findIndex((g, i) =>
              want[i] === null ? !Number.isNaN(g) : !(Math.abs(g - want[i]!) <= 1e-12 * Math.max(1, Math.abs(want[i]!))));
            expect(bad, `${dir} ${file} ${method}[${bad}]`).toBe(-1);
          }
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(200);
  });
});

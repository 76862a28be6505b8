import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotSupportedNativelyError } from '../../../src/errors.js';
import { callMethod, loadSklearnEstimator, saveModel } from '../../../src/flavors/sklearn/index.js';
import { frameFromColumns } from '../../../src/frame/index.js';
import type { Tensor } from '../../../src/frame/tensor.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';

/**
 * set_output(transform='pandas'): scikit-learn's transform then answers a DataFrame, which we do
 * not build, so serving that transform is refused by name; the same setting on a Pipeline's steps
 * only changes the container between steps, so its predict stays native and exact.
 */
const DIR = join(import.meta.dirname, '../../fixtures/sklearn/set-output');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  columns: string[]; rows: number[][]; pipeline_predict: number[];
};
const frame = frameFromColumns(Object.fromEntries(expected.columns.map((c, j) => [c, expected.rows.map((r) => r[j])])));
const tmp = mkdtempSync(join(tmpdir(), 'mlflow-ts-set-output-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sklearn set_output(transform="pandas")', () => {
  it('refuses a transform that scikit-learn answers as a DataFrame, by name', async () => {
    const est = await loadSklearnEstimator(join(DIR, 'scaler_pandas.pkl'));
    expect(() => callMethod(est, 'transform', frame)).toThrow(NotSupportedNativelyError);
    expect(() => callMethod(est, 'transform', frame)).toThrow('set_output(transform="pandas") answers a DataFrame');
    const dir = join(tmp, 'scaler');
    await saveModel(dir, { pickle: join(DIR, 'scaler_pandas.pkl'), predictFn: 'transform' });
    await expect(loadPredictor(dir, { runtime: 'native' })).rejects.toThrow(NotSupportedNativelyError);
  });

  it("scores a Pipeline whose steps output pandas as scikit-learn's predict does", async () => {
    const dir = join(tmp, 'pipeline');
    await saveModel(dir, { pickle: join(DIR, 'pipeline_pandas.pkl') });
    const predictor = await loadPredictor(dir, { runtime: 'native' });
    const out = (await predictor.predict(frame)) as Tensor;
    expect(Array.from(out.data as ArrayLike<number>, Number)).toEqual(expected.pipeline_predict);
  });
});

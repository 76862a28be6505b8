import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameFromRecords } from '../../../src/frame/index.js';
import { loadMojo } from '../../../src/flavors/h2o/mojo/read-mojo.js';
import { predictFrame } from '../../../src/flavors/h2o/predict-frame.js';
import type { Frame } from '../../../src/frame/frame.js';

/**
 * Every value h2o-3's own Java tests assert for its test MOJOs (test/fixtures/h2o/EXPECTED,
 * restated from h2o-3@4b33b75b), checked within the tolerance the upstream assertion used.
 */
const ROOT = path.resolve(__dirname, '../../fixtures/h2o');
const EXPECTED = path.join(ROOT, 'EXPECTED');

interface Case {
  api?: string;
  rows?: unknown[];
  expected?: Record<string, unknown>;
  tolerance?: { abs: number };
}
interface Expected {
  mojo: string;
  cases: Case[];
}

function load(name: string): Expected {
  return JSON.parse(readFileSync(path.join(EXPECTED, `${name}.json`), 'utf8')) as Expected;
}

const mojoPath = (e: Expected): string => path.join(ROOT, 'h2o-3', e.mojo);
const num = (v: unknown): number => (v === null ? NaN : (v as number));

function column(f: Frame, name: string): unknown[] {
  const c = f.column(name);
  if (!c) throw new Error(`no column ${name} in ${f.columnNames.join(',')}`);
  return Array.from(c.data.values as ArrayLike<unknown>);
}

/** score0 cases: double[] rows in model column order. */
const SCORE0 = ['gbm_calibrated', 'glm_prostate', 'glm_multinomial', 'kmeans', 'svm'];
/** EasyPredictModelWrapper cases: RowData rows, checked through the PredictCsv output. */
const WRAPPER = ['CoxPH_bc_all_3_32', 'CoxPH_bc_all_3_42', 'CoxPH_bc_catOnly_3_32', 'CoxPH_bc_catOnly_3_42', 'binomial', 'multinomial', 'regression', 'binomial_without_useless_models', 'binomial_titanic', 'gbm_calibrated', 'mojo', 'kmeans', 'svm'];

describe('h2o MOJO parity with h2o-3 test assertions', () => {
  for (const name of SCORE0) {
    it(`${name}: score0`, async () => {
      const e = load(name);
      const model = await loadMojo(mojoPath(e));
      const c = e.cases.find((x) => x.api?.includes('score0'))!;
      const tol = c.tolerance?.abs ?? 1e-6;
      c.rows!.forEach((raw, r) => {
        const row = Float64Array.from(raw as unknown[], num);
        const preds = new Float64Array(model.predsSize);
        model.score0(row, 0, preds);
        const exp = c.expected!;
        if (exp.preds) {
          const want = (exp.preds as number[][])[r];
          expect(preds[0]).toBe(want[0]);
          for (let i = 1; i < want.length; i++) expect(preds[i]).toBeCloseTo(want[i], -Math.log10(tol) - 0.3);
        } else {
          expect(preds[0]).toBe(((exp.cluster ?? exp.score0_preds0) as number[])[r]);
        }
      });
    });
  }

  for (const name of WRAPPER) {
    it(`${name}: EasyPredictModelWrapper as PredictCsv writes it`, async () => {
      const e = load(name);
      const model = await loadMojo(mojoPath(e));
      const c = e.cases.find((x) => x.api?.includes('EasyPredictModelWrapper') && x.rows && !x.api.includes('LeafAssignment') && !x.api.includes('Contributions'))!;
      const records = ((c as { rows_as_RowData?: unknown[] }).rows_as_RowData ?? c.rows!) as Record<string, unknown>[];
      const out = predictFrame(model, frameFromRecords(records), { convertInvalidNumbers: false, calibrated: 'calibratedClassProbabilities' in c.expected! });
      const exp = c.expected!;
      const tol = c.tolerance?.abs ?? 1e-5;
      const digits = -Math.log10(tol) - 0.3;
      if ('value' in exp) {
        const want = exp.value as number[];
        column(out, model.meta.category === 'CoxPH' ? 'lp' : 'predict').forEach((v, r) => expect(v as number).toBeCloseTo(want[r], digits));
      }
      if ('cluster' in exp) expect(column(out, 'cluster')).toEqual(exp.cluster);
      if ('labelIndex' in exp && !('label' in exp)) {
        const levels = model.meta.domains[model.meta.columns.length - 1]!;
        expect(column(out, 'predict').map((l) => levels.indexOf(String(l)))).toEqual(exp.labelIndex);
      }
      if ('label' in exp) expect(column(out, 'predict').map(String)).toEqual(exp.label);
      if ('label_is_non_empty' in exp) expect(String(column(out, 'predict')[0])).not.toBe('');
      const probCols = out.columnNames.filter((n) => n !== 'predict' && !n.startsWith('cal_'));
      if ('classProbabilities' in exp) {
        (exp.classProbabilities as number[][]).forEach((want, r) => {
          want.forEach((p, k) => expect(column(out, probCols[k])[r] as number).toBeCloseTo(p, digits));
        });
      }
      if ('calibratedClassProbabilities' in exp) {
        (exp.calibratedClassProbabilities as number[][]).forEach((want, r) => {
          want.forEach((p, k) => expect(column(out, `cal_${probCols[k]}`)[r] as number).toBeCloseTo(p, digits));
        });
      }
    });
  }

  for (const name of LOAD_ONLY) {
    it(`${name}: loads and scores (h2o-3 records no values)`, async () => {
      const e = load(name);
      const model = await loadMojo(mojoPath(e));
      const c = e.cases.find((x) => x.rows)!;
      const preds = new Float64Array(model.predsSize);
      model.score0(Float64Array.from(c.rows![0] as number[]), 0, preds);
      // a finite score and a positive mean path length (the normalized score may leave [0, 1]
      // for rows outside the training range)
      expect(Number.isFinite(preds[0])).toBe(true);
      expect(preds[1]).toBeGreaterThan(0);
    });
  }

  for (const name of ['XGBoostWithOffset', 'XGBoostWithoutOffset']) {
    it(`${name}: predictRegression(row, offset) through the merged XGBoost scorer`, async () => {
      const e = load(name);
      const model = await loadMojo(mojoPath(e));
      for (const c of e.cases) {
        const offsets = (c as { offsets?: number[] }).offsets;
        const records = (c.rows as Record<string, unknown>[]).map((r, i) => (model.meta.offsetColumn ? { ...r, [model.meta.offsetColumn]: offsets?.[i] ?? 0 } : r));
        const out = predictFrame(model, frameFromRecords(records), { convertInvalidNumbers: false, calibrated: false });
        const want = c.expected!.value as number[];
        column(out, 'predict').forEach((v, r) => expect(v as number).toBeCloseTo(want[r], 3.7));
      }
    });
  }

  for (const name of ['xgboost', 'xgboost_java', 'oldDart']) {
    it(`${name}: an XGBoost MOJO with no recorded values loads and scores`, async () => {
      const model = await loadMojo(mojoPath(load(name)));
      const preds = new Float64Array(model.predsSize);
      model.score0(new Float64Array(model.meta.nfeatures).fill(1), 0, preds);
      expect(preds.every(Number.isFinite)).toBe(true);
      if (model.meta.nclasses > 2) expect(preds.slice(1).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    });
  }

  it('mojo_modified_version: a MOJO version newer than supported is refused by name', async () => {
    const e = load('mojo_modified_version');
    await expect(loadMojo(mojoPath(e))).rejects.toMatchObject({
      errorCode: 'NOT_IMPLEMENTED',
      message: expect.stringMatching(/MOJO version incompatibility.*gbm MOJO has version 9\.99/),
    });
  });

  it('dumjo: a zip that is not a MOJO is refused naming the file', async () => {
    const e = load('dumjo');
    await expect(loadMojo(mojoPath(e))).rejects.toThrow(/dumjo\.zip is not an H2O MOJO: it has no model.ini/);
  });

  it('MOJOs of algorithms not scored natively are refused by name, with the bridge as the way out', async () => {
    for (const name of NOT_NATIVE_FIXTURES) {
      const e = load(name);
      await expect(loadMojo(mojoPath(e))).rejects.toMatchObject({ errorCode: 'NOT_IMPLEMENTED', message: expect.stringMatching(/is not supported natively.*--runtime python/) });
    }
  });

  it('the expected files all have a test above or are named as not scored natively', () => {
    const covered = new Set(['XGBoostWithOffset', 'XGBoostWithoutOffset', 'xgboost', 'xgboost_java', 'oldDart', ...SCORE0, ...WRAPPER, ...NOT_NATIVE_FIXTURES, ...LOAD_ONLY, 'glm_model', 'kmeans_model', 'dumjo', 'mojo_modified_version', 'glm_reader', 'gbm_variable_importance']);
    const all = readdirSync(EXPECTED).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    expect(all.filter((n) => !covered.has(n))).toEqual([]);
  });
});

/** MOJOs of algorithms scored through the Python bridge only (README: not native). */
const NOT_NATIVE_FIXTURES = [
  'word2vec', 'glrm',
];
/** MOJOs with no recorded values: they must load and score. */
const LOAD_ONLY = ['isofor', 'isoforextended'];

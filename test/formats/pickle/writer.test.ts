import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../../src/errors.js';
import { allowSklearnGlobal, buildEstimator, callMethod, type SklearnMethod } from '../../../src/flavors/sklearn/index.js';
import { loadPickleFile, readPickle, writePickle, type PyInstance } from '../../../src/formats/pickle/index.js';
import { caseInput, type CaseJson } from '../../flavors/sklearn/case-input.js';
import { loadWithPython, pythonMissing, pythonNote } from './python.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const SKLEARN = join(FIXTURES, 'sklearn');
const FORMATS = join(FIXTURES, 'formats');
const sklearn = { allowGlobal: allowSklearnGlobal };
const tmp = mkdtempSync(join(tmpdir(), 'mlflow-ts-pickle-writer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

function closeTo(actual: number, expected: number | null): boolean {
  if (expected === null) return Number.isNaN(actual);
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

/** Our native estimator built from `value` gives case.json's outputs. */
function expectCaseOutputs(value: unknown, c: CaseJson, source: string): void {
  const est = buildEstimator(value, source);
  for (const [method, exp] of Object.entries(c.outputs)) {
    const out = callMethod(est, method as SklearnMethod, caseInput(c));
    expect(out.shape, `${method} shape`).toEqual(exp.shape);
    const want = flat(exp.value);
    const got = Array.from(out.data as ArrayLike<unknown>);
    if (exp.dtype === 'float64') {
      const bad = got.findIndex((g, i) => !closeTo(g as number, want[i] as number | null));
      expect(bad, `${method}[${bad}] = ${String(got[bad])}, sklearn ${String(want[bad])}`).toBe(-1);
    } else expect(got, method).toEqual(want);
  }
}

/** Reads `file`, writes it with writePickle and checks our reader reads the same value back. */
async function roundTrip(file: string, options: { allowGlobal(m: string, n: string): boolean }, out: string): Promise<unknown> {
  const value = await loadPickleFile(file, options);
  const written = writePickle(value);
  writeFileSync(out, written);
  const back = readPickle(written, { ...options, source: out });
  expect(back).toEqual(value);
  // tuples, the calls that made instances and dtypes, and their BUILD states survive too
  expect(Buffer.from(writePickle(back)).equals(Buffer.from(written))).toBe(true);
  return back;
}

/** The shared cases with a joblib file, and the extra cases' pickles. */
const jobs = {
  predict: [] as [string, string][],
  same: [] as [string, string][],
};

describe('writePickle: joblib sklearn models as standard pickles', () => {
  const cases = readdirSync(SKLEARN).filter((d) => existsSync(join(SKLEARN, d, 'model.joblib')));
  it('finds the 48 joblib cases', () => expect(cases).toHaveLength(48));

  for (const name of cases) {
    it(`${name}: reads back equal and our estimator gives case.json's outputs`, async () => {
      const dir = join(SKLEARN, name);
      const out = join(tmp, `${name}.pkl`);
      const back = await roundTrip(join(dir, 'model.joblib'), sklearn, out);
      const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseJson;
      expectCaseOutputs(back, c, out);
      jobs.predict.push([out, join(dir, 'case.json')]);
    });
  }

  const extra = readdirSync(join(SKLEARN, 'extra')).filter((d) => existsSync(join(SKLEARN, 'extra', d, 'model.p4.pkl')));
  it(`rewrites the ${extra.length} extra cases' pickles (MLP, voting, bagging, ...) to values that read back equal`, async () => {
    expect(extra.length).toBeGreaterThan(60);
    for (const name of extra) {
      const out = join(tmp, `extra-${name}.pkl`);
      await roundTrip(join(SKLEARN, 'extra', name, 'model.p4.pkl'), sklearn, out);
      jobs.predict.push([out, join(SKLEARN, 'extra', name, 'case.json')]);
    }
  });

  const values = ['values.p0.pkl', 'values.p2.pkl', 'values.p4.pkl', 'values.p5.pkl', 'arrays.joblib', 'sparse.p4.pkl'];
  it('rewrites pickles of every numpy dtype (big-endian, Fortran, structured, half, unicode, object) and Python value', async () => {
    for (const file of values) {
      const out = join(tmp, `values-${file}.pkl`);
      await roundTrip(join(FORMATS, file), { allowGlobal: () => false }, out);
      jobs.same.push([out, join(FORMATS, file)]);
    }
  });

  it(`Python's pickle.load reads every written file: estimators predict as case.json says, values equal the originals${pythonNote}`, { skip: pythonMissing !== undefined, timeout: 120_000 }, () => {
    expect(jobs.predict.length).toBe(48 + extra.length);
    const report = loadWithPython(jobs);
    expect(report.failures).toEqual({});
    expect(report.checked).toBe(48 + extra.length + values.length);
  });
});

describe('writePickle refuses what its reader did not make', () => {
  it('an instance without the call that made it', () => {
    const inst: PyInstance = { kind: 'instance', module: 'sklearn.linear_model._base', name: 'LinearRegression', state: {}, args: [] };
    expect(() => writePickle(inst)).toThrow(MlflowError);
    expect(() => writePickle(inst)).toThrow(/sklearn\.linear_model\._base\.LinearRegression was not made by the pickle reader/);
  });

  it('JavaScript values with no pickle form', () => {
    expect(() => writePickle(() => 1)).toThrow(/a function has no pickle form/);
    expect(() => writePickle([undefined])).toThrow(/undefined has no pickle form/);
    expect(() => writePickle(new Date(0))).toThrow(/a Date is not a value the pickle reader makes/);
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readXGBoostModel } from '../../src/boosters/xgboost/index.js';
import { expectClose } from './close.js';

const DIR = join(import.meta.dirname, '../fixtures/boosters/xgboost');

interface Output { shape: number[]; value: unknown[] }
interface Case {
  input: { shape: [number, number]; data: (number | null)[][] };
  outputs: Record<string, Output>;
}

function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v === null ? NaN : (v as number)];
}

const cases = readdirSync(DIR).filter((d) => !d.includes('.'));

describe('XGBoost 1.7.4 fixtures', () => {
  for (const name of cases) {
    const c = JSON.parse(readFileSync(join(DIR, name, 'case.json'), 'utf8')) as Case;
    const [n, cols] = c.input.shape;
    const rows = Float64Array.from(flat(c.input.data));
    for (const ext of ['json', 'ubj', 'xgb']) {
      it(`${name} model.${ext}`, () => {
        const m = readXGBoostModel(readFileSync(join(DIR, name, `model.${ext}`)), { file: `model.${ext}` });
        for (const [kind, want] of Object.entries(c.outputs)) {
          const got = m.predict(rows, n, cols, { outputMargin: kind === 'output_margin', predLeaf: kind === 'pred_leaf' });
          expect([...got.shape], kind).toEqual(want.shape);
          if (kind === 'pred_leaf') expect(Array.from(got.data)).toEqual(flat(want.value));
          else expectClose(got.data, flat(want.value));
        }
      });
    }
  }
});

describe('XGBoost bad input', () => {
  const file = (name: string, ext: string): Buffer => readFileSync(join(DIR, name, `model.${ext}`));
  it('refuses a wrong number of features, naming both counts', () => {
    const m = readXGBoostModel(file('binary_logistic_breast_cancer', 'json'));
    expect(() => m.predict(new Float64Array(29), 1, 29)).toThrow(/expected: 30, got 29/);
  });
  it('names the file of a truncated model, in every format', () => {
    for (const ext of ['json', 'ubj', 'xgb']) {
      const bytes = file('binary_logistic_breast_cancer', ext);
      expect(() => readXGBoostModel(bytes.subarray(0, bytes.length >> 1), { file: `model.${ext}` })).toThrow(`model.${ext}`);
    }
  });
  it('refuses an unknown objective by name', () => {
    const doc = JSON.parse(file('reg_squarederror_diabetes', 'json').toString()) as { learner: { objective: { name: string } } };
    doc.learner.objective.name = 'reg:madeup';
    expect(() => readXGBoostModel(Buffer.from(JSON.stringify(doc)))).toThrow(/objective 'reg:madeup' is not supported/);
  });
  it('refuses an iteration_range beyond the rounds', () => {
    const m = readXGBoostModel(file('reg_squarederror_diabetes', 'ubj'));
    expect(m.numBoostedRounds).toBe(15);
    expect(() => m.predict(new Float64Array(10), 1, 10, { iterationRange: [0, 16] })).toThrow(/15 boosting rounds/);
  });
});

const MORE = join(import.meta.dirname, '../fixtures/boosters/xgboost-more/boosters');
const more = (JSON.parse(readFileSync(join(MORE, 'index.json'), 'utf8')) as { cases: string[] }).cases;

describe('XGBoost 1.7.4: more objectives, parallel trees, dart and gblinear multi-class, categorical', () => {
  for (const name of more) {
    const c = JSON.parse(readFileSync(join(MORE, name, 'case.json'), 'utf8')) as Case;
    const [n, cols] = c.input.shape;
    const rows = Float64Array.from(flat(c.input.data));
    for (const ext of ['json', 'ubj']) {
      it(`${name} model.${ext}`, () => {
        const m = readXGBoostModel(readFileSync(join(MORE, name, `model.${ext}`)));
        for (const [kind, want] of Object.entries(c.outputs)) {
          const got = m.predict(rows, n, cols, {
            outputMargin: kind === 'output_margin',
            predLeaf: kind === 'pred_leaf',
            iterationRange: kind === 'iteration_range_1_3' ? [1, 3] : undefined,
          });
          expect([...got.shape], kind).toEqual(want.shape);
          if (kind === 'pred_leaf') expect(Array.from(got.data)).toEqual(flat(want.value));
          else expectClose(got.data, flat(want.value));
        }
      });
    }
  }
});

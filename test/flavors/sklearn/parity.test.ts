import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSklearnEstimator } from '../../../src/flavors/sklearn/load.js';
import { callMethod, isSklearnMethod } from '../../../src/flavors/sklearn/methods.js';
import { caseInput, type CaseJson } from './case-input.js';

const ROOT = join(import.meta.dirname, '../../fixtures/sklearn');

/** Flattens a nested JSON array in row-major order. */
function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

function closeTo(actual: number, expected: number | null): boolean {
  if (expected === null) return Number.isNaN(actual);
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

/** Case directories (those holding a case.json): the shared fixtures at the root, ours under extra/. */
function caseDirs(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => (d.name === 'extra' ? caseDirs(join(root, d.name)) : [join(root, d.name)]))
    .filter((d) => readdirSync(d).includes('case.json'));
}

describe('sklearn parity with scikit-learn 1.2.1 outputs', () => {
  for (const dir of caseDirs(ROOT)) {
    const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseJson;
    for (const file of Object.values(c.files)) {
      it(`${c.case} / ${file}`, async () => {
        const est = await loadSklearnEstimator(join(dir, file));
        for (const [method, exp] of Object.entries(c.outputs)) {
          if (!isSklearnMethod(method)) throw new Error(`unknown method ${method}`);
          const out = callMethod(est, method, caseInput(c));
          expect(out.shape, `${method} shape`).toEqual(exp.shape);
          const want = flat(exp.value);
          const got = Array.from(out.data as ArrayLike<unknown>);
          if (exp.dtype === 'float64') {
            const bad = got.findIndex((g, i) => !closeTo(g as number, want[i] as number | null));
            expect(bad, `${method}[${bad}] = ${got[bad]}, sklearn ${want[bad]}`).toBe(-1);
          } else {
            expect(got, method).toEqual(want);
            // numpy unicode arrays ('<U10') are our 'string' tensors
            expect(out.dtype, `${method} dtype`).toBe(exp.dtype.startsWith('<U') ? 'string' : exp.dtype);
          }
        }
      });
    }
  }
});

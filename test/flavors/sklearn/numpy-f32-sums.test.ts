import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { einsumRowSquaresF32, pairwiseSumF32 } from '../../../src/flavors/sklearn/numpy-f32-sums.js';

/** numpy's own float32 row sums (test/fixtures/sklearn/numpy-f32/make_sums.py; numpy 1.24 and 2.4 agree). */
const { cases } = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/sklearn/numpy-f32/sums.json'), 'utf8')) as {
  cases: { x: number[][]; abs_sum: number[]; squares: number[] }[];
};

describe("numpy's float32 row sums, bit for bit", () => {
  it('np.abs(X).sum(axis=1): the pairwise sum, rows of 1 to 300 values', () => {
    for (const c of cases) c.x.forEach((row, i) => expect(pairwiseSumF32(row.map(Math.abs), 0, row.length), `width ${row.length}`).toBe(c.abs_sum[i]));
  });

  it("np.einsum('ij,ij->i', X, X): four lanes, blocks of 16, rows of 1 to 300 values", () => {
    for (const c of cases) c.x.forEach((row, i) => expect(einsumRowSquaresF32(row, 0, row.length), `width ${row.length}`).toBe(c.squares[i]));
  });
});

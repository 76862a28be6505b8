import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLightGBMModel } from '../../src/boosters/lightgbm/index.js';
import { expectClose } from './close.js';

const DIR = join(import.meta.dirname, '../fixtures/boosters/lightgbm');

interface Case {
  input: { shape: [number, number]; data: (number | null)[][] };
  outputs: Record<string, { shape: number[]; value: unknown[] }>;
}

function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v === null ? NaN : (v as number)];
}

const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as { cases: string[] };

describe('LightGBM 4.7 fixtures (every objective, boosting and split kind)', () => {
  for (const name of index.cases) {
    it(name, () => {
      const c = JSON.parse(readFileSync(join(DIR, name, 'case.json'), 'utf8')) as Case;
      const [n, cols] = c.input.shape;
      const rows = Float64Array.from(flat(c.input.data));
      const m = readLightGBMModel(readFileSync(join(DIR, name, 'model.txt')), { file: `${name}/model.txt` });
      for (const [kind, want] of Object.entries(c.outputs)) {
        const got = m.predict(rows, n, cols, {
          rawScore: kind === 'raw_score',
          predLeaf: kind === 'pred_leaf',
          numIteration: kind === 'num_iteration_2' ? 2 : undefined,
          startIteration: kind === 'start_iteration_1' ? 1 : undefined,
        });
        expect([...got.shape], kind).toEqual(want.shape);
        if (kind === 'pred_leaf') expect(Array.from(got.data), kind).toEqual(flat(want.value));
        else expectClose(got.data, flat(want.value), 1e-6, 1e-9);
      }
    });
  }
});

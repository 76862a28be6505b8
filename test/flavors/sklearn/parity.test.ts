import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { CaseJson } from './case-input.js';
import { expectCaseOutputs } from './check-case.js';

const ROOT = join(import.meta.dirname, '../../fixtures/sklearn');

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
      it(`${c.case} / ${file}`, () => expectCaseOutputs(dir, file, c));
    }
  }
});

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/model');
export const MLMODEL_DIR = path.join(FIXTURES, 'mlmodel');
export const MODELS_DIR = path.join(FIXTURES, 'models');

/** Every MLmodel file copied from shared/fixtures (see test/fixtures/model/README.md). */
export function mlmodelFixtures(): string[] {
  return readdirSync(MLMODEL_DIR)
    .filter((f) => f.includes('MLmodel'))
    .map((f) => path.join(MLMODEL_DIR, f));
}

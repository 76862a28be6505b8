import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Caches (the TensorFlow conversion cache, keyed by content) go to one folder of the tests',
    // not the user's ~/.cache; a folder per run would be left behind by every run.
    env: { MLFLOW_TS_CACHE_DIR: path.join(tmpdir(), 'mlflow-ts-test-cache') },
  },
});

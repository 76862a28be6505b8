import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Caches (the TensorFlow conversion cache) go to a folder of this run, not the user's ~/.cache.
    env: { MLFLOW_TS_CACHE_DIR: mkdtempSync(path.join(tmpdir(), 'mlflow-ts-test-cache-')) },
  },
});

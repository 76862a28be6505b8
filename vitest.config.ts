import { tmpdir } from 'node:os';
import path from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests that time the event loop (/ping while a worst-case body is scored): they run after the
 * others, one file at a time (vitest.timing.config.ts), so that another test file on the same
 * cores does not stretch what they measure.
 */
export const TIMING_TESTS = ['test/serve/event-loop.test.ts', 'test/serve/bridge-event-loop.test.ts', 'test/serve/v2-event-loop.test.ts'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...TIMING_TESTS],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Caches (the TensorFlow conversion cache, keyed by content) go to one folder of the tests',
    // not the user's ~/.cache; a folder per run would be left behind by every run.
    env: { MLFLOW_TS_CACHE_DIR: path.join(tmpdir(), 'mlflow-ts-test-cache') },
  },
});

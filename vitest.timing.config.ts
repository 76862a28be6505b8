import { defineConfig } from 'vitest/config';
import base, { TIMING_TESTS } from './vitest.config.js';

// The event-loop timing tests alone, one file at a time: `npx vitest run --config vitest.timing.config.ts`.
export default defineConfig({ test: { ...base.test, include: TIMING_TESTS, exclude: [], fileParallelism: false } });

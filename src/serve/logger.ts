import { createRequire } from 'node:module';
import type { Logger } from 'pino';

// pino is CommonJS: required on first use, so importing mlflow-ts does not load it (start-up).
const require = createRequire(import.meta.url);

const FLUSH_MS = 100;

/**
 * The server's structured log: JSON lines on stderr (stdout stays free for a pipeline), written
 * asynchronously so a log line never blocks a request. Lines are gathered into writes of 4 KB,
 * or whatever came within FLUSH_MS: a write per access-log line cost more CPU than scoring a
 * row. The server flushes by hand where a reader waits for a line ('listening'); pino flushes
 * at exit. Level from MLFLOW_TS_LOG_LEVEL (info); `dest` (a file descriptor or path) lets the
 * benchmarks log to a file or /dev/null.
 */
export function createServeLogger(level = process.env.MLFLOW_TS_LOG_LEVEL ?? 'info', dest: number | string = 2): Logger {
  const { pino } = require('pino') as typeof import('pino');
  return pino(
    { name: 'mlflow-ts-serve', level, base: { pid: process.pid } },
    pino.destination({ dest, sync: false, minLength: 4096, periodicFlush: FLUSH_MS }),
  );
}

import { createRequire } from 'node:module';
import type { Logger } from 'pino';

// pino is CommonJS: required on first use, so importing mlflow-ts does not load it (start-up).
const require = createRequire(import.meta.url);

/**
 * The server's structured log: JSON lines on stderr (stdout stays free for a pipeline), written
 * asynchronously so a log line never blocks a request. Level from MLFLOW_TS_LOG_LEVEL (info).
 */
export function createServeLogger(level = process.env.MLFLOW_TS_LOG_LEVEL ?? 'info'): Logger {
  const { pino } = require('pino') as typeof import('pino');
  return pino(
    { name: 'mlflow-ts-serve', level, base: { pid: process.pid } },
    pino.destination({ dest: 2, sync: false }),
  );
}

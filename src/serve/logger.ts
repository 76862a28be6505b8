import { pino, type Logger } from 'pino';

/**
 * The server's structured log: JSON lines on stderr (stdout stays free for a pipeline), written
 * asynchronously so a log line never blocks a request. Level from MLFLOW_TS_LOG_LEVEL (info).
 */
export function createServeLogger(level = process.env.MLFLOW_TS_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    { name: 'mlflow-ts-serve', level, base: { pid: process.pid } },
    pino.destination({ dest: 2, sync: false }),
  );
}

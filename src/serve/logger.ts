import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { LogBatch } from './log-batch.js';

// pino is CommonJS: required on first use, so importing mlflow-ts does not load it (start-up).
const require = createRequire(import.meta.url);

const FLUSH_MS = 100;
const BATCH_CHARS = 16384;
const NAME = 'mlflow-ts-serve';

/** How to write an info line for a logger createServeLogger made, without pino's per-key work. */
interface FastInfo {
  readonly batch: LogBatch;
  /** The logger's bindings as pino writes them after "time": `,"pid":N,"name":"..."`. */
  readonly bindings: string;
}

const fastInfo = new WeakMap<Logger, FastInfo>();

/**
 * The server's structured log: JSON lines on stderr (stdout stays free for a pipeline). Lines are
 * gathered into writes of 16 KB, or whatever came within FLUSH_MS, each written synchronously
 * (pino's default) — see LogBatch: a write per access-log line cost more CPU than scoring a row.
 * The server flushes by hand where a reader waits for a line ('listening'); lines left at exit
 * are written then. Level from MLFLOW_TS_LOG_LEVEL (info); `dest` (a file
 * descriptor or path) lets the benchmarks log to a file or /dev/null.
 */
export function createServeLogger(level = process.env.MLFLOW_TS_LOG_LEVEL ?? 'info', dest: number | string = 2): Logger {
  const { pino } = require('pino') as typeof import('pino');
  const batch = new LogBatch(pino.destination({ dest, sync: true }), BATCH_CHARS, FLUSH_MS);
  const logger = pino({ name: NAME, level, base: { pid: process.pid } }, batch);
  fastInfo.set(logger, { batch, bindings: `,"pid":${process.pid},"name":${JSON.stringify(NAME)}` });
  return logger;
}

/**
 * For a logger createServeLogger made: writes the info line pino would write for an object whose
 * keys `fields` holds already serialised (`,"key":value...`) and the message `msg` (plain
 * ASCII), at a fraction of pino's cost. Undefined for any other logger (use logger.info).
 */
export function fastInfoWriter(logger: Logger): ((fields: string, msg: string) => void) | undefined {
  const info = fastInfo.get(logger);
  if (!info) return undefined;
  const { batch, bindings } = info;
  return (fields, msg) => {
    batch.write(`{"level":30,"time":${Date.now()}${bindings}${fields},"msg":"${msg}"}\n`);
  };
}

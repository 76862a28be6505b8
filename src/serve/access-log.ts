import type { Logger } from 'pino';
import { fastInfoWriter } from './logger.js';

/** One access-log line: request id, method, path, status, latency (ms) and bytes answered. */
export type AccessLog = (requestId: string, method: string, path: string, status: number, ms: number, bytes: number) => void;

/**
 * The access log at info level, or undefined when the logger is above info (no per-request work
 * at all then). The line is the one `logger.info({requestId, method, path, status, ms, bytes},
 * 'request')` writes; for the server's own logger it is built as one template string, which
 * costs a tenth of pino's serialisation of the object.
 */
export function accessLog(logger: Logger): AccessLog | undefined {
  if (!logger.isLevelEnabled('info')) return undefined;
  const fast = fastInfoWriter(logger);
  if (!fast) {
    return (requestId, method, path, status, ms, bytes) => logger.info({ requestId, method, path, status, ms, bytes }, 'request');
  }
  return (requestId, method, path, status, ms, bytes) => {
    fast(`,"requestId":${JSON.stringify(requestId)},"method":${JSON.stringify(method)},"path":${JSON.stringify(path)},"status":${status},"ms":${ms},"bytes":${bytes}`, 'request');
  };
}

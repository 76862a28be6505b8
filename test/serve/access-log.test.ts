import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accessLog } from '../../src/serve/access-log.js';
import { createServeLogger } from '../../src/serve/logger.js';

describe('the access log (issue #17)', () => {
  it("writes the server logger's line as pino writes it for the same fields", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'access-log-')), 'log');
    const logger = createServeLogger('info', file);
    const log = accessLog(logger);
    const cases: [string, string, string, number, number, number][] = [
      ['0b1c6c2e-44a4-4d39-9a4f-4d4cbe1e8a31', 'POST', '/invocations', 200, 0.123, 20],
      ['client "id" \\ x', 'GET', '/odd/"path"\u2028\u0001', 404, 12, 0],
      ['r', 'DELETE', '/v2/models/m/infer', 0, 1e-7, 123456],
    ];
    for (const [requestId, method, path, status, ms, bytes] of cases) {
      log?.(requestId, method, path, status, ms, bytes);
      logger.info({ requestId, method, path, status, ms, bytes }, 'request');
    }
    logger.flush();
    await new Promise((r) => setTimeout(r, 50));
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => l.replace(/"time":\d+/, '"time":0'));
    expect(lines).toHaveLength(2 * cases.length);
    for (let i = 0; i < lines.length; i += 2) expect(lines[i]).toBe(lines[i + 1]);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 30, pid: process.pid, name: 'mlflow-ts-serve', requestId: cases[0][0], msg: 'request' });
  });

  it('is off below info: no per-request work', () => {
    expect(accessLog(createServeLogger('warn', '/dev/null'))).toBeUndefined();
  });
});

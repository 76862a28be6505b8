import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPredictor, type Predictor } from '../../src/pyfunc/index.js';
import { createScoringServer, type ScoringServer } from '../../src/serve/index.js';
import { writeCustomModel } from '../flavors/python_function/custom-model.js';
import { floatFrame, toNested } from '../flavors/python_function/helpers.js';
import { pythonReady, skipReason } from '../flavors/python_function/python-available.js';

const ROW = JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] } });

describe.skipIf(!pythonReady)(`Python-bridge worker restarts in /metrics (issue #17) ${skipReason}`, () => {
  let dir: string;
  let predictor: Predictor;
  let server: ScoringServer;
  let base: string;
  beforeAll(async () => {
    dir = await writeCustomModel();
    predictor = await loadPredictor(dir, { runtime: 'python', workers: 1 });
    server = createScoringServer(predictor, { logger: pino({ level: 'silent' }), modelName: 'custom' });
    base = `http://127.0.0.1:${(await server.listen(0)).port}`;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const restarts = async (): Promise<string | undefined> =>
    /^mlflow_ts_python_worker_restarts_total\{model="custom"\} (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1];
  const score = () => fetch(`${base}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ROW });

  it('counts a killed worker and a crashed one, and the replacements answer', async () => {
    expect((await score()).status).toBe(200);
    expect(await restarts()).toBe('0');

    const [pid] = toNested(await predictor.predict(floatFrame(['a', 'b'], [[1, 2]]), { mode: 'pid' })) as number[];
    process.kill(pid, 'SIGKILL');
    await expect.poll(restarts, { timeout: 30_000, interval: 100 }).toBe('1');
    await expect.poll(async () => (await score()).status, { timeout: 60_000, interval: 200 }).toBe(200);

    // A worker that exits inside predict: the request fails, the worker is counted and replaced.
    const crash = await fetch(`${base}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] }, params: { mode: 'exit' } }),
    });
    expect(crash.status).toBeGreaterThanOrEqual(400);
    await expect.poll(restarts, { timeout: 30_000, interval: 100 }).toBe('2');
    await expect.poll(async () => (await score()).status, { timeout: 60_000, interval: 200 }).toBe(200);
  }, 180_000);
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { createScoringServer, type ScoringServer } from '../../../src/serve/index.js';
import { writeCustomModel } from './custom-model.js';
import { MODELS } from './helpers.js';
import { pythonReady, skipReason } from './python-available.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe.skipIf(!pythonReady)(`python_function through the CLI and the scoring server ${skipReason}`, () => {
  it('`models predict --runtime python` scores a custom loader_module model', async () => {
    const dir = await writeCustomModel();
    const io = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-pyfunc-cli-'));
    dirs.push(dir, io);
    await writeFile(path.join(io, 'in.json'), JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2], [3, 4.5]] } }));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await buildProgram().parseAsync([
        'node', 'mlflow-ts', 'models', 'predict', '-m', dir, '-i', path.join(io, 'in.json'), '-o', path.join(io, 'out.json'), '--runtime', 'python', '--env-manager', 'local',
      ]);
    } finally {
      err.mockRestore();
    }
    expect(JSON.parse(await readFile(path.join(io, 'out.json'), 'utf8'))).toEqual({ predictions: [30.5, 75.5] });
  });

  describe('the scoring server', () => {
    let server: ScoringServer;
    let url: string;
    let custom: ScoringServer;
    let customUrl: string;
    beforeAll(async () => {
      const logger = pino({ level: 'silent' });
      server = createScoringServer(await loadPredictor(path.join(MODELS, 'iris_logreg'), { runtime: 'python', workers: 1 }), { logger });
      url = `http://127.0.0.1:${(await server.listen(0, '127.0.0.1')).port}/invocations`;
      const dir = await writeCustomModel();
      dirs.push(dir);
      custom = createScoringServer(await loadPredictor(dir, { runtime: 'python', workers: 1 }), { logger });
      customUrl = `http://127.0.0.1:${(await custom.listen(0, '127.0.0.1')).port}/invocations`;
    });
    afterAll(async () => {
      await server?.close();
      await custom?.close();
    });
    const post = (u: string, body: unknown) =>
      fetch(u, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    it("answers MLflow's recorded body for iris_logreg through the bridge", async () => {
      const res = await post(url, {
        dataframe_split: { index: [10, 11, 12], columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], data: [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3]] },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('{"predictions": [0, 1, 2]}');
    });

    it('answers 503 TEMPORARILY_UNAVAILABLE when the worker dies mid-request, then 200 again', async () => {
      const pidRes = await post(customUrl, { dataframe_split: { columns: ['a'], data: [[1]] }, params: { mode: 'pid' } });
      const [pid] = ((await pidRes.json()) as { predictions: number[] }).predictions;
      const pending = post(customUrl, { dataframe_split: { columns: ['a'], data: [[1]] }, params: { mode: 'sleep', seconds: 5 } });
      await new Promise((r) => setTimeout(r, 500));
      process.kill(pid, 'SIGKILL');
      const res = await pending;
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error_code: 'TEMPORARILY_UNAVAILABLE' });
      const again = await post(customUrl, { dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] } });
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ predictions: [30.5] });
    });
  });
});

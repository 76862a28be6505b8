import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MlflowError } from '../../../src/errors.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';
import { exitOf, startServe } from '../../cli/start-serve.js';
import { send } from '../../serve/http-client.js';
import { floatFrame, MODELS, toNested } from './helpers.js';
import { writeCustomModel } from './custom-model.js';
import { pythonReady, skipReason } from './python-available.js';

const input = floatFrame(['a', 'b'], [[1, 2]]);
const dirs: string[] = [];
async function model(opts: Parameters<typeof writeCustomModel>[0] = {}): Promise<string> {
  const dir = await writeCustomModel(opts);
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe.skipIf(!pythonReady)(`python_function load errors surface at load time ${skipReason}`, () => {
  it('names a loader_module that does not exist', async () => {
    const dir = await model({ loaderModule: 'no_such_loader' });
    await expect(loadPredictor(dir, { runtime: 'python', workers: 1 })).rejects.toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      message: expect.stringMatching(/loader_module 'no_such_loader' was not found \(code dir 'code'\)/),
    });
  });

  it('names the module when the code dir raises on import', async () => {
    const dir = await model({ loaderSource: 'raise RuntimeError("broken at import")\n' });
    await expect(loadPredictor(dir, { runtime: 'python', workers: 1 })).rejects.toMatchObject({
      message: expect.stringContaining("Importing loader_module 'custom_loader' (code dir 'code') failed: RuntimeError: broken at import"),
    });
  });

  it("names the data file a loader's _load_pyfunc cannot open", async () => {
    const dir = await model();
    await rm(path.join(dir, 'data', 'offset.txt'));
    await expect(loadPredictor(dir, { runtime: 'python', workers: 1 })).rejects.toMatchObject({
      message: expect.stringMatching(/custom_loader\._load_pyfunc\('.*data'\) failed: FileNotFoundError: .*offset\.txt/),
    });
  });

  it('refuses an MLflow flavor it cannot load without mlflow, naming what to install', async () => {
    const dir = await model({ loaderModule: 'mlflow.pyfunc.model' });
    await expect(loadPredictor(dir, { runtime: 'python', workers: 1 })).rejects.toMatchObject({
      message: expect.stringContaining("loader_module 'mlflow.pyfunc.model' needs the mlflow package, which /usr/bin/python3 does not have: install it (pip install mlflow==2.22.1)"),
    });
  });

  it('names the interpreter when MLFLOW_TS_PYTHON cannot run', async () => {
    const saved = process.env.MLFLOW_TS_PYTHON;
    process.env.MLFLOW_TS_PYTHON = '/nonexistent/python3';
    try {
      await expect(loadPredictor(path.join(MODELS, 'iris_logreg'), { runtime: 'python', workers: 1 })).rejects.toMatchObject({
        message: expect.stringContaining("The Python interpreter '/nonexistent/python3' could not be started"),
      });
    } finally {
      process.env.MLFLOW_TS_PYTHON = saved;
    }
  });

  it('says which packages the bridge needs when the Python lacks numpy', async () => {
    const dir = await model();
    const fake = path.join(dir, 'fakepy');
    await mkdir(path.join(fake, 'numpy'), { recursive: true });
    await writeFile(path.join(fake, 'numpy', '__init__.py'), 'raise ImportError("No module named numpy (simulated)")\n');
    const saved = process.env.PYTHONPATH;
    process.env.PYTHONPATH = fake;
    try {
      await expect(loadPredictor(dir, { runtime: 'python', workers: 1 })).rejects.toMatchObject({
        message: expect.stringContaining('The Python bridge needs numpy and pandas, which /usr/bin/python3 lacks'),
      });
    } finally {
      if (saved === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = saved;
    }
  });

  it("reports a virtualenv that cannot be built, naming the env file and pip's complaint", async () => {
    const dir = await model({ envFiles: { 'requirements.txt': './not-a-real-package-1.0.whl\n' } });
    const saved = process.env.MLFLOW_TS_ENV_ROOT;
    process.env.MLFLOW_TS_ENV_ROOT = path.join(dir, 'envs');
    try {
      const err = await loadPredictor(dir, { runtime: 'python', workers: 1, envManager: 'virtualenv' }).then(
        () => undefined,
        (e: MlflowError) => e,
      );
      expect(err?.message).toContain(`Could not build the environment for '${path.join(dir, 'python_env.yaml')}'`);
      expect(err?.message).toContain('not-a-real-package-1.0.whl');
      // A failed build leaves no half-made env to be mistaken for a ready one.
      expect(await readdir(path.join(dir, 'envs'))).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.MLFLOW_TS_ENV_ROOT;
      else process.env.MLFLOW_TS_ENV_ROOT = saved;
    }
  }, 120_000);
});

describe.skipIf(!pythonReady)(`python_function worker crashes and hangs ${skipReason}`, () => {
  let predictor: Predictor;
  const savedTimeout = process.env.MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT;
  beforeAll(async () => {
    process.env.MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT = '5';
    predictor = await loadPredictor(await model(), { runtime: 'python', workers: 1 });
  });
  afterAll(async () => {
    if (savedTimeout === undefined) delete process.env.MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT;
    else process.env.MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT = savedTimeout;
    await predictor?.close();
  });

  const pid = async () => (toNested(await predictor.predict(input, { mode: 'pid' })) as number[])[0];

  it('a worker killed mid-request gives TEMPORARILY_UNAVAILABLE, and the next request succeeds', async () => {
    const victim = await pid();
    const pending = predictor.predict(input, { mode: 'sleep', seconds: 2.5 });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(victim, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({
      errorCode: 'TEMPORARILY_UNAVAILABLE',
      message: expect.stringContaining(`The Python worker (pid ${victim}) was killed by SIGKILL before answering`),
    });
    expect(toNested(await predictor.predict(input))).toEqual([30.5]);
    expect(await pid()).not.toBe(victim);
  });

  it("a dying worker's error never carries its stderr, which may hold an earlier request's data (issue #18)", async () => {
    await expect(predictor.predict(input, { mode: 'fail' })).rejects.toMatchObject({ errorCode: 'BAD_REQUEST' });
    const err = await predictor.predict(input, { mode: 'exit' }).then(() => undefined, (e: unknown) => e as MlflowError);
    expect(err?.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err?.message).not.toMatch(/alice|SSN|Traceback|stderr/);
    expect(toNested(await predictor.predict(input))).toEqual([30.5]);
  });

  it('a worker that exits on its own is replaced too', async () => {
    await expect(predictor.predict(input, { mode: 'exit' })).rejects.toMatchObject({
      errorCode: 'TEMPORARILY_UNAVAILABLE',
      message: expect.stringContaining('exited with code 3'),
    });
    expect(toNested(await predictor.predict(input))).toEqual([30.5]);
  });

  it('a request that hangs past the timeout gives TEMPORARILY_UNAVAILABLE, never a hang', async () => {
    const before = await pid();
    await expect(predictor.predict(input, { mode: 'sleep', seconds: 60 })).rejects.toMatchObject({
      errorCode: 'TEMPORARILY_UNAVAILABLE',
      message: expect.stringContaining('did not answer within 5 s'),
    });
    expect(toNested(await predictor.predict(input))).toEqual([30.5]);
    expect(await pid()).not.toBe(before);
  });
});

describe.skipIf(!pythonReady)(`python_function request deadline ${skipReason}`, () => {
  it('drops queued work whose deadline passed and kills a worker past it, so later requests are served (issue #18)', async () => {
    const predictor = await loadPredictor(await model(), { runtime: 'python', workers: 1, requestTimeoutMs: 1500 });
    try {
      const t0 = Date.now();
      const slow = Array.from({ length: 6 }, () => predictor.predict(input, { mode: 'sleep', seconds: 30 }).then(() => 'ok', (e: MlflowError) => e.errorCode));
      const codes = await Promise.all(slow);
      // the first runs and is killed at its deadline; the five queued behind it are dropped unrun
      expect(codes[0]).toBe('TEMPORARILY_UNAVAILABLE');
      expect(codes.slice(1)).toEqual(Array(5).fill('DEADLINE_EXCEEDED'));
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(toNested(await predictor.predict(input))).toEqual([30.5]);
    } finally {
      await predictor.close();
    }
  });
});

describe.skipIf(!pythonReady)(`python_function close ${skipReason}`, () => {
  it('a predictor nobody closed does not keep Node running (issue #16)', async () => {
    const child = new URL('./unclosed-child.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, await model()], { timeout: 90_000 });
    expect(JSON.parse(stdout)).toEqual([30.5]);
  }, 120_000);

  it('close() stops every worker', async () => {
    const predictor = await loadPredictor(await model(), { runtime: 'python', workers: 2 });
    const answers = await Promise.all(Array.from({ length: 6 }, () => predictor.predict(input, { mode: 'pid' })));
    const pids = [...new Set(answers.map((a) => (toNested(a) as number[])[0]))];
    expect(pids).toHaveLength(2);
    await predictor.close();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});

describe.skipIf(!pythonReady)(`models serve -t reaches the Python bridge ${skipReason}`, () => {
  it('with -t 2, six requests that would sleep 60 s each end within seconds, and valid requests are answered again well before any of them would have finished (issue #18)', async () => {
    const { child, ports } = await startServe(['models', 'serve', '-m', await model(), '-p', '0', '-h', '127.0.0.1', '-t', '2', '--env-manager', 'local']);
    try {
      const body = (params: object): string => JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] }, params });
      const t0 = Date.now();
      const slow = await Promise.all(Array.from({ length: 6 }, () => send(ports[0], 'POST', '/invocations', { contentType: 'application/json', body: body({ mode: 'sleep', seconds: 60 }) })));
      // Each is answered at its deadline (504), or as the worker killed at it (503).
      for (const a of slow) expect([503, 504]).toContain(a.status);
      expect(Date.now() - t0).toBeLessThan(15_000);
      // The worker killed at the deadline is being replaced (a Python start may itself take over 2 s
      // on a loaded machine); then valid requests are answered: no queued sleep runs its 60 s.
      let valid = await send(ports[0], 'POST', '/invocations', { contentType: 'application/json', body: body({}) });
      while (valid.status !== 200 && Date.now() - t0 < 40_000) valid = await send(ports[0], 'POST', '/invocations', { contentType: 'application/json', body: body({}) });
      expect(valid.status).toBe(200);
      expect(valid.body).toBe('{"predictions": [30.5]}');
      expect(Date.now() - t0).toBeLessThan(40_000);
    } finally {
      const exited = exitOf(child);
      child.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});

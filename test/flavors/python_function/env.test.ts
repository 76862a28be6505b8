import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { defaultEnvRoot, envFiles, envName, preparePythonEnv, readPythonEnvSpec } from '../../../src/flavors/python_function/index.js';
import { MODELS } from './helpers.js';
import { PYTHON, pythonReady, skipReason } from './python-available.js';

const onPath = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const pythonVersion = pythonReady
  ? spawnSync(PYTHON, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' }).stdout.trim()
  : '';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-pyenv-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function modelDir(name: string, files: Record<string, string>, env: string): Promise<string> {
  const dir = path.join(work, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) await writeFile(path.join(dir, f), text);
  await writeFile(path.join(dir, 'MLmodel'), `flavors:\n  python_function:\n    loader_module: custom_loader\n${env}`);
  return dir;
}

describe('python_function environment files', () => {
  const logreg = path.join(MODELS, 'iris_logreg');

  it('reads the modern {conda, virtualenv} form and the legacy conda.yaml string', () => {
    expect(envFiles(logreg, { env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' } })).toEqual({
      conda: path.join(logreg, 'conda.yaml'),
      virtualenv: path.join(logreg, 'python_env.yaml'),
    });
    expect(envFiles(logreg, { env: 'conda.yaml' })).toEqual({ conda: path.join(logreg, 'conda.yaml') });
    expect(() => envFiles(logreg, { env: '../../../etc/passwd' })).toThrow(/flavors\.python_function\.env.*outside the model directory/);
  });

  it('reads python_env.yaml with its -r requirements.txt, as MLflow 2.22.1 wrote them', async () => {
    const spec = await readPythonEnvSpec(logreg, envFiles(logreg, { env: { virtualenv: 'python_env.yaml' } }));
    expect(spec.python).toBe('3.11.2');
    expect(spec.buildDependencies).toEqual(['pip==23.0.1', 'setuptools==66.1.1', 'wheel==0.38.4']);
    expect(spec.requirements).toContain('mlflow==2.22.1');
    expect(spec.requirements).toContain('scikit-learn==1.2.1');
  });

  it('derives the same env from the legacy conda.yaml form', async () => {
    const spec = await readPythonEnvSpec(logreg, envFiles(logreg, { env: 'conda.yaml' }));
    expect(spec.python).toBe('3.11.2');
    expect(spec.buildDependencies).toEqual(['pip<=23.0.1']);
    expect(spec.requirements).toContain('scikit-learn==1.2.1');
  });

  it("reads an MLflow 1.x model's legacy `env: conda.yaml` as written", async () => {
    const dir = path.join(MODELS, 'mlflow_1x_sklearn');
    const files = envFiles(dir, { env: 'conda.yaml' });
    expect(await readPythonEnvSpec(dir, files)).toEqual({
      python: '3.10.16',
      buildDependencies: ['pip<=23.0.1'],
      requirements: ['mlflow', 'cloudpickle==2.2.1', 'scikit-learn==1.5.2'],
    });
  });

  it('keys the env cache on the content of the env files', async () => {
    const env = '    env:\n      virtualenv: python_env.yaml\n';
    const pyenv = 'python: 3.11.2\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n';
    const a = await modelDir('a', { 'python_env.yaml': pyenv, 'requirements.txt': 'numpy==1.24.2\n' }, env);
    const b = await modelDir('b', { 'python_env.yaml': pyenv, 'requirements.txt': 'numpy==1.24.2\n' }, env);
    const c = await modelDir('c', { 'python_env.yaml': pyenv, 'requirements.txt': 'numpy==1.24.3\n' }, env);
    const name = async (dir: string) => envName('virtualenv', await readPythonEnvSpec(dir, envFiles(dir, { env: { virtualenv: 'python_env.yaml' } })));
    expect(await name(a)).toBe(await name(b));
    expect(await name(a)).not.toBe(await name(c));
    expect(await name(a)).toMatch(/^virtualenv-[0-9a-f]{40}$/);
  });

  it('names the missing env file', async () => {
    const dir = await modelDir('missing', {}, '    env:\n      virtualenv: python_env.yaml\n');
    await expect(preparePythonEnv(dir, { env: { virtualenv: 'python_env.yaml' } }, 'virtualenv', { envRoot: path.join(work, 'envs') }))
      .rejects.toMatchObject({ message: expect.stringContaining(`Cannot read the python env file '${path.join(dir, 'python_env.yaml')}'`) });
  });

  it('uses MLFLOW_TS_PYTHON for envManager local', async () => {
    expect(await preparePythonEnv(logreg, {}, 'local')).toEqual({ python: PYTHON, created: false });
  });

  it.skipIf(onPath('uv'))('says uv is missing when envManager uv cannot run', async () => {
    const conf = { env: { virtualenv: 'python_env.yaml' } };
    await expect(preparePythonEnv(logreg, conf, 'uv', { envRoot: path.join(work, 'envs'), log: () => {} }))
      .rejects.toMatchObject({ message: expect.stringContaining("needs 'uv', which is not on PATH") });
  });

  it.skipIf(onPath('conda'))('says conda is missing when envManager conda cannot run', async () => {
    await expect(preparePythonEnv(logreg, { env: 'conda.yaml' }, 'conda', { envRoot: path.join(work, 'envs'), log: () => {} }))
      .rejects.toMatchObject({ message: expect.stringContaining("needs 'conda', which is not on PATH") });
  });

  it('makes envs under MLFLOW_TS_ENV_ROOT, else MLflow\'s MLFLOW_ENV_ROOT, else ~/.mlflow-ts/envs', () => {
    expect(defaultEnvRoot({ MLFLOW_TS_ENV_ROOT: '/a', MLFLOW_ENV_ROOT: '/b' })).toBe('/a');
    expect(defaultEnvRoot({ MLFLOW_ENV_ROOT: '/b' })).toBe('/b');
    expect(defaultEnvRoot({})).toBe(path.join(os.homedir(), '.mlflow-ts', 'envs'));
  });

  it('refuses extra pip requirements with envManager local, which builds nothing to install into', async () => {
    await expect(preparePythonEnv(logreg, { env: { virtualenv: 'python_env.yaml' } }, 'local', { extraRequirements: ['mlflow==2.22.1'] }))
      .rejects.toThrow(/Extra pip requirements \(mlflow==2.22.1\) need an environment to install into; envManager 'local' builds none/);
  });

  it('names the Python version it cannot find', async () => {
    const dir = await modelDir('old', { 'python_env.yaml': 'python: 2.5.0\ndependencies: []\n' }, '');
    await expect(preparePythonEnv(dir, { env: { virtualenv: 'python_env.yaml' } }, 'virtualenv', { envRoot: path.join(work, 'envs'), log: () => {} }))
      .rejects.toMatchObject({ message: expect.stringContaining("asks for Python 2.5.0, and no Python 2.5 was found") });
  });
});

describe.skipIf(!pythonReady)(`python_function virtualenv build and cache ${skipReason}`, () => {
  it('builds a virtualenv once, then reuses it (also through models prepare-env)', async () => {
    const dir = await modelDir('venv', { 'python_env.yaml': `python: ${pythonVersion}\nbuild_dependencies: []\ndependencies: []\n` }, '    env:\n      virtualenv: python_env.yaml\n');
    const conf = { env: { virtualenv: 'python_env.yaml' } };
    const envRoot = path.join(work, 'envs');
    const first = await preparePythonEnv(dir, conf, 'virtualenv', { envRoot, log: () => {} });
    expect(first.created).toBe(true);
    expect(first.python).toBe(path.join(first.envDir!, 'bin', 'python'));
    expect(spawnSync(first.python, ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).stdout.trim()).toBe(first.envDir);
    const second = await preparePythonEnv(dir, conf, 'virtualenv', { envRoot, log: () => {} });
    expect(second).toEqual({ ...first, created: false });

    // MLflow's MLFLOW_ENV_ROOT places the envs; prepare-env's default manager is serve's and predict's.
    vi.stubEnv('MLFLOW_TS_ENV_ROOT', '');
    vi.stubEnv('MLFLOW_ENV_ROOT', envRoot);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await buildProgram().parseAsync(['node', 'mlflow-ts', 'models', 'prepare-env', '-m', dir]);
      expect(out).toHaveBeenCalledWith(`${first.python}\n`);
      expect(err).toHaveBeenCalledWith(`[mlflow-ts] environment already in ${first.envDir}\n`);
    } finally {
      out.mockRestore();
      err.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(existsSync(path.join(first.envDir!, '.mlflow-ts-ready'))).toBe(true);
  }, 120_000);
});

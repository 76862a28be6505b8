import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import type { LoadOptions } from '../flavor.js';
import type { PythonEnvironment } from '../../model/index.js';
import { envFiles, envName, readEnvFile, readPythonEnvSpec } from './env-spec.js';

export type EnvManager = NonNullable<LoadOptions['envManager']>;

export interface PreparedEnv {
  /** The interpreter the worker runs with. */
  python: string;
  /** The env's directory (not for 'local'). */
  envDir?: string;
  /** false when a cached env was reused. */
  created: boolean;
}

export interface PrepareEnvOptions {
  /** Where envs are made; default MLFLOW_TS_ENV_ROOT, else MLflow's MLFLOW_ENV_ROOT, else ~/.mlflow-ts/envs. */
  envRoot?: string;
  /** Installed after the model's requirements, overriding its pins (MLflow's pip_requirements_override). */
  extraRequirements?: string[];
  /** Progress lines; default process.stderr. */
  log?: (line: string) => void;
}

const READY_MARKER = '.mlflow-ts-ready';
const OUTPUT_TAIL_LINES = 12;

/** The interpreter for envManager 'local': MLFLOW_TS_PYTHON, else python3 on PATH. */
export function localPython(): string {
  return process.env.MLFLOW_TS_PYTHON || 'python3';
}

/**
 * MLFLOW_ENV_ROOT is where MLflow makes its virtualenvs; ours live beside them under names of
 * their own ('virtualenv-<hash>', never MLflow's 'mlflow-<hash>'), as they are built differently.
 */
export function defaultEnvRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.MLFLOW_TS_ENV_ROOT || env.MLFLOW_ENV_ROOT || path.join(os.homedir(), '.mlflow-ts', 'envs');
}

interface RunResult {
  code: number | null;
  output: string;
  missing: boolean;
}

function run(cmd: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const add = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    child.on('error', (e: NodeJS.ErrnoException) => resolve({ code: null, output: e.message, missing: e.code === 'ENOENT' }));
    child.on('close', (code) => resolve({ code, output, missing: false }));
  });
}

function tail(output: string): string {
  return output.trim().split('\n').slice(-OUTPUT_TAIL_LINES).join('\n');
}

/** The X.Y.Z version of an interpreter, or undefined when it cannot run. */
export async function pythonVersion(python: string): Promise<string | undefined> {
  const r = await run(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])']);
  return r.code === 0 ? r.output.trim() : undefined;
}

/**
 * A Python of the version python_env.yaml asks for: exact if one is found, else the same
 * major.minor (MLflow installs the exact one with pyenv; we use what the machine has).
 */
async function findBasePython(version: string, file: string): Promise<string> {
  const [major, minor] = version.split('.');
  const pyenvRoot = process.env.PYENV_ROOT || path.join(os.homedir(), '.pyenv');
  const candidates = [
    path.join(pyenvRoot, 'versions', version, 'bin', 'python'),
    ...(process.env.MLFLOW_TS_PYTHON ? [process.env.MLFLOW_TS_PYTHON] : []),
    `python${major}.${minor}`,
    'python3',
  ];
  let sameMinor: string | undefined;
  for (const c of candidates) {
    const v = await pythonVersion(c);
    if (v === version) return c;
    if (!sameMinor && v && v.split('.').slice(0, 2).join('.') === `${major}.${minor}`) sameMinor = c;
  }
  if (sameMinor) return sameMinor;
  throw new MlflowError(
    `'${file}' asks for Python ${version}, and no Python ${major}.${minor} was found (tried ${candidates.join(', ')}): ` +
      `install it (e.g. pyenv install ${version}) or use envManager 'uv' or 'conda'`,
    'RESOURCE_DOES_NOT_EXIST',
  );
}

async function step(r: Promise<RunResult>, what: string, file: string, tool: string): Promise<void> {
  const res = await r;
  if (res.missing) {
    throw new MlflowError(`Building the environment for '${file}' needs '${tool}', which is not on PATH`, 'RESOURCE_DOES_NOT_EXIST');
  }
  if (res.code !== 0) {
    throw new MlflowError(
      `Could not build the environment for '${file}': ${what} failed (exit ${res.code}):\n${tail(res.output)}`,
      'INTERNAL_ERROR',
    );
  }
}

function pipCommand(envDir: string, uv: boolean): [string, string[]] {
  const python = path.join(envDir, 'bin', 'python');
  return uv ? ['uv', ['pip', 'install', '--python', python]] : [python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input']];
}

/** pip install of a list (relative paths resolve against the model dir, MLflow's cwd for this step). */
async function pipInstallList(envDir: string, reqs: string[], modelDir: string, file: string, uv: boolean, what: string): Promise<void> {
  const [tool, args] = pipCommand(envDir, uv);
  const reqFile = path.join(envDir, 'mlflow-ts-requirements.txt');
  await writeFile(reqFile, reqs.join('\n') + '\n');
  await step(run(tool, [...args, '-r', reqFile], modelDir), `installing ${what} (${reqs.join(', ')})`, file, tool);
}

async function pipInstall(envDir: string, spec: PythonEnvironment, modelDir: string, file: string, uv: boolean): Promise<void> {
  const [tool, args] = pipCommand(envDir, uv);
  if (spec.buildDependencies.length > 0) {
    await step(run(tool, [...args, ...spec.buildDependencies], modelDir),
      `installing build_dependencies (${spec.buildDependencies.join(' ')})`, file, tool);
  }
  if (spec.requirements.length > 0) await pipInstallList(envDir, spec.requirements, modelDir, file, uv, 'the requirements');
}

async function buildVirtualenv(envDir: string, spec: PythonEnvironment, modelDir: string, file: string): Promise<void> {
  const base = await findBasePython(spec.python, file);
  await step(run(base, ['-m', 'venv', envDir]), `'${base} -m venv' (Python ${spec.python})`, file, base);
  await pipInstall(envDir, spec, modelDir, file, false);
}

async function buildUv(envDir: string, spec: PythonEnvironment, modelDir: string, file: string): Promise<void> {
  await step(run('uv', ['venv', '--python', spec.python, envDir]), `'uv venv --python ${spec.python}'`, file, 'uv');
  await pipInstall(envDir, spec, modelDir, file, true);
}

async function buildConda(envDir: string, condaFile: string): Promise<void> {
  await step(run('conda', ['env', 'create', '--prefix', envDir, '--file', condaFile]),
    `'conda env create --file ${path.basename(condaFile)}'`, condaFile, 'conda');
}

/** Builds in flight, so two loads of one model in this process build its env once. */
const building = new Map<string, Promise<void>>();

/**
 * Builds in place with a marker written last, so a half-built env is never taken as ready; a
 * failed build is removed. (Two processes building the same env at once are not coordinated.)
 */
async function buildOnce(envDir: string, log: (l: string) => void, build: () => Promise<void>): Promise<boolean> {
  if (existsSync(path.join(envDir, READY_MARKER))) return false;
  let p = building.get(envDir);
  if (!p) {
    p = (async () => {
      await rm(envDir, { recursive: true, force: true });
      await mkdir(path.dirname(envDir), { recursive: true });
      log(`Creating the Python environment ${envDir}`);
      try {
        await build();
        await writeFile(path.join(envDir, READY_MARKER), new Date().toISOString());
      } catch (e) {
        await rm(envDir, { recursive: true, force: true });
        throw e;
      }
    })().finally(() => building.delete(envDir));
    building.set(envDir, p);
  }
  await p;
  return true;
}

/**
 * The Python interpreter for a python_function model under an env manager, building (and
 * caching, keyed by a hash of the env files) the environment when needed.
 */
export async function preparePythonEnv(
  modelDir: string,
  conf: Record<string, unknown>,
  manager: EnvManager,
  options: PrepareEnvOptions = {},
): Promise<PreparedEnv> {
  const extra = options.extraRequirements ?? [];
  if (manager === 'local') {
    if (extra.length > 0) {
      throw new MlflowError(
        `Extra pip requirements (${extra.join(', ')}) need an environment to install into; envManager 'local' builds none: use 'virtualenv', 'uv' or 'conda'`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    return { python: localPython(), created: false };
  }
  const log = options.log ?? ((l: string) => process.stderr.write(`[mlflow-ts] ${l}\n`));
  const root = options.envRoot ?? defaultEnvRoot();
  const files = envFiles(modelDir, conf);
  // The extras are part of the env's identity; without them the name stays what it always was.
  const keyed = (content: unknown): unknown => (extra.length > 0 ? { content, extra } : content);
  const installExtra = (envDir: string, file: string, uv: boolean): Promise<void> =>
    extra.length === 0 ? Promise.resolve() : pipInstallList(envDir, extra, modelDir, file, uv, 'the extra requirements');
  if (manager === 'conda') {
    if (!files.conda) {
      throw new MlflowError(`envManager 'conda' needs a conda env file, and the python_function flavor in ${modelDir} names none`, 'INVALID_PARAMETER_VALUE');
    }
    const condaFile = files.conda;
    const envDir = path.join(root, envName('conda', keyed(await readEnvFile(condaFile, 'the conda env file'))));
    const created = await buildOnce(envDir, log, async () => {
      await buildConda(envDir, condaFile);
      await installExtra(envDir, condaFile, false);
    });
    return { python: path.join(envDir, 'bin', 'python'), envDir, created };
  }
  const spec = await readPythonEnvSpec(modelDir, files);
  const file = files.virtualenv ?? files.conda!;
  const envDir = path.join(root, envName(manager, keyed(spec)));
  const created = await buildOnce(envDir, log, async () => {
    await (manager === 'uv' ? buildUv(envDir, spec, modelDir, file) : buildVirtualenv(envDir, spec, modelDir, file));
    await installExtra(envDir, file, manager === 'uv');
  });
  return { python: path.join(envDir, 'bin', 'python'), envDir, created };
}

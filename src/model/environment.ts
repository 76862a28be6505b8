import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { MLFLOW_COMPAT_VERSION } from '../version.js';
import { parseYaml11, stringifyYaml11 } from './yaml.js';

export const CONDA_ENV_FILE = 'conda.yaml';
export const PYTHON_ENV_FILE = 'python_env.yaml';
export const REQUIREMENTS_FILE = 'requirements.txt';

/** What MLflow records about a model's Python environment. */
export interface PythonEnvironment {
  /** e.g. '3.11.2' */
  python: string;
  /** pip requirement lines, e.g. ['mlflow==2.22.1', 'scikit-learn==1.2.1']. */
  requirements: string[];
  /** python_env.yaml build_dependencies, e.g. ['pip==23.0.1', 'setuptools==66.1.1', 'wheel==0.38.4']. */
  buildDependencies: string[];
  /** conda.yaml channels; MLflow writes ['conda-forge']. */
  channels?: string[];
}

/** A fresh environment with MLflow pinned first, as MLflow's default requirements start. */
export function defaultPythonEnvironment(python: string, extraRequirements: string[] = []): PythonEnvironment {
  return {
    python,
    requirements: [`mlflow==${MLFLOW_COMPAT_VERSION}`, ...extraRequirements],
    buildDependencies: ['pip', 'setuptools', 'wheel'],
  };
}

/** conda.yaml text: keys sorted, `pip<=X` pinned from the pip build dependency, name mlflow-env. */
export function condaYaml(env: PythonEnvironment): string {
  const pip = env.buildDependencies.find((d) => /^pip([=<>!~]|$)/.test(d));
  const pipVersion = pip?.match(/==(.+)$/)?.[1];
  const deps: unknown[] = [`python=${env.python}`, pipVersion ? `pip<=${pipVersion}` : 'pip'];
  deps.push({ pip: [...env.requirements] });
  return stringifyYaml11({ channels: env.channels ?? ['conda-forge'], dependencies: deps, name: 'mlflow-env' });
}

/** python_env.yaml text: keys in MLflow's order (python, build_dependencies, dependencies). */
export function pythonEnvYaml(env: PythonEnvironment): string {
  return stringifyYaml11(
    { python: env.python, build_dependencies: env.buildDependencies, dependencies: [`-r ${REQUIREMENTS_FILE}`] },
    { sortKeys: false },
  );
}

/** requirements.txt text: one requirement a line, no trailing newline (as MLflow writes it). */
export function requirementsTxt(env: PythonEnvironment): string {
  return env.requirements.join('\n');
}

export async function writeEnvironmentFiles(dir: string, env: PythonEnvironment): Promise<void> {
  await writeFile(path.join(dir, CONDA_ENV_FILE), condaYaml(env));
  await writeFile(path.join(dir, PYTHON_ENV_FILE), pythonEnvYaml(env));
  await writeFile(path.join(dir, REQUIREMENTS_FILE), requirementsTxt(env));
}

/** Requirement lines of a requirements.txt: comments, blank lines and trailing comments dropped. */
export function parseRequirements(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** A conda.yaml: its python version, pip requirements, conda dependencies and channels. */
export interface CondaEnv {
  name?: string;
  channels: string[];
  python?: string;
  condaDependencies: string[];
  pipRequirements: string[];
}

export function parseCondaYaml(text: string, source = CONDA_ENV_FILE): CondaEnv {
  const doc = parseYaml11(text, source);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new MlflowError(`${source}: expected a mapping`, 'INVALID_PARAMETER_VALUE');
  }
  const d = doc as Record<string, unknown>;
  const deps = d.dependencies ?? [];
  if (!Array.isArray(deps)) throw new MlflowError(`${source}: field 'dependencies' must be a list`, 'INVALID_PARAMETER_VALUE');
  const out: CondaEnv = {
    name: typeof d.name === 'string' ? d.name : undefined,
    channels: Array.isArray(d.channels) ? d.channels.map(String) : [],
    condaDependencies: [],
    pipRequirements: [],
  };
  for (const dep of deps) {
    if (typeof dep === 'string' || typeof dep === 'number') {
      const s = String(dep);
      const py = /^python\s*[=<>]*=?\s*([\d.*]+)/.exec(s);
      if (py) out.python = py[1];
      out.condaDependencies.push(s);
    } else if (dep && typeof dep === 'object' && Array.isArray((dep as { pip?: unknown }).pip)) {
      out.pipRequirements.push(...(dep as { pip: unknown[] }).pip.map(String));
    } else {
      throw new MlflowError(`${source}: field 'dependencies' holds an entry that is neither a string nor {pip: [...]}`, 'INVALID_PARAMETER_VALUE');
    }
  }
  return out;
}

/** A python_env.yaml; `dependencies` may reference requirements.txt with `-r`. */
export interface PythonEnvFile {
  python: string;
  buildDependencies: string[];
  dependencies: string[];
}

export function parsePythonEnvYaml(text: string, source = PYTHON_ENV_FILE): PythonEnvFile {
  const doc = parseYaml11(text, source);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new MlflowError(`${source}: expected a mapping`, 'INVALID_PARAMETER_VALUE');
  }
  const d = doc as Record<string, unknown>;
  if (d.python === undefined || d.python === null) {
    throw new MlflowError(`${source}: field 'python' is missing`, 'INVALID_PARAMETER_VALUE');
  }
  const list = (k: string): string[] => {
    const v = d[k] ?? [];
    if (!Array.isArray(v)) throw new MlflowError(`${source}: field '${k}' must be a list`, 'INVALID_PARAMETER_VALUE');
    return v.map(String);
  };
  return { python: String(d.python), buildDependencies: list('build_dependencies'), dependencies: list('dependencies') };
}

/**
 * A model directory's Python environment from python_env.yaml + requirements.txt, else from
 * conda.yaml (older models), as MLflow's env managers read them. Undefined when neither exists.
 */
export async function readPythonEnvironment(modelDir: string): Promise<PythonEnvironment | undefined> {
  const read = (name: string): Promise<string | undefined> =>
    readFile(path.join(modelDir, name), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
  const pyText = await read(PYTHON_ENV_FILE);
  if (pyText !== undefined) {
    const py = parsePythonEnvYaml(pyText, path.join(modelDir, PYTHON_ENV_FILE));
    const requirements: string[] = [];
    for (const dep of py.dependencies) {
      const ref = /^-r\s+(.+)$/.exec(dep);
      if (!ref) {
        requirements.push(dep);
        continue;
      }
      const file = ref[1].trim();
      if (path.isAbsolute(file) || file.split(/[\\/]/).includes('..')) {
        throw new MlflowError(`${PYTHON_ENV_FILE}: '-r ${file}' must name a file inside the model directory`, 'INVALID_PARAMETER_VALUE');
      }
      const reqText = await read(file);
      if (reqText === undefined) {
        throw new MlflowError(`${PYTHON_ENV_FILE} references '${file}', which is missing from the model directory`, 'RESOURCE_DOES_NOT_EXIST');
      }
      requirements.push(...parseRequirements(reqText));
    }
    return { python: py.python, requirements, buildDependencies: py.buildDependencies };
  }
  const condaText = await read(CONDA_ENV_FILE);
  if (condaText === undefined) return undefined;
  const conda = parseCondaYaml(condaText, path.join(modelDir, CONDA_ENV_FILE));
  if (!conda.python) {
    throw new MlflowError(`${CONDA_ENV_FILE}: no python=<version> dependency`, 'INVALID_PARAMETER_VALUE');
  }
  const pip = conda.condaDependencies.find((d) => /^pip\b/.test(d));
  const pipVersion = pip?.match(/[<=]=?\s*([\d.]+)/)?.[1];
  return {
    python: conda.python,
    requirements: conda.pipRequirements,
    buildDependencies: [pipVersion ? `pip==${pipVersion}` : 'pip', 'setuptools', 'wheel'],
    channels: conda.channels,
  };
}

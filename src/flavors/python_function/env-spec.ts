import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import { parseCondaYaml, parsePythonEnvYaml, parseRequirements, resolveInside, type PythonEnvironment } from '../../model/index.js';

/** The env files a python_function section names, as absolute paths inside the model dir. */
export interface EnvFiles {
  conda?: string;
  virtualenv?: string;
}

/**
 * Reads `env` from the python_function section: the modern `{conda, virtualenv}` form or the
 * legacy string naming a conda.yaml.
 */
export function envFiles(modelDir: string, conf: Record<string, unknown>): EnvFiles {
  const env = conf.env;
  if (typeof env === 'string') return { conda: resolveInside(modelDir, env, 'flavors.python_function.env') };
  if (env && typeof env === 'object' && !Array.isArray(env)) {
    const e = env as Record<string, unknown>;
    const out: EnvFiles = {};
    if (typeof e.conda === 'string') out.conda = resolveInside(modelDir, e.conda, 'flavors.python_function.env.conda');
    if (typeof e.virtualenv === 'string') {
      out.virtualenv = resolveInside(modelDir, e.virtualenv, 'flavors.python_function.env.virtualenv');
    }
    return out;
  }
  return {};
}

/** An env file's text; a missing or unreadable one is an error naming it. */
export async function readEnvFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new MlflowError(`Cannot read ${what} '${file}': ${(e as Error).message}`, 'RESOURCE_DOES_NOT_EXIST');
  }
}

/**
 * What a virtualenv (or uv) env is built from: python_env.yaml with its '-r' files read in, else
 * the conda.yaml's python version and pip list, as MLflow's virtualenv manager derives them.
 */
export async function readPythonEnvSpec(modelDir: string, files: EnvFiles): Promise<PythonEnvironment> {
  if (files.virtualenv) {
    const file = files.virtualenv;
    const env = parsePythonEnvYaml(await readEnvFile(file, 'the python env file'), file);
    const requirements: string[] = [];
    for (const dep of env.dependencies) {
      const ref = /^(?:-r|--requirement)[\s=]+(.+)$/.exec(dep.trim());
      if (!ref) {
        requirements.push(dep);
        continue;
      }
      const req = resolveInside(path.dirname(file), ref[1].trim(), `dependencies of ${path.basename(file)}`);
      requirements.push(...parseRequirements(await readEnvFile(req, `the requirements file named in '${file}'`)));
    }
    return { python: env.python, buildDependencies: env.buildDependencies, requirements };
  }
  if (files.conda) {
    const file = files.conda;
    const conda = parseCondaYaml(await readEnvFile(file, 'the conda env file'), file);
    if (!conda.python) throw new MlflowError(`'${file}' names no python version (a 'python=X.Y' dependency)`, 'INVALID_PARAMETER_VALUE');
    const build = conda.condaDependencies
      .filter((d) => /^(pip|setuptools|wheel)\b/.test(d))
      .map((d) => d.replace(/^(\w+)\s*=(?!=)/, '$1=='));
    return { python: conda.python, buildDependencies: build, requirements: conda.pipRequirements };
  }
  throw new MlflowError(
    `The python_function flavor in ${path.join(modelDir, 'MLmodel')} names no environment file ('env'); ` +
      "use envManager 'local'",
    'INVALID_PARAMETER_VALUE',
  );
}

/** The cache key of an env: the same env files always give the same name, any change a new one. */
export function envName(manager: string, content: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(content)).digest('hex');
  return `${manager}-${hash.slice(0, 40)}`;
}

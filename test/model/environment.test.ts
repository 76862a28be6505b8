import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  condaYaml, defaultPythonEnvironment, parseCondaYaml, parsePythonEnvYaml, parseRequirements, pythonEnvYaml, readPythonEnvironment,
  requirementsTxt,
} from '../../src/model/index.js';
import { MODELS_DIR } from './helpers.js';

const dir = path.join(MODELS_DIR, 'iris_logreg');
const read = (f: string): Promise<string> => readFile(path.join(dir, f), 'utf8');

describe('environment files in MLflow 2.22.1 formats', () => {
  it('reads a model environment and writes the three files byte for byte', async () => {
    const env = (await readPythonEnvironment(dir))!;
    expect(env.python).toBe('3.11.2');
    expect(env.buildDependencies).toEqual(['pip==23.0.1', 'setuptools==66.1.1', 'wheel==0.38.4']);
    expect(env.requirements[0]).toBe('mlflow==2.22.1');
    expect(env.requirements).toContain('scikit-learn==1.2.1');
    expect(condaYaml(env)).toBe(await read('conda.yaml'));
    expect(pythonEnvYaml(env)).toBe(await read('python_env.yaml'));
    expect(requirementsTxt(env)).toBe(await read('requirements.txt'));
  });

  it('parses each file on its own', async () => {
    const conda = parseCondaYaml(await read('conda.yaml'));
    expect(conda).toMatchObject({ name: 'mlflow-env', channels: ['conda-forge'], python: '3.11.2' });
    expect(conda.condaDependencies).toEqual(['python=3.11.2', 'pip<=23.0.1']);
    expect(parsePythonEnvYaml(await read('python_env.yaml')).dependencies).toEqual(['-r requirements.txt']);
    expect(parseRequirements('# c\nnumpy==1.26 # pinned\n\n-r other.txt\n')).toEqual(['numpy==1.26', '-r other.txt']);
  });

  it('reads an MLflow 1.x model, and falls back to conda.yaml when python_env.yaml is missing', async () => {
    const old = path.join(MODELS_DIR, 'mlflow_1x_sklearn');
    expect(await readPythonEnvironment(old)).toEqual({
      python: '3.10.16',
      requirements: ['mlflow', 'cloudpickle==2.2.1', 'scikit-learn==1.5.2'],
      buildDependencies: ['pip==23.0.1', 'setuptools==58.1.0', 'wheel==0.42.0'],
    });
    const condaOnly = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-env-'));
    await copyFile(path.join(old, 'conda.yaml'), path.join(condaOnly, 'conda.yaml'));
    expect(await readPythonEnvironment(condaOnly)).toEqual({
      python: '3.10.16',
      requirements: ['mlflow', 'cloudpickle==2.2.1', 'scikit-learn==1.5.2'],
      buildDependencies: ['pip==23.0.1', 'setuptools', 'wheel'],
      channels: ['conda-forge'],
    });
    expect(await readPythonEnvironment(await mkdtemp(path.join(tmpdir(), 'mlflow-ts-env-')))).toBeUndefined();
  });

  it('writes a default environment', async () => {
    const env = defaultPythonEnvironment('3.10.16', ['scikit-learn==1.5.2']);
    expect(env.requirements).toEqual(['mlflow==2.22.1', 'scikit-learn==1.5.2']);
    expect(condaYaml(env)).toBe(
      'channels:\n- conda-forge\ndependencies:\n- python=3.10.16\n- pip\n- pip:\n  - mlflow==2.22.1\n  - scikit-learn==1.5.2\nname: mlflow-env\n',
    );
  });

  it('names the file of a bad environment', () => {
    expect(() => parsePythonEnvYaml('build_dependencies: []\n', 'm/python_env.yaml')).toThrow("m/python_env.yaml: field 'python' is missing");
    expect(() => parseCondaYaml('dependencies: {a: 1}\n', 'm/conda.yaml')).toThrow("m/conda.yaml: field 'dependencies' must be a list");
  });
});

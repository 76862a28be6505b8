import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { Model, flavorFilePath, flavorPath, resolveInside } from '../../src/model/index.js';

let root: string;
let modelDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-paths-'));
  modelDir = path.join(root, 'model');
  await mkdir(path.join(modelDir, 'data'), { recursive: true });
  await writeFile(path.join(modelDir, 'data', 'model.pkl'), 'x');
  await writeFile(path.join(root, 'secret.txt'), 'secret');
  await symlink(path.join(root, 'secret.txt'), path.join(modelDir, 'escape.pkl'));
  await symlink(root, path.join(modelDir, 'outdir'));
  await symlink(path.join(modelDir, 'data', 'model.pkl'), path.join(modelDir, 'inside.pkl'));
});

function refused(rel: string, field: string): string {
  try {
    resolveInside(modelDir, rel, field);
  } catch (e) {
    expect(e).toBeInstanceOf(MlflowError);
    expect((e as Error).message).toContain(`'${field}'`);
    return (e as Error).message;
  }
  throw new Error(`'${rel}' was accepted`);
}

describe('resolveInside', () => {
  it('accepts paths inside the model directory, including links that stay inside and files not yet written', () => {
    expect(resolveInside(modelDir, 'data/model.pkl', 'flavors.sklearn.pickled_model')).toBe(path.join(modelDir, 'data', 'model.pkl'));
    expect(resolveInside(modelDir, './data/../data/model.pkl', 'f')).toBe(path.join(modelDir, 'data', 'model.pkl'));
    expect(resolveInside(modelDir, 'inside.pkl', 'f')).toBe(path.join(modelDir, 'inside.pkl'));
    expect(resolveInside(modelDir, 'new/file.bin', 'f')).toBe(path.join(modelDir, 'new', 'file.bin'));
    expect(resolveInside(modelDir, '..data', 'f')).toBe(path.join(modelDir, '..data'));
  });

  it('refuses ../, absolute paths and escaping symlinks, naming the field', () => {
    expect(refused('../../x', 'flavors.python_function.data')).toContain('points outside the model directory');
    expect(refused('data/../../secret.txt', 'flavors.sklearn.pickled_model')).toContain('outside');
    expect(refused('/etc/passwd', 'flavors.onnx.data')).toContain('absolute path');
    expect(refused('C:\\Windows\\x', 'flavors.onnx.data')).toContain('absolute path');
    expect(refused('escape.pkl', 'flavors.sklearn.pickled_model')).toContain('symlink');
    expect(refused('outdir/secret.txt', 'flavors.tensorflow.saved_model_dir')).toContain('symlink');
    expect(refused('', 'flavors.x.code')).toContain('non-empty');
  });

  it('flavorPath reads the field from a flavor conf', () => {
    expect(flavorPath(modelDir, { pickled_model: 'data/model.pkl' }, 'sklearn', 'pickled_model')).toBe(path.join(modelDir, 'data', 'model.pkl'));
    expect(() => flavorPath(modelDir, { data: '../../x' }, 'python_function', 'data')).toThrow("Field 'flavors.python_function.data'");
    expect(() => flavorPath(modelDir, {}, 'sklearn', 'pickled_model')).toThrow("'flavors.sklearn.pickled_model' is missing");
  });
});

describe('a file field that names a folder (issue #18)', () => {
  it('`pickled_model: .` is read as the path ".", as PyYAML reads it, and named as the model folder itself', async () => {
    const dir = path.join(root, 'dot');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'MLmodel'), 'flavors:\n  sklearn:\n    pickled_model: .\n    other: 1e5\n');
    const conf = (await Model.load(dir)).flavors.sklearn;
    // PyYAML: '.' and '1e5' (no dot, no exponent sign) are strings.
    expect(conf).toEqual({ pickled_model: '.', other: '1e5' });
    expect(() => flavorFilePath(dir, conf, 'sklearn', 'pickled_model')).toThrow("Field 'flavors.sklearn.pickled_model' ('.') names the model folder itself, not a file");
    expect(() => flavorFilePath(modelDir, { data: 'data' }, 'onnx', 'data')).toThrow("Field 'flavors.onnx.data' ('data') names a folder, not a file");
    expect(flavorFilePath(modelDir, { data: 'data/model.pkl' }, 'onnx', 'data')).toBe(path.join(modelDir, 'data', 'model.pkl'));
  });
});

describe('Model.load refuses flavors that point outside the model directory', () => {
  const mlmodel = async (name: string, flavors: string): Promise<string> => {
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'MLmodel'), `flavors:\n${flavors}`);
    return dir;
  };

  it('names the field at fault', async () => {
    const cases: [string, string, string][] = [
      ['up', '  python_function:\n    data: ../../x\n', 'flavors.python_function.data'],
      ['abs', '  sklearn:\n    pickled_model: /etc/passwd\n', 'flavors.sklearn.pickled_model'],
      ['env', '  python_function:\n    env:\n      conda: ../conda.yaml\n', 'flavors.python_function.env.conda'],
      ['art', '  python_function:\n    artifacts:\n      w:\n        path: /tmp/w\n        uri: /tmp/w\n', 'flavors.python_function.artifacts.w.path'],
    ];
    for (const [name, flavors, field] of cases) {
      await expect(Model.load(await mlmodel(name, flavors))).rejects.toThrow(`Field '${field}'`);
    }
    await mkdir(path.join(root, 'linked'), { recursive: true });
    await symlink(root, path.join(root, 'linked', 'up'));
    await writeFile(path.join(root, 'linked', 'MLmodel'), 'flavors:\n  tensorflow:\n    saved_model_dir: up/model\n');
    await expect(Model.load(path.join(root, 'linked'))).rejects.toThrow("Field 'flavors.tensorflow.saved_model_dir'");
  });

  it('accepts absolute paths in fields MLflow never reads from the model directory (langchain)', async () => {
    const dir = await mlmodel('lc', '  langchain:\n    model_code_path: /tmp/lc_model.py\n    config: /Workspace/config.yml\n');
    expect((await Model.load(dir)).flavors.langchain.config).toBe('/Workspace/config.yml');
  });
});

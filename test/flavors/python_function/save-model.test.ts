import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../../src/flavors/python_function/index.js';
import { overriddenModelConfig } from '../../../src/flavors/python_function/load.js';
import { Model, ModelSignature } from '../../../src/model/index.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { CUSTOM_LOADER } from './custom-model.js';
import { floatFrame, toNested } from './helpers.js';
import { pythonReady, skipReason } from './python-available.js';

let work: string;
let src: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-pyfunc-save-'));
  src = path.join(work, 'src');
  await mkdir(path.join(src, 'helpers'), { recursive: true });
  await mkdir(path.join(src, 'assets'));
  await writeFile(path.join(src, 'custom_loader.py'), CUSTOM_LOADER);
  await writeFile(path.join(src, 'helpers', 'scaling.py'), 'def scale(x):\n    return x * 10\n');
  await writeFile(path.join(src, 'assets', 'offset.txt'), '1.5');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('pythonFunction.saveModel', () => {
  it('writes the layout mlflow.pyfunc.save_model writes for a loader_module model', async () => {
    const dir = path.join(work, 'model');
    await saveModel(dir, {
      loaderModule: 'custom_loader',
      code: [path.join(src, 'custom_loader.py'), path.join(src, 'helpers')],
      data: path.join(src, 'assets'),
      env: { python: '3.11.2', requirements: ['numpy==1.24.2', 'pandas==1.5.3'] },
      modelConfig: { threshold: 0.5 },
    });
    expect((await readdir(dir)).sort()).toEqual(['MLmodel', 'code', 'conda.yaml', 'data', 'python_env.yaml', 'requirements.txt']);
    expect((await readdir(path.join(dir, 'code'))).sort()).toEqual(['custom_loader.py', 'helpers']);
    expect(await readFile(path.join(dir, 'data', 'assets', 'offset.txt'), 'utf8')).toBe('1.5');
    const model = await Model.load(dir);
    expect(model.flavors.python_function).toEqual({
      loader_module: 'custom_loader',
      python_version: '3.11.2',
      env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
      code: 'code',
      data: 'data/assets',
      config: { threshold: 0.5 },
    });
    expect(model.mlflowVersion).toBe('2.22.1');
    // MLflow adds its own requirement first when the list has none.
    expect(await readFile(path.join(dir, 'requirements.txt'), 'utf8')).toBe('mlflow==2.22.1\nnumpy==1.24.2\npandas==1.5.3');
    expect(await readFile(path.join(dir, 'python_env.yaml'), 'utf8')).toBe(
      'python: 3.11.2\nbuild_dependencies:\n- pip\n- setuptools\n- wheel\ndependencies:\n- -r requirements.txt\n',
    );
  });

  it('refuses a loaderModule that is not a Python module name', async () => {
    await expect(saveModel(path.join(work, 'bad'), { loaderModule: '../evil', env: { python: '3.11.2' } })).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
    });
  });

  it.skipIf(!pythonReady)(`saves a model the bridge loads and scores with its model_config ${skipReason}`, async () => {
    const dir = path.join(work, 'model2');
    await saveModel(dir, {
      loaderModule: 'custom_loader',
      code: [path.join(src, 'custom_loader.py'), path.join(src, 'helpers')],
      data: path.join(src, 'assets'),
      modelConfig: { threshold: 0.5 },
      signature: ModelSignature.fromDict({
        inputs: null,
        outputs: '[{"type": "double", "required": true}]',
        params: '[{"name": "mode", "type": "string", "default": "sum", "shape": null}]',
      }),
    });
    // The default python version is the local interpreter's (MLFLOW_TS_PYTHON).
    expect((await Model.load(dir)).flavors.python_function.python_version).toMatch(/^3\.\d+\.\d+$/);
    const predictor = await loadPredictor(dir, { runtime: 'python', workers: 1 });
    try {
      const out = await predictor.predict(floatFrame(['a', 'b'], [[1, 2]]));
      expect(toNested(out)).toEqual([31.5]);
      expect(await predictor.predict(floatFrame(['a'], [[1]]), { mode: 'config' })).toEqual({ threshold: 0.5 });
    } finally {
      await predictor.close();
    }
    // SERVING_MODEL_CONFIG / load_model(model_config=...): saved keys overridden, new ones ignored (MLflow's rule).
    const warnings: string[] = [];
    expect(overriddenModelConfig({ threshold: 0.5 }, { threshold: 0.9, extra: 1 }, {}, (w) => warnings.push(w))).toEqual({ threshold: 0.9 });
    expect(warnings).toEqual(['WARNING: Argument(s) extra were ignored since they are not valid keys in the corresponding section of the ``pyfunc`` flavor. Valid keys are threshold']);
    const overridden = await loadPredictor(dir, { runtime: 'python', workers: 1, modelConfig: { threshold: 0.9 } });
    try {
      expect(await overridden.predict(floatFrame(['a'], [[1]]), { mode: 'config' })).toEqual({ threshold: 0.9 });
    } finally {
      await overridden.close();
    }
  });
});

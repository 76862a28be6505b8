import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Frame } from '../../../src/frame/frame.js';
import type { Tensor } from '../../../src/frame/tensor.js';
import { saveModel } from '../../../src/flavors/js_function/index.js';
import { Model, ModelSignature, Schema } from '../../../src/model/index.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';

const EXAMPLE = join(import.meta.dirname, '../../../examples/iris-js');
const NAMES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

describe('js_function saveModel', () => {
  it('writes code, data, MLmodel and input example that loadPredictor scores', async () => {
    const example = (await Model.load(EXAMPLE)).signature as ModelSignature;
    const dir = join(mkdtempSync(join(tmpdir(), 'mlflow-ts-js-save-')), 'model');
    const rows = [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3]];
    const input = new Frame(
      NAMES.map((name, j) => ({ name, data: { kind: 'number', dtype: 'float64', values: Float64Array.from(rows, (r) => r[j]) } })),
    );
    await saveModel(dir, {
      loaderModule: 'iris_loader.mjs',
      code: join(EXAMPLE, 'code', 'iris_loader.mjs'),
      data: join(EXAMPLE, 'data'),
      env: join(EXAMPLE, 'package.json'),
      nodeVersion: '>=20',
      signature: new ModelSignature(example.inputs, Schema.fromJson('[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]')),
      inputExample: input,
    });

    const mlmodel = readFileSync(join(dir, 'MLmodel'), 'utf8');
    expect(mlmodel).toContain('js_function:');
    expect(mlmodel).not.toContain('python_function');
    const saved = await Model.load(dir);
    expect(saved.flavors.js_function).toEqual({
      loader_module: 'iris_loader.mjs',
      code: 'code',
      data: 'data/data',
      env: 'package.json',
      node_version: '>=20',
    });
    expect(existsSync(join(dir, 'code', 'iris_loader.mjs'))).toBe(true);
    expect(existsSync(join(dir, 'data', 'data', 'coefficients.json'))).toBe(true);
    expect(saved.savedInputExampleInfo?.artifact_path).toBe('input_example.json');

    const p = await loadPredictor(dir);
    const out = (await p.predict(input)) as Tensor;
    expect(Array.from(out.data as Float64Array)).toEqual([0, 1, 2]);
  });

  it('refuses to write into a non-empty directory', async () => {
    await expect(saveModel(EXAMPLE, { loaderModule: 'x.mjs' })).rejects.toThrow(/already exists and is not empty/);
  });
});

import { copyFile, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { Frame } from '../../src/frame/frame.js';
import { makeTensor, type Tensor } from '../../src/frame/tensor.js';
import { Model, inferSignature, readPythonEnvironment, totalFileSize } from '../../src/model/index.js';
import { MODELS_DIR } from './helpers.js';

const IRIS_COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const IRIS_ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [4.9, 3.0, 1.4, 0.2],
  [4.7, 3.2, 1.3, 0.2],
];

function irisFrame(): Frame {
  return new Frame(
    IRIS_COLUMNS.map((name, j) => ({
      name,
      data: { kind: 'number' as const, dtype: 'float64' as const, values: Float64Array.from(IRIS_ROWS.map((r) => r[j])) },
    })),
  );
}

const irisTensor = (): Tensor => makeTensor({ dtype: 'float64', shape: [3, 4], data: Float64Array.from(IRIS_ROWS.flat()) });
const labels = (): Tensor => makeTensor({ dtype: 'int64', shape: [3], data: Float64Array.from([0, 0, 0]) });

/** The two flavors mlflow.sklearn.save_model writes. */
function sklearnModel(model: Model): Model {
  return model
    .addFlavor('python_function', {
      env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
      loader_module: 'mlflow.sklearn',
      model_path: 'model.pkl',
      predict_fn: 'predict',
      python_version: '3.11.2',
    })
    .addFlavor('sklearn', { code: null, pickled_model: 'model.pkl', serialization_format: 'cloudpickle', sklearn_version: '1.2.1' });
}

async function tmp(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'mlflow-ts-save-'));
}

async function saveLike(reference: string, input: Frame | Tensor, out: string): Promise<void> {
  const model = sklearnModel(new Model({ signature: inferSignature(input, labels()) }));
  const environment = await readPythonEnvironment(reference);
  await model.save(out, {
    inputExample: input,
    environment,
    writeFiles: (dir) => copyFile(path.join(reference, 'model.pkl'), path.join(dir, 'model.pkl')),
  });
}

/** MLmodel text without the two fields that differ on every save. */
const stable = (text: string): string => text.replace(/^model_uuid: .*$/m, '').replace(/^utc_time_created: .*$/m, '');

describe('Model.save writes what mlflow.sklearn.save_model 2.22.1 writes', () => {
  for (const [name, input] of [
    ['iris_logreg', irisFrame],
    ['iris_logreg_numpy', irisTensor],
  ] as const) {
    it(`${name}: same files, same bytes, same MLmodel (ids and times aside)`, async () => {
      const reference = path.join(MODELS_DIR, name);
      const out = path.join(await tmp(), 'model');
      await saveLike(reference, input(), out);
      expect((await readdir(out)).sort()).toEqual((await readdir(reference)).sort());
      for (const f of await readdir(reference)) {
        const ours = await readFile(path.join(out, f), 'utf8');
        const theirs = await readFile(path.join(reference, f), 'utf8');
        if (f === 'MLmodel') expect(stable(ours), f).toBe(stable(theirs));
        else if (f !== 'model.pkl') expect(ours, f).toBe(theirs);
      }
      const [a, b] = await Promise.all([Model.load(out), Model.load(reference)]);
      expect(a.modelSizeBytes).toBe(b.modelSizeBytes);
      expect(a.savedInputExampleInfo).toEqual(b.savedInputExampleInfo);
      expect(a.signature?.toDict()).toEqual(b.signature?.toDict());
    });
  }

  it('model_size_bytes counts the files MLflow counts (not MLmodel nor the environment files)', async () => {
    const reference = path.join(MODELS_DIR, 'diabetes_linreg');
    const sizes = await Promise.all(
      ['model.pkl', 'input_example.json', 'serving_input_example.json'].map(async (f) => (await readFile(path.join(reference, f))).length),
    );
    expect(sizes.reduce((x, y) => x + y, 0)).toBe((await Model.load(reference)).modelSizeBytes);
  });
});

describe('Model.save is atomic and refuses to overwrite', () => {
  const model = (): Model => sklearnModel(new Model());

  it('refuses an existing non-empty directory, as MLflow does', async () => {
    const out = await tmp();
    await writeFile(path.join(out, 'keep.txt'), 'x');
    const err = await model().save(out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).errorCode).toBe('RESOURCE_ALREADY_EXISTS');
    expect((err as Error).message).toBe(`Path '${out}' already exists and is not empty`);
    expect(await readdir(out)).toEqual(['keep.txt']);
  });

  it('fills an existing empty directory', async () => {
    const out = await tmp();
    await model().save(out);
    expect(await readdir(out)).toEqual(['MLmodel']);
  });

  it('a failed save leaves no directory behind', async () => {
    const parent = await tmp();
    const out = path.join(parent, 'model');
    const err = await model()
      .save(out, {
        writeFiles: async (dir) => {
          await writeFile(path.join(dir, 'half.bin'), 'partial');
          throw new Error('disk full');
        },
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain('disk full');
    expect(await readdir(parent)).toEqual([]);
  });

  it('refuses a model without flavors', async () => {
    const out = path.join(await tmp(), 'm');
    await expect(new Model().save(out)).rejects.toThrow(/no flavors/);
  });
});

describe('totalFileSize', () => {
  it('sums files in subdirectories and does not follow symlinks', async () => {
    const dir = await tmp();
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'a'), '12345');
    await writeFile(path.join(dir, 'sub', 'b'), '123');
    await symlink('/etc/passwd', path.join(dir, 'link'));
    expect(await totalFileSize(dir)).toBe(8);
  });
});

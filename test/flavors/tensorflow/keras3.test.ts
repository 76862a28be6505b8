import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKerasArchive } from '../../../src/flavors/tensorflow/keras3/index.js';
import { kerasFlavorModel } from '../../../src/flavors/tensorflow/keras-predictor.js';
import { MlflowError } from '../../../src/errors.js';
import { Frame, isFrame } from '../../../src/frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/keras3');
const open: Predictor[] = [];
afterAll(async () => {
  for (const p of open) await p.close();
});

interface Recorded {
  inputs: Record<string, { shape: number[]; data: number[] }>;
  output: { shape: number[]; data: number[] };
}

async function expected(name: string): Promise<Recorded> {
  const all = JSON.parse(await readFile(path.join(DIR, 'expected.json'), 'utf8')) as Record<string, Recorded>;
  return all[name];
}

function input(r: Recorded, name: string): Tensor {
  const { shape, data } = r.inputs[name];
  const ints = data.every((v) => Number.isInteger(v)) && name === 'input_layer' && shape.length === 2 && shape[1] === 6;
  return ints
    ? makeTensor({ dtype: 'int32', shape, data: Int32Array.from(data) })
    : makeTensor({ dtype: 'float32', shape, data: Float32Array.from(data) });
}

function expectClose(got: unknown, want: Recorded['output']): void {
  if (!isTensor(got)) throw new Error('expected a tensor');
  expect(got.shape).toEqual(want.shape);
  const data = got.data as Float32Array;
  want.data.forEach((v, i) => expect(Math.abs(data[i] - v)).toBeLessThan(1e-5));
}

async function refusal(p: Promise<unknown>): Promise<MlflowError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof MlflowError)) throw new Error(`expected an MlflowError, got ${String(err)}`);
  return err;
}

describe('Keras 3 .keras archives (synthetic, in Keras 3.5 saving_lib format; numpy forward pass)', () => {
  it.each([
    ['mlp', ['input_layer']],
    ['cnn', ['input_layer']],
    ['conv1d', ['input_layer']],
    ['rnn', ['input_layer']],
    ['text', ['input_layer']],
    ['keras_2_13', ['dense_input']],
    ['no_input_layer', ['input']],
    ['nested', ['features']],
  ])('%s.keras predicts what numpy computed', async (name, inputs) => {
    const r = await expected(name);
    const model = await kerasFlavorModel(await loadKerasArchive(path.join(DIR, `${name}.keras`)));
    try {
      expectClose(await model.predict(input(r, inputs[0])), r.output);
    } finally {
      await model.close?.();
    }
  });

  it('a Functional model with two inputs, Concatenate and Add takes named tensors', async () => {
    const r = await expected('two_inputs');
    const model = await kerasFlavorModel(await loadKerasArchive(path.join(DIR, 'two_inputs.keras')));
    try {
      expectClose(await model.predict({ input_a: input(r, 'input_a'), input_b: input(r, 'input_b') }), r.output);
    } finally {
      await model.close?.();
    }
  });
});

describe('MLflow models around Keras 3 archives', () => {
  it('loads an mlflow.keras (Keras 3) model from data/model.keras', async () => {
    const r = await expected('mlp');
    const p = await loadPredictor(path.join(DIR, 'mlflow_keras3_mlp'), { runtime: 'native' });
    open.push(p);
    expectClose(await p.predict(input(r, 'input_layer')), r.output);
    // Its tensor signature turns a table into one [rows, 4] tensor first, so the answer is a
    // tensor, as MLflow's _enforce_schema + KerasModelWrapper give an ndarray.
    expectClose(await p.predict(mlpFrame(r)), r.output);
  });

  it('a table in gives a table out when nothing converts it first: columns 0..n-1, as pandas.DataFrame(model.predict(df.values))', async () => {
    const r = await expected('mlp');
    const model = await kerasFlavorModel(await loadKerasArchive(path.join(DIR, 'mlp.keras')));
    try {
      const out = await model.predict(mlpFrame(r));
      if (!isFrame(out)) throw new Error('expected a table');
      expect(out.columns.map((c) => c.name)).toEqual(['0', '1', '2']);
      out.columns.forEach((c, j) => {
        const values = (c.data as { values: Float32Array }).values;
        values.forEach((v, i) => expect(Math.abs(v - r.output.data[i * 3 + j])).toBeLessThan(1e-5));
      });
    } finally {
      await model.close?.();
    }
  });

  it('loads an mlflow.tensorflow model saved with TensorFlow >= 2.16 (save_format tf, data/model.keras is a zip)', async () => {
    const r = await expected('cnn');
    const p = await loadPredictor(path.join(DIR, 'mlflow_tensorflow_tf216_cnn'), { runtime: 'native' });
    open.push(p);
    expectClose(await p.predict(input(r, 'input_layer')), r.output);
  });
  it('an mlflow.keras model saved with save_exported_model loads data/model as a SavedModel', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keras3-exported-'));
    try {
      // Any SavedModel stands in for keras.export.ExportArchive's output (serving_default = serve).
      await cp(path.join(DIR, '../models/times_three_float/tf2model'), path.join(dir, 'data', 'model'), { recursive: true });
      await writeFile(path.join(dir, 'data', 'keras_module.txt'), 'keras');
      await writeFile(
        path.join(dir, 'MLmodel'),
        'flavors:\n  keras:\n    data: data\n    keras_backend: tensorflow\n    keras_version: 3.5.0\n    save_exported_model: true\n' +
          '  python_function:\n    loader_module: mlflow.keras\n    python_version: 3.11.9\nmlflow_version: 2.16.0\n',
      );
      const p = await loadPredictor(dir, { runtime: 'native' });
      try {
        const out = await p.predict(makeTensor({ dtype: 'float32', shape: [3], data: Float32Array.from([1, 2, 3]) }));
        if (!isTensor(out)) throw new Error('expected a tensor');
        expect(Array.from(out.data as Float32Array)).toEqual([3, 6, 9]);
      } finally {
        await p.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an mlflow.keras model whose data/model.keras is missing is refused naming the file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keras3-missing-'));
    try {
      await writeFile(path.join(dir, 'MLmodel'), 'flavors:\n  keras:\n    data: data\n    keras_version: 3.5.0\n    save_exported_model: false\n');
      const err = await refusal(loadPredictor(dir, { runtime: 'native' }));
      expect(err.message).toBe(`Keras model file ${path.join('data', 'model.keras')} does not exist`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Keras 3 archives that cannot load natively are refused at load time', () => {
  it('names a Lambda layer', async () => {
    const err = await refusal(loadKerasArchive(path.join(DIR, 'lambda.keras')));
    expect(err.errorCode).toBe('NOT_IMPLEMENTED');
    expect(err.message).toMatch(/lambda\.keras: layer 'lambda' is a Lambda layer/);
  });

  it('lists every unsupported layer class by name', async () => {
    const err = await refusal(loadKerasArchive(path.join(DIR, 'unsupported.keras')));
    expect(err.errorCode).toBe('NOT_IMPLEMENTED');
    expect(err.message).toContain('unsupported.keras: layers not supported natively: ScaleByTwo (\'scale_by_two\'), UnitNormalization (\'unit_normalization\')');
  });

  it('names the file of a corrupt zip, of a zip without model.weights.h5, and of one with broken weights', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keras3-'));
    try {
      const good = await readFile(path.join(DIR, 'mlp.keras'));
      const truncated = path.join(dir, 'truncated.keras');
      await writeFile(truncated, good.subarray(0, 600));
      let err = await refusal(loadKerasArchive(truncated));
      expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect(err.message).toContain(`${truncated} is not a readable Keras archive`);

      const enc = new TextEncoder();
      const config = JSON.stringify({ class_name: 'Sequential', config: { layers: [] } });
      const noWeights = path.join(dir, 'no_weights.keras');
      await writeFile(noWeights, zipSync({ 'metadata.json': enc.encode('{"keras_version": "3.5.0"}'), 'config.json': enc.encode(config) }));
      err = await refusal(loadKerasArchive(noWeights));
      expect(err.message).toBe(`${noWeights} has no model.weights.h5: the archive is incomplete`);

      const badWeights = path.join(dir, 'bad_weights.keras');
      const mlpConfig = JSON.stringify((await expectedConfig('mlp.keras')));
      await writeFile(badWeights, zipSync({ 'config.json': enc.encode(mlpConfig), 'model.weights.h5': enc.encode('not hdf5') }));
      err = await refusal(loadKerasArchive(badWeights));
      expect(err.message).toContain(`${badWeights}: model.weights.h5 cannot be read`);

      const notZip = path.join(dir, 'text.keras');
      await writeFile(notZip, 'hello');
      err = await refusal(loadKerasArchive(notZip));
      expect(err.message).toBe(`${notZip} is neither a Keras zip archive nor an HDF5 file`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The mlp's recorded input as a four-column table. */
function mlpFrame(r: Recorded): Frame {
  const { shape, data } = r.inputs.input_layer;
  const rows = shape[0];
  return new Frame(
    ['a', 'b', 'c', 'd'].map((name, j) => ({
      name,
      data: { kind: 'number' as const, dtype: 'float32' as const, values: Float32Array.from({ length: rows }, (_, i) => data[i * 4 + j]) },
    })),
    rows,
  );
}

/** config.json of a fixture archive. */
async function expectedConfig(name: string): Promise<unknown> {
  const { unzipSync } = await import('fflate');
  const files = unzipSync(await readFile(path.join(DIR, name)));
  return JSON.parse(new TextDecoder().decode(files['config.json'])) as unknown;
}

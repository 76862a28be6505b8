import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { readExpected, REAL_DIR } from './real-fixtures.js';
import { loadKerasArchive } from '../../../src/flavors/tensorflow/keras3/index.js';
import { kerasFlavorModel } from '../../../src/flavors/tensorflow/keras-predictor.js';
import { MlflowError } from '../../../src/errors.js';
import { Frame, isFrame } from '../../../src/frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/keras3');
const REAL = await readExpected();
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

describe('Keras 2.13-2.15 .keras archives (synthetic: no installable Keras writes them; numpy forward pass)', () => {
  it('keras_2_13.keras (Keras 2 layer configs, weights under _layer_checkpoint_dependencies) predicts what numpy computed', async () => {
    const r = await expected('keras_2_13');
    const model = await kerasFlavorModel(await loadKerasArchive(path.join(DIR, 'keras_2_13.keras')));
    try {
      expectClose(await model.predict(input(r, 'dense_input')), r.output);
    } finally {
      await model.close?.();
    }
  });
});

describe('MLflow models around Keras 3 archives', () => {
  it('a table in gives a table out when nothing converts it first: columns 0..n-1, as pandas.DataFrame(model.predict(df.values))', async () => {
    const r = REAL.keras_models.dense_mlp;
    const model = await kerasFlavorModel(await loadKerasArchive(path.join(REAL_DIR, 'keras', 'dense_mlp.keras')));
    try {
      const { shape, data } = r.inputs.features;
      const [rows, cols] = shape;
      const frame = new Frame(
        Array.from({ length: cols }, (_, j) => ({
          name: `f${j}`,
          data: { kind: 'number' as const, dtype: 'float32' as const, values: Float32Array.from({ length: rows }, (_, i) => data[i * cols + j]) },
        })),
        rows,
      );
      const out = await model.predict(frame);
      if (!isFrame(out)) throw new Error('expected a table');
      expect(out.columns.map((c) => c.name)).toEqual(['0', '1', '2']);
      const want = r.outputs as { data: number[] };
      out.columns.forEach((c, j) => {
        const values = (c.data as { values: Float32Array }).values;
        values.forEach((v, i) => expect(Math.abs(v - want.data[i * 3 + j])).toBeLessThan(1e-5));
      });
    } finally {
      await model.close?.();
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
    const err = await refusal(loadKerasArchive(path.join(REAL_DIR, 'keras', 'lambda_layer.keras')));
    expect(err.errorCode).toBe('NOT_IMPLEMENTED');
    expect(err.message).toMatch(/lambda_layer\.keras: layer 'lambda' is a Lambda layer/);
  });

  it('lists every unsupported layer class by name', async () => {
    const err = await refusal(loadKerasArchive(path.join(REAL_DIR, 'keras', 'custom_layer.keras')));
    expect(err.errorCode).toBe('NOT_IMPLEMENTED');
    expect(err.message).toContain('custom_layer.keras: layers not supported natively: ScaleByTwo (\'scale_by_two\'), UnitNormalization (\'unit_normalization\')');
  });

  it('names the file of a corrupt zip, of a zip without model.weights.h5, and of one with broken weights', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keras3-'));
    try {
      const good = await readFile(path.join(REAL_DIR, 'keras', 'dense_mlp.keras'));
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
      const mlpConfig = JSON.stringify(await archiveConfig(path.join(REAL_DIR, 'keras', 'dense_mlp.keras')));
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

/** config.json of an archive. */
async function archiveConfig(file: string): Promise<unknown> {
  const files = unzipSync(await readFile(file));
  return JSON.parse(new TextDecoder().decode(files['config.json'])) as unknown;
}

import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyWritable } from './copy-writable.js';
import { expectClose, readExpected, REAL_DIR, tensorOf, type Recorded } from './real-fixtures.js';
import { MlflowError, ModelRaisedError } from '../../../src/errors.js';
import { Frame } from '../../../src/frame/frame.js';
import { predictionsToJson } from '../../../src/frame/predictions-json.js';
import { isTensor, type Tensor } from '../../../src/frame/tensor.js';
import { loadKerasArchive } from '../../../src/flavors/tensorflow/keras3/index.js';
import { loadKerasH5 } from '../../../src/flavors/tensorflow/keras-h5.js';
import { kerasFlavorModel } from '../../../src/flavors/tensorflow/keras-predictor.js';
import type { KerasWrapper } from '../../../src/flavors/tensorflow/keras-outputs.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';

type Case = { inputs: Record<string, Recorded>; outputs: Recorded | Recorded[] | Record<string, Recorded> };
const layers = JSON.parse(await readFile(path.join(REAL_DIR, 'layers_expected.json'), 'utf8')) as {
  keras_models: Record<string, Case>;
  savedmodels: Record<string, { inputs: Record<string, Recorded>; outputs: Record<string, Recorded> }>;
};
const real = await readExpected();

async function predict(file: string, wrapper: KerasWrapper, input: unknown): Promise<unknown> {
  const model = await kerasFlavorModel(file.endsWith('.h5') ? await loadKerasH5(file) : await loadKerasArchive(file), wrapper);
  try {
    return await model.predict(input);
  } finally {
    await model.close?.();
  }
}

const layersFile = (name: string, ext: string): string => path.join(REAL_DIR, 'layers', `${name}.${ext}`);

describe("several outputs come back as MLflow 2.22.1's Keras wrappers return model.predict's", () => {
  it.each(['keras', 'h5'])('a list of outputs (%s): a list from mlflow.tensorflow, serialized as a list of nested lists', async (ext) => {
    const c = layers.keras_models.multi_output_list;
    const out = await predict(layersFile('multi_output_list', ext), 'tensorflow', tensorOf(c.inputs.x));
    const want = c.outputs as Recorded[];
    expect(Array.isArray(out)).toBe(true);
    const list = out as Tensor[];
    expect(list).toHaveLength(2);
    list.forEach((t, i) => expectClose(t, want[i]));
    // {"predictions": [output 0 as tolist(), output 1 as tolist()]}, as NumpyEncoder writes the list.
    const body = JSON.parse(predictionsToJson(out)) as { predictions: number[][][] };
    expect(body.predictions.map((p) => [p.length, p[0].length])).toEqual([[3, 3], [3, 1]]);
    expect(Math.abs(body.predictions[1][2][0] - want[1].data[2])).toBeLessThan(1e-6);
  });

  it('a list of unequal outputs from mlflow.keras (Keras 3): np.array of them fails, as a model error (400)', async () => {
    const c = layers.keras_models.multi_output_list;
    const err = await predict(layersFile('multi_output_list', 'keras'), 'keras', tensorOf(c.inputs.x)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelRaisedError);
    expect((err as Error).message).toContain('inhomogeneous shape after 2 dimensions. The detected shape was (2, 3) + inhomogeneous part.');
  });

  it('a list of equal outputs from mlflow.keras (Keras 3): stacked into one array [outputs, rows, ...]', async () => {
    const c = layers.keras_models.multi_output_same;
    const out = await predict(layersFile('multi_output_same', 'keras'), 'keras', tensorOf(c.inputs.x));
    const want = c.outputs as Recorded[];
    expect(isTensor(out)).toBe(true);
    const t = out as Tensor & { data: Float32Array };
    expect(t.shape).toEqual([2, 3, 2]);
    expectClose({ ...t, shape: [3, 2], data: t.data.subarray(6) } as Tensor, want[1]);
    const body = JSON.parse(predictionsToJson(out)) as { predictions: number[][][] };
    expect(body.predictions).toHaveLength(2);
  });

  it.each(['keras', 'h5'])('dict outputs (%s): a dict by the keys the model named them with, in its order', async (ext) => {
    const r = real.keras_models.multi_io;
    for (const wrapper of ['tensorflow', 'keras'] as const) {
      const out = (await predict(path.join(REAL_DIR, 'keras', `multi_io.${ext}`), wrapper, { a: tensorOf(r.inputs.a), b: tensorOf(r.inputs.b) })) as Record<string, Tensor>;
      expect(Object.keys(out)).toEqual(['probs', 'score']);
      const want = r.outputs as Record<string, Recorded>;
      expectClose(out.probs, want.probs);
      expectClose(out.score, want.score);
      const body = JSON.parse(predictionsToJson(out)) as { predictions: Record<string, number[][]> };
      expect(Object.keys(body.predictions)).toEqual(['probs', 'score']);
    }
  });

  it('several outputs for a table in: pandas.DataFrame of them fails, as a model error (400)', async () => {
    const c = layers.keras_models.multi_output_list;
    const x = c.inputs.x;
    const frame = new Frame([0, 1, 2, 3].map((j) => ({ name: String(j), data: { kind: 'number', dtype: 'float64', values: Float64Array.from({ length: 3 }, (_, i) => x.data[i * 4 + j]) } })));
    const err = await predict(layersFile('multi_output_list', 'keras'), 'tensorflow', frame).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelRaisedError);
  });
});

describe("mlflow.keras with save_exported_model: np.array of model.serve's list of outputs", () => {
  const tmp = path.join(os.tmpdir(), `mlflow-keras-exported-${process.pid}`);
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  async function exportedModel(name: string, folder = 'layers'): Promise<Predictor> {
    const dir = path.join(tmp, name);
    await copyWritable(path.join(REAL_DIR, folder, `${name}_export`), path.join(dir, 'data', 'model'));
    await writeFile(
      path.join(dir, 'MLmodel'),
      'flavors:\n  keras:\n    data: data\n    keras_backend: tensorflow\n    keras_version: 3.15.1\n    save_exported_model: true\n  python_function:\n    loader_module: mlflow.keras\n    data: data\n',
    );
    return loadPredictor(dir, { runtime: 'native' });
  }

  it('equal shapes: stacked in output order (output_0, output_1)', async () => {
    const c = layers.savedmodels.multi_output_same_export;
    const p = await exportedModel('multi_output_same');
    try {
      const out = (await p.predict(tensorOf(c.inputs.x))) as Tensor & { data: Float32Array };
      expect(out.shape).toEqual([2, 3, 2]);
      expectClose({ ...out, shape: [3, 2], data: out.data.subarray(0, 6) } as Tensor, c.outputs.output_0);
      expectClose({ ...out, shape: [3, 2], data: out.data.subarray(6) } as Tensor, c.outputs.output_1);
    } finally {
      await p.close();
    }
  });

  it("dict outputs (signature keys 'a', 'b'): refused at load, since MLflow's server cannot serialize convert_to_numpy of a dict", async () => {
    const err = await exportedModel('dict_outputs', 'rnn').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).errorCode).toBe('NOT_IMPLEMENTED');
    expect((err as Error).message).toMatch(/returns its outputs as a dict \('a', 'b'\).*0-d object array/);
  });

  it('unequal shapes: the error numpy raises, a 400', async () => {
    const c = layers.savedmodels.multi_output_list_export;
    const p = await exportedModel('multi_output_list');
    try {
      const err = await p.predict(tensorOf(c.inputs.x)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelRaisedError);
      expect((err as Error).message).toContain('inhomogeneous shape after 2 dimensions');
    } finally {
      await p.close();
    }
  });
});

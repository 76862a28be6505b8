import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as tf from '../../../src/tfjs/tf.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../../src/errors.js';
import { makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { chooseLayersBackend, chooseTfBackend, configuredTfBackend, runWithFallback, type TfBackend } from '../../../src/tfjs/backend.js';
import { runSignature } from '../../../src/flavors/tensorflow/run-signature.js';
import { loadSavedModelSignature, type SavedModelSignature } from '../../../src/flavors/tensorflow/saved-model.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow');
const MODELS = path.join(FIXTURES, 'models');
const open: SavedModelSignature[] = [];
let lstm = '';
// These tests are about the default choice: a backend forced for the whole run does not apply.
const forced = process.env.MLFLOW_TS_TF_BACKEND;

beforeAll(async () => {
  delete process.env.MLFLOW_TS_TF_BACKEND;
  lstm = await mkdtemp(path.join(os.tmpdir(), 'tf-backend-'));
  await mkdir(path.join(lstm, 'variables'));
  await writeFile(path.join(lstm, 'saved_model.pb'), gunzipSync(await readFile(path.join(FIXTURES, 'lstm_from_sequential', 'saved_model.pb.gz'))));
  for (const f of ['variables.index', 'variables.data-00000-of-00001']) {
    await copyFile(path.join(FIXTURES, 'lstm_from_sequential', 'variables', f), path.join(lstm, 'variables', f));
  }
});
afterAll(async () => {
  if (forced !== undefined) process.env.MLFLOW_TS_TF_BACKEND = forced;
  for (const s of open) s.model.dispose();
  await rm(lstm, { recursive: true, force: true });
});

async function load(dir: string, backend?: TfBackend, signatureKey?: string): Promise<SavedModelSignature> {
  const sig = await loadSavedModelSignature(dir, { backend, signatureKey, cacheDir: false });
  open.push(sig);
  return sig;
}

const f32 = (shape: number[], v: ArrayLike<number>): Tensor => makeTensor({ dtype: 'float32', shape, data: Float32Array.from(v) });

async function run(sig: SavedModelSignature, feeds: Record<string, Tensor>): Promise<number[]> {
  const out = await runSignature(sig, feeds);
  return Array.from(Object.values(out)[0].data as ArrayLike<number>);
}

describe('tfjs backend choice', () => {
  it('is wasm for graphs with a matrix product or convolution and no control flow, cpu otherwise; a request or MLFLOW_TS_TF_BACKEND overrides', () => {
    expect(chooseTfBackend(['Placeholder', 'Mul', 'AddV2'])).toBe('cpu');
    expect(chooseTfBackend(['Placeholder', 'MatMul', 'Relu'])).toBe('wasm');
    expect(chooseTfBackend(['Conv2D'])).toBe('wasm');
    expect(chooseTfBackend(['MatMul', 'StatelessWhile', 'TensorListGetItem'])).toBe('wasm');
    expect(chooseTfBackend(['MatMul', 'Switch', 'Merge'])).toBe('cpu');
    expect(chooseTfBackend(['MatMul', 'StatelessIf'])).toBe('cpu');
    expect(chooseTfBackend(['MatMul'], 'cpu')).toBe('cpu');
    expect(configuredTfBackend({ MLFLOW_TS_TF_BACKEND: 'wasm' })).toBe('wasm');
    expect(configuredTfBackend({})).toBeUndefined();
    expect(() => configuredTfBackend({ MLFLOW_TS_TF_BACKEND: 'gpu' })).toThrow(/MLFLOW_TS_TF_BACKEND must be 'cpu' or 'wasm', got 'gpu'/);
  });

  it('is wasm for layers models with dense, convolution or recurrent layers and only layers known to match on wasm', () => {
    expect(chooseLayersBackend(['InputLayer', 'Dense', 'Dropout', 'Dense'])).toBe('wasm');
    expect(chooseLayersBackend(['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense'])).toBe('wasm');
    expect(chooseLayersBackend(['Flatten', 'Activation'])).toBe('cpu');
    expect(chooseLayersBackend(['LSTM', 'Dense'])).toBe('wasm');
    expect(chooseLayersBackend(['Dense', 'SomeCustomLayer'])).toBe('cpu');
    expect(chooseLayersBackend(['Sequential', 'Dense'])).toBe('cpu');
    expect(chooseLayersBackend(['Dense'], 'cpu')).toBe('cpu');
  });

  it('runWithFallback re-runs a failed wasm run on cpu and stays there; an MlflowError is not retried', async () => {
    const state: { backend: TfBackend } = { backend: 'wasm' };
    const seen: string[] = [];
    const out = await runWithFallback(state, () => {
      seen.push(tf.getBackend());
      if (tf.getBackend() === 'wasm') throw new Error('no kernel');
      return Promise.resolve(42);
    }, (e) => e as Error);
    expect(out).toBe(42);
    expect(seen).toEqual(['wasm', 'cpu']);
    expect(state.backend).toBe('cpu');

    const bad: { backend: TfBackend } = { backend: 'wasm' };
    let calls = 0;
    const refused = runWithFallback(bad, () => {
      calls++;
      throw new MlflowError('bad input', 'INVALID_PARAMETER_VALUE');
    }, (e) => e as Error);
    await expect(refused).rejects.toThrow('bad input');
    expect(calls).toBe(1);
    expect(bad.backend).toBe('wasm');
  });

  it('runs the cppflow Keras model (Dense layers) on wasm by default, matching cpu and its recorded output', async () => {
    const dir = path.join(MODELS, 'cppflow_keras', 'data', 'model');
    const onWasm = await load(dir);
    const onCpu = await load(dir, 'cpu');
    expect([onWasm.backend, onCpu.backend]).toEqual(['wasm', 'cpu']);
    const x = { [onWasm.inputs[0].key]: f32([10, 5], new Array<number>(50).fill(1)) };
    const a = await run(onWasm, x);
    const b = await run(onCpu, x);
    for (let i = 0; i < 10; i++) {
      expect(a[i]).toBeCloseTo(0.9522027, 6);
      expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-6);
    }
  });

  it('gives the same answers on both backends for every tf.Module and tensorflow-serving fixture', async () => {
    const cases: [string, string | undefined, Record<string, Tensor>][] = [
      ['times_three_float/tf2model', undefined, { x: f32([3], [1, 2, 3]) }],
      ['module_with_multiple_signatures/tf2model', 'timestwo', { x: f32([3], [1, 2, 3]) }],
      ['half_plus_two_cpu/tfmodel', undefined, { x: f32([3, 1], [1, 2, 3]) }],
      ['half_plus_two_tf2_cpu/tfmodel', 'regress_x2_to_y3', { inputs: f32([3], [1, 2, 3]) }],
      ['model_multi_output/tf2model', undefined, { x: makeTensor({ dtype: 'int32', shape: [3], data: Int32Array.from([1, 2, 3]) }), y: makeTensor({ dtype: 'int32', shape: [3], data: Int32Array.from([4, 5, 6]) }) }],
    ];
    for (const [dir, key, feeds] of cases) {
      const cpu = await run(await load(path.join(MODELS, dir), 'cpu', key), feeds);
      const wasm = await run(await load(path.join(MODELS, dir), 'wasm', key), feeds);
      expect(wasm, dir).toEqual(cpu);
    }
  });

  it('moves a graph to cpu for good when wasm lacks one of its kernels, and answers right', async () => {
    const sig = await load(path.join(MODELS, 'times_three_float', 'tf2model'), 'wasm');
    const kernel = tf.getKernel('Multiply', 'wasm');
    expect(kernel).toBeDefined();
    tf.unregisterKernel('Multiply', 'wasm');
    try {
      expect(await run(sig, { x: f32([3], [1, 2, 3]) })).toEqual([3, 6, 9]);
      expect(sig.backend).toBe('cpu');
    } finally {
      if (kernel) tf.registerKernel(kernel);
    }
  });

  it('runs the Keras LSTM (a While loop over TensorLists) on wasm, chosen for its MatMul, within 1e-5 of cpu', async () => {
    const x = f32([2, 5, 3], Array.from({ length: 30 }, (_, i) => ((i * 7) % 11) / 11 - 0.4));
    const onWasm = await load(lstm);
    expect(onWasm.backend).toBe('wasm');
    const onCpu = await load(lstm, 'cpu');
    const key = onWasm.inputs[0].key;
    const want = await run(onCpu, { [key]: x });
    const got = await run(onWasm, { [key]: x });
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
    expect(onWasm.backend).toBe('wasm'); // not moved to cpu: wasm answered
  });

  it('keeps a graph on wasm when the input is what fails (cpu refuses it too)', async () => {
    const sig = await load(path.join(MODELS, 'cppflow_keras', 'data', 'model'));
    await expect(run(sig, { [sig.inputs[0].key]: f32([2, 3], [1, 2, 3, 4, 5, 6]) })).rejects.toThrow(/of signature 'serving_default' expects shape \[None, \d+\] but received shape \[2, 3\]/);
    expect(sig.backend).toBe('wasm');
  });
});

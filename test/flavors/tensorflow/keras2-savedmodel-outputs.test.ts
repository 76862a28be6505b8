import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { afterAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../../src/errors.js';
import { decodeTensorflowMessage, type SavedModelProto } from '../../../src/formats/protobuf/index.js';
import { TensorBundle } from '../../../src/formats/tensorbundle/index.js';
import { isTensor, makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';

// cppflow's multi_input_output: a tf.keras 2.4 Functional model saved as a SavedModel (its config
// in the object graph, no keras_metadata.pb): out1 = sigmoid(dense(relu(dense(in1)))), out2 the
// same from in2, output_layers [my_outputs_1, my_outputs_2].
const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/models/cppflow_keras_multi_io');
const tmp = await mkdtemp(path.join(os.tmpdir(), 'keras2-outputs-'));
const open: Predictor[] = [];
afterAll(async () => {
  for (const p of open) await p.close();
  await rm(tmp, { recursive: true, force: true });
});

async function load(dir: string): Promise<Predictor> {
  const p = await loadPredictor(dir, { runtime: 'native' });
  open.push(p);
  return p;
}

const ROWS = 3;
const x1 = Float32Array.from({ length: ROWS * 5 }, (_, i) => Math.sin(i) * 2);
const x2 = Float32Array.from({ length: ROWS * 5 }, (_, i) => Math.cos(i * 1.7) * 2);
const feeds = (): Record<string, Tensor> => ({
  my_input_1: makeTensor({ dtype: 'float32', shape: [ROWS, 5], data: x1 }),
  my_input_2: makeTensor({ dtype: 'float32', shape: [ROWS, 5], data: x2 }),
});

/** Keras's Dense(relu) then Dense(1, sigmoid) on the checkpoint's own weights, in float64. */
async function reference(hidden: number, out: number, x: Float32Array): Promise<number[]> {
  const bundle = await TensorBundle.open(path.join(SRC, 'data', 'model', 'variables', 'variables'));
  const v = async (layer: number, name: string): Promise<Float32Array> =>
    (await bundle.read(`layer_with_weights-${layer}/${name}/.ATTRIBUTES/VARIABLE_VALUE`)).values as Float32Array;
  const [w1, b1, w2, b2] = [await v(hidden, 'kernel'), await v(hidden, 'bias'), await v(out, 'kernel'), await v(out, 'bias')];
  return Array.from({ length: ROWS }, (_, r) => {
    let z = b2[0];
    for (let j = 0; j < 5; j++) {
      let h = b1[j];
      for (let i = 0; i < 5; i++) h += x[r * 5 + i] * w1[i * 5 + j];
      z += Math.max(h, 0) * w2[j];
    }
    return 1 / (1 + Math.exp(-z));
  });
}

function expectValues(t: unknown, want: number[]): void {
  if (!isTensor(t)) throw new Error('expected a tensor');
  expect(t.shape).toEqual([ROWS, 1]);
  want.forEach((w, i) => expect(Math.abs(Number(t.data[i]) - w)).toBeLessThan(1e-6));
}

/** A copy of the model whose keras_metadata.pb holds the root config with output_layers replaced. */
async function withOutputLayers(outputLayers: unknown, name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(SRC, dir, { recursive: true });
  const sm = decodeTensorflowMessage<SavedModelProto>('SavedModel', await readFile(path.join(SRC, 'data', 'model', 'saved_model.pb')), 'cppflow');
  const meta = JSON.parse(sm.metaGraphs[0].objectGraphDef?.nodes[0].userObject?.metadata ?? '') as { config: Record<string, unknown> };
  meta.config.output_layers = outputLayers;
  // keras_metadata.pb: SavedMetadata { repeated SavedObject nodes = 1 }, SavedObject { node_path = 3, metadata = 5 }.
  const node = protobuf.Writer.create().uint32((3 << 3) | 2).string('root').uint32((5 << 3) | 2).string(JSON.stringify(meta)).finish();
  await writeFile(path.join(dir, 'data', 'model', 'keras_metadata.pb'), protobuf.Writer.create().uint32((1 << 3) | 2).bytes(node).finish());
  return dir;
}

describe('tf.keras (Keras 2) SavedModels with several outputs answer as MLflow 2.22.1 (keras.models.load_model + predict)', () => {
  it("a list of outputs comes back as predict's list, in the config's output_layers order (cppflow, TF 2.4)", async () => {
    const out = await (await load(SRC)).predict(feeds());
    expect(Array.isArray(out)).toBe(true);
    const [a, b] = out as unknown[];
    expectValues(a, await reference(0, 2, x1));
    expectValues(b, await reference(1, 3, x2));
  });

  it('the order comes from keras_metadata.pb when there is one (output_layers reversed there -> the list reversed)', async () => {
    const out = (await (await load(await withOutputLayers([['my_outputs_2', 0, 0], ['my_outputs_1', 0, 0]], 'reversed'))).predict(feeds())) as unknown[];
    expectValues(out[0], await reference(1, 3, x2));
    expectValues(out[1], await reference(0, 2, x1));
  });

  it('dict outputs come back as a dict in the dict order, each key with its own output', async () => {
    const p = await load(await withOutputLayers({ zeta: ['my_outputs_1', 0, 0], alpha: ['my_outputs_2', 0, 0] }, 'dict'));
    const out = (await p.predict(feeds())) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['zeta', 'alpha']);
    expectValues(out.zeta, await reference(0, 2, x1));
    expectValues(out.alpha, await reference(1, 3, x2));
  });

  it("one output, the config in a real keras_metadata.pb (kaggle's tf.keras 2.6 Dense 4->1): the tensor, x.W + b", async () => {
    const dir = path.join(SRC, '..', 'kaggle_keras');
    const bundle = await TensorBundle.open(path.join(dir, 'data', 'model', 'variables', 'variables'));
    const read = async (name: string): Promise<Float32Array> => (await bundle.read(`layer_with_weights-0/${name}/.ATTRIBUTES/VARIABLE_VALUE`)).values as Float32Array;
    const [w, b] = [await read('kernel'), await read('bias')];
    const out = await (await load(dir)).predict(makeTensor({ dtype: 'float32', shape: [ROWS, 4], data: x1.subarray(0, ROWS * 4) }));
    if (!isTensor(out)) throw new Error('expected a tensor');
    expect(out.shape).toEqual([ROWS, 1]);
    for (let r = 0; r < ROWS; r++) {
      const want = b[0] + [0, 1, 2, 3].reduce((acc, i) => acc + x1[r * 4 + i] * w[i], 0);
      expect(Math.abs(Number(out.data[r]) - want)).toBeLessThan(1e-6);
    }
  });

  it('several outputs whose order the metadata does not tell are refused at load, by name', async () => {
    for (const [layers, why] of [
      [[['my_outputs_1', 0, 0], ['other', 0, 0]], /Keras output names 'my_outputs_1', 'other' that are not the signature's/],
      [[[['my_outputs_1', 0, 0]], ['my_outputs_2', 0, 0]], /nested output_layers/],
      [null, /no Keras output_layers in its metadata \(class Functional\)/],
    ] as const) {
      const err = await loadPredictor(await withOutputLayers(layers, `bad-${open.length}-${Math.random()}`), { runtime: 'native' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MlflowError);
      expect((err as MlflowError).errorCode).toBe('NOT_IMPLEMENTED');
      expect((err as Error).message).toMatch(/Keras SavedModel .* has 2 outputs \('my_outputs_1', 'my_outputs_2'\)/);
      expect((err as Error).message).toMatch(why);
    }
  });
});

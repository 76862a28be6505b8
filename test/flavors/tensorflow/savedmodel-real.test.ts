import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectClose, readExpected, REAL_DIR, refusal, tensorOf, type Recorded, type SignatureCase } from './real-fixtures.js';
import { isTensor, makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';
import { copyWritable } from './copy-writable.js';

const DIR = REAL_DIR;


const expected = await readExpected();
const open: Predictor[] = [];
const tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-savedmodel-real-'));
afterAll(async () => {
  for (const p of open) await p.close();
  await rm(tmp, { recursive: true, force: true });
});

/** An MLflow tensorflow-flavor model dir around one of the SavedModels (tf2-module layout). */
async function savedModelDir(name: string, signature = 'serving_default'): Promise<string> {
  const dir = await mkdtemp(path.join(tmp, `${name}-`));
  await copyWritable(path.join(DIR, 'savedmodel', name), path.join(dir, 'tf2model'));
  await writeFile(
    path.join(dir, 'MLmodel'),
    `flavors:\n  tensorflow:\n    model_type: tf1-estimator\n    saved_model_dir: tf2model\n    meta_graph_tags: [serve]\n    signature_def_key: ${signature}\n`,
  );
  return dir;
}

async function load(dir: string): Promise<Predictor> {
  const p = await loadPredictor(dir, { runtime: 'native' });
  open.push(p);
  return p;
}

function signatureCases(): [string, string, SignatureCase][] {
  return Object.entries(expected.savedmodels).flatMap(([name, v]) =>
    'inputs' in v ? [[name, 'serving_default', v as SignatureCase]] : Object.entries(v as Record<string, SignatureCase>).map(([k, c]) => [name, k, c] as [string, string, SignatureCase]),
  );
}

// *_tfsave: tf.saved_model.save of Keras 3 models, whose variables only the object graph restores.
// rnn_export / bidirectional_export: Keras 3 LSTM/GRU/SimpleRNN While loops over TensorLists.
const RUNS = new Set([
  'dense_mlp_export', 'conv1d_causal_export', 'cnn2d_export', 'normalization_export', 'module_signatures', 'tf1_graph', 'dense_mlp_tfsave',
  'cnn2d_tfsave', 'rnn_export', 'bidirectional_export',
]);

describe('real TF 2.21 SavedModels (model.export, tf.Module, TF1 graph) predict what TensorFlow predicted', () => {
  it.each(signatureCases().filter(([n]) => RUNS.has(n)))('%s, signature %s', async (name, key, c) => {
    const p = await load(await savedModelDir(name, key));
    const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, tensorOf(v)]));
    if (Object.values(c.outputs).some((o) => (o as { shape: number[] }).shape.length === 0)) {
      // MLflow's _TF2Wrapper iterates every output's rows: a scalar output fails there (a 400).
      await expect(p.predict(feeds)).rejects.toThrow('iteration over a 0-d array');
      return;
    }
    const out = (await p.predict(feeds)) as Record<string, unknown> | Tensor;
    const keys = Object.keys(c.outputs);
    if (keys.length === 1 && isTensor(out)) expectClose(out, c.outputs[keys[0]]);
    else for (const k of keys) expectClose((out as Record<string, unknown>)[k], c.outputs[k]);
  });

  it('a tensor of the wrong shape is a 400 naming the input, the expected and the received shape (Keras model)', async () => {
    const p = await load(path.join(DIR, 'mlflow', 'keras1x_dense_mlp'));
    const err = await refusal(p.predict(makeTensor({ dtype: 'float32', shape: [2, 5], data: new Float32Array(10) })));
    expect(err.httpStatus).toBe(400);
    expect(err.message).toMatch(/Input '\w+' expects shape \[None, 6\] but received shape \[2, 5\]/);
  });
});

describe('real models in the layouts MLflow writes', () => {
  it('mlflow.tensorflow, Keras model with TF >= 2.16 (save_format tf, data/model.keras)', async () => {
    const r = expected.keras_models.cnn2d;
    const p = await load(path.join(DIR, 'mlflow', 'tensorflow_keras_cnn2d'));
    expectClose(await p.predict(tensorOf(r.inputs.image)), r.outputs as Recorded);
  });

  it('mlflow.tensorflow, Keras model with save_format h5 (data/model.h5 written by Keras 3)', async () => {
    const r = expected.keras_models.rnn;
    const p = await load(path.join(DIR, 'mlflow', 'tensorflow_keras_h5_rnn'));
    expectClose(await p.predict(tensorOf(r.inputs.seq)), r.outputs as Recorded);
  });

  it('mlflow.tensorflow, tf2-module: the serving_default signature of a tf.Module', async () => {
    const c = (expected.savedmodels.module_signatures as Record<string, SignatureCase>).serving_default;
    const p = await load(path.join(DIR, 'mlflow', 'tensorflow_tf2_module'));
    expectClose(await p.predict({ x: tensorOf(c.inputs.x) }), c.outputs.y);
  });

  it('mlflow.tensorflow, tf1-estimator: a TF1 graph signature with two outputs', async () => {
    const c = (expected.savedmodels.tf1_graph as Record<string, SignatureCase>).predict;
    const p = await load(path.join(DIR, 'mlflow', 'tensorflow_tf1_graph'));
    const out = (await p.predict({ x: tensorOf(c.inputs.x) })) as Record<string, Tensor>;
    expectClose(out.probs, c.outputs.probs);
    expectClose(out.label, c.outputs.label);
  });

  it('mlflow.keras 1.x layout (flavors.keras, data/model.h5)', async () => {
    const r = expected.keras_models.dense_mlp;
    const p = await load(path.join(DIR, 'mlflow', 'keras1x_dense_mlp'));
    expectClose(await p.predict(tensorOf(r.inputs.features)), r.outputs as Recorded);
  });

  it('mlflow.keras on Keras 3: a multi-input multi-output model takes and returns named tensors', async () => {
    const r = expected.keras_models.multi_io;
    const p = await load(path.join(DIR, 'mlflow', 'keras3_multi_io'));
    const out = (await p.predict({ a: tensorOf(r.inputs.a), b: tensorOf(r.inputs.b) })) as Record<string, Tensor>;
    const want = r.outputs as Record<string, Recorded>;
    expectClose(out.probs, want.probs);
    expectClose(out.score, want.score);
  });

  it('mlflow.keras on Keras 3 with save_exported_model (data/model is a model.export SavedModel)', async () => {
    const c = expected.savedmodels.conv1d_causal_export as SignatureCase;
    const p = await load(path.join(DIR, 'mlflow', 'keras3_conv1d_causal_exported'));
    const [key] = Object.keys(c.inputs);
    const out = await p.predict({ [key]: tensorOf(c.inputs[key]) });
    const [okey] = Object.keys(c.outputs);
    expectClose(isTensor(out) ? out : (out as Record<string, unknown>)[okey], c.outputs[okey]);
  });
});

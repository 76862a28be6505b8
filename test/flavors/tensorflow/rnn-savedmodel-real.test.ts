import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectClose, REAL_DIR, tensorOf, type SignatureCase } from './real-fixtures.js';
import { isTensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';
import { copyWritable } from './copy-writable.js';

// make_rnn_fixtures.py: Keras 3.15 recurrent models exported with model.export (TF 2.21), whose
// layers are While loops over TensorLists, with what TensorFlow's own signature returned.
const expected = JSON.parse(await readFile(path.join(REAL_DIR, 'rnn_expected.json'), 'utf8')) as { savedmodels: Record<string, SignatureCase> };
const open: Predictor[] = [];
const tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-rnn-real-'));
afterAll(async () => {
  for (const p of open) await p.close();
  await rm(tmp, { recursive: true, force: true });
});

async function load(name: string): Promise<Predictor> {
  const dir = await mkdtemp(path.join(tmp, `${name}-`));
  await copyWritable(path.join(REAL_DIR, 'rnn', name), path.join(dir, 'tf2model'));
  await writeFile(path.join(dir, 'MLmodel'), 'flavors:\n  tensorflow:\n    model_type: tf1-estimator\n    saved_model_dir: tf2model\n    meta_graph_tags: [serve]\n');
  const p = await loadPredictor(dir, { runtime: 'native' });
  open.push(p);
  return p;
}

describe('Keras 3 RNNs exported with model.export (TF 2.21 While loops) predict what TensorFlow predicted, within 1e-5', () => {
  it.each(Object.keys(expected.savedmodels))('%s', async (name) => {
    const c = expected.savedmodels[name];
    const p = await load(name);
    const out = await p.predict(Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, tensorOf(v)])));
    // Named tensors in: MLflow's _TF2Wrapper answers with every output by name.
    expect(isTensor(out)).toBe(false);
    const keys = Object.keys(c.outputs);
    expect(Object.keys(out as object).sort()).toEqual([...keys].sort());
    for (const k of keys) {
      const want = c.outputs[k];
      // _TF2Wrapper flattens an output whose rows each hold one value ([n, 1] -> [n]).
      const ravelled = want.shape.length > 1 && want.shape.slice(1).every((d) => d === 1);
      expectClose((out as Record<string, unknown>)[k], ravelled ? { ...want, shape: [want.shape[0]] } : want);
    }
  });
});

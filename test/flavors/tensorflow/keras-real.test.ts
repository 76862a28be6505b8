import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editedKerasArchive, expectClose, readExpected, REAL_DIR, refusal, tensorOf, type Recorded } from './real-fixtures.js';
import { loadKerasArchive } from '../../../src/flavors/tensorflow/keras3/index.js';
import { loadKerasH5 } from '../../../src/flavors/tensorflow/keras-h5.js';
import { kerasFlavorModel } from '../../../src/flavors/tensorflow/keras-predictor.js';

const DIR = REAL_DIR;


const expected = await readExpected();
const tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-keras-real-'));
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const REFUSED = new Set(['lambda_layer', 'custom_layer']);
const SUPPORTED = Object.keys(expected.keras_models).filter((n) => !REFUSED.has(n));
const CASES = SUPPORTED.flatMap((n) => ['keras', 'h5'].filter((ext) => existsSync(path.join(DIR, 'keras', `${n}.${ext}`))).map((ext) => [n, ext]));

describe('real Keras 3.15 models (.keras and the legacy .h5 Keras 3 writes) predict what Keras predicted', () => {
  it.each(CASES)('%s.%s', async (name, ext) => {
    const file = path.join(DIR, 'keras', `${name}.${ext}`);
    const r = expected.keras_models[name];
    const model = await kerasFlavorModel(ext === 'keras' ? await loadKerasArchive(file) : await loadKerasH5(file));
    try {
      const feeds = Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, tensorOf(v)]));
      const out = await model.predict(Object.keys(feeds).length === 1 ? Object.values(feeds)[0] : feeds);
      if ('data' in r.outputs) expectClose(out, r.outputs as Recorded);
      else for (const [k, want] of Object.entries(r.outputs)) expectClose((out as Record<string, unknown>)[k], want);
    } finally {
      await model.close?.();
    }
  });
});

/** A copy of one of the real archives whose config.json went through edit. */
const editedArchive = (name: string, edit: (config: Record<string, unknown>) => void): Promise<string> =>
  editedKerasArchive(path.join(DIR, 'keras', `${name}.keras`), tmp, edit);

type LayerEntry = { class_name: string; config: Record<string, unknown> };
function layersOf(config: Record<string, unknown>): LayerEntry[] {
  return (config.config as { layers: LayerEntry[] }).layers;
}

describe('what the native loaders do not compute is refused by name, never ignored', () => {
  it('names a non-default argument the loader knows only at its default (layer and argument)', async () => {
    const file = await editedArchive('cnn2d', (c) => {
      const up = layersOf(c).find((l) => l.class_name === 'UpSampling2D');
      if (up) up.config.interpolation = 'bilinear';
    });
    const err = await refusal(loadKerasArchive(file));
    expect(err.message).toMatch(/layer 'up_sampling2d' \(UpSampling2D\) has interpolation="bilinear", which is not supported natively/);
  });

  it('names an argument it does not know at all', async () => {
    const file = await editedArchive('dense_mlp', (c) => {
      const dense = layersOf(c).find((l) => l.class_name === 'Dense');
      if (dense) dense.config.kernel_quantizer = 'int4';
    });
    const err = await refusal(loadKerasArchive(file));
    expect(err.message).toMatch(/layer 'dense\w*' \(Dense\) has argument 'kernel_quantizer' \("int4"\), which the native loader does not handle/);
  });

  it('names a Bidirectional whose backward layer is not the mirror of its forward layer', async () => {
    const file = await editedArchive('bidirectional', (c) => {
      const bi = layersOf(c).find((l) => l.class_name === 'Bidirectional');
      const back = bi?.config.backward_layer as LayerEntry | undefined;
      if (back) back.config.units = 7;
    });
    const err = await refusal(loadKerasArchive(file));
    expect(err.message).toMatch(/layer 'bidirectional' \(Bidirectional\) has a backward_layer that is not the mirror of its layer/);
  });
});

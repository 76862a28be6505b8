import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { editedKerasArchive, expectClose, REAL_DIR, refusal, tensorOf, type Recorded } from './real-fixtures.js';
import { loadKerasArchive } from '../../../src/flavors/tensorflow/keras3/index.js';
import { loadKerasH5 } from '../../../src/flavors/tensorflow/keras-h5.js';
import { kerasFlavorModel } from '../../../src/flavors/tensorflow/keras-predictor.js';

// make_layer_fixtures.py: Keras 3.15 models of the layers added after make_fixtures.py, with Keras's predictions.
type Case = { inputs: Record<string, Recorded>; outputs: Recorded | Recorded[] };
const expected = JSON.parse(await readFile(path.join(REAL_DIR, 'layers_expected.json'), 'utf8')) as { keras_models: Record<string, Case> };
const REFUSED = new Set(['attention_masked', 'attention_scores']);
const CASES = Object.keys(expected.keras_models).filter((n) => !REFUSED.has(n)).flatMap((n) =>
  ['keras', 'h5'].filter((ext) => existsSync(path.join(REAL_DIR, 'layers', `${n}.${ext}`))).map((ext) => [n, ext]),
);

describe('Keras 3.15 models of padding/cropping/upsampling 1D and 3D, SeparableConv1D, attention and ConvLSTM2D predict what Keras predicted', () => {
  it.each(CASES)('%s.%s', async (name, ext) => {
    const file = path.join(REAL_DIR, 'layers', `${name}.${ext}`);
    const c = expected.keras_models[name];
    const model = await kerasFlavorModel(ext === 'keras' ? await loadKerasArchive(file) : await loadKerasH5(file));
    try {
      const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, tensorOf(v)]));
      const out = await model.predict(Object.keys(feeds).length === 1 ? Object.values(feeds)[0] : feeds);
      if (Array.isArray(c.outputs)) {
        expect(Array.isArray(out)).toBe(true);
        c.outputs.forEach((want, i) => expectClose((out as unknown[])[i], want));
      } else expectClose(out, c.outputs);
    } finally {
      await model.close?.();
    }
  });
});

describe('what the attention layers do not compute natively is refused at load, by layer and setting', () => {
  it('Keras masks reaching an attention layer (tfjs would pass it the query mask only)', async () => {
    const file = path.join(REAL_DIR, 'layers', 'attention_masked.keras');
    // Keras 3 writes the mask computation as op layers, refused by name...
    const err = await refusal(loadKerasArchive(file));
    expect(err.errorCode).toBe('NOT_IMPLEMENTED');
    expect(err.message).toContain(file);
    expect(err.message).toContain("layers not supported natively: NotEqual ('not_equal'), Any ('any')");
    // ...and without them, the mask reaching the attention layer is.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mlflow-keras-attn-'));
    try {
      const edited = await editedKerasArchive(file, dir, (c) => {
        const model = c.config as { layers: { class_name: string; inbound_nodes: { kwargs: Record<string, unknown> }[] }[] };
        model.layers = model.layers.filter((l) => l.class_name !== 'NotEqual' && l.class_name !== 'Any');
        for (const l of model.layers) for (const n of l.inbound_nodes) delete n.kwargs.mask;
      });
      const again = await refusal(loadKerasArchive(edited));
      expect(again.message).toMatch(/layer 'mha' \(MultiHeadAttention\) in a model with Keras masks \(layer 'mask' \(Masking\)\): masked attention is not supported natively/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the argument check covers the new layers: a setting known only at its default, or not at all, is named', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mlflow-keras-args-'));
    try {
      const edit = (name: string, cls: string, change: (c: Record<string, unknown>) => void): Promise<string> =>
        editedKerasArchive(path.join(REAL_DIR, 'layers', `${name}.keras`), dir, (c) => {
          const l = (c.config as { layers: { class_name: string; config: Record<string, unknown> }[] }).layers.find((x) => x.class_name === cls);
          if (l) change(l.config);
        });
      const cases: [string, string, (c: Record<string, unknown>) => void, RegExp][] = [
        ['multi_head_attention', 'MultiHeadAttention', (c) => { c.use_gate = true; }, /\(MultiHeadAttention\) has use_gate=true, which is not supported natively/],
        ['conv_lstm2d', 'ConvLSTM2D', (c) => { c.data_format = 'channels_first'; }, /\(ConvLSTM2D\) has data_format="channels_first", which is not supported natively/],
        ['seq1d', 'ZeroPadding1D', (c) => { c.data_format = 'channels_first'; }, /\(ZeroPadding1D\) has data_format="channels_first"/],
        ['attention_dot', 'Attention', (c) => { c.causal = true; }, /\(Attention\) has argument 'causal' \(true\), which the native loader does not handle/],
      ];
      for (const [name, cls, change, message] of cases) {
        const err = await refusal(loadKerasArchive(await edit(name, cls, change)));
        expect(err.message).toMatch(message);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a call returning the attention scores', async () => {
    const err = await refusal(loadKerasArchive(path.join(REAL_DIR, 'layers', 'attention_scores.keras')));
    expect(err.message).toMatch(/layer 'mha' \(MultiHeadAttention\) is called with return_attention_scores=true, which the native loader does not handle/);
  });

  it('Keras 2 files with the layers known only from Keras 3 files are refused by name', async () => {
    // The legacy .h5 Keras 3 writes is read as Keras 3; relabelled as Keras 2 it must be refused, not guessed.
    await h5wasm.ready;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mlflow-keras2-attn-'));
    try {
      const file = path.join(dir, 'additive_attention.h5');
      await copyFile(path.join(REAL_DIR, 'layers', 'additive_attention.h5'), file);
      const f = new h5wasm.File(file, 'a');
      f.delete_attribute('keras_version');
      f.create_attribute('keras_version', '2.15.0');
      f.close();
      const err = await refusal(loadKerasH5(file));
      expect(err.message).toMatch(/layers not supported natively: AdditiveAttention \('additive_attention'\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { expectClose, REAL_DIR, tensorOf, type SignatureCase } from './real-fixtures.js';
import { runListLoopsOurselves } from '../../../src/flavors/tensorflow/list-loops.js';
import { runSignature } from '../../../src/flavors/tensorflow/run-signature.js';
import { loadSavedModelSignature, type SavedModelSignature } from '../../../src/flavors/tensorflow/saved-model.js';

// Loops our own op does not take (list-loops.ts) stay with tfjs-converter's While executor, which
// needs the TensorList writes rewired to the body's returned Identity (control-flow.ts). Here every
// loop is left to tfjs, on the real Keras 3 RNN exports.
vi.mock('../../../src/flavors/tensorflow/list-loops.js', async (original) => ({
  ...(await original<typeof import('../../../src/flavors/tensorflow/list-loops.js')>()),
  runListLoopsOurselves: vi.fn(),
}));

const expected = JSON.parse(await readFile(path.join(REAL_DIR, 'rnn_expected.json'), 'utf8')) as { savedmodels: Record<string, SignatureCase> };
const open: SavedModelSignature[] = [];
afterAll(() => {
  for (const s of open) s.model.dispose();
});

describe("Keras RNN While loops run by tfjs's own executor (the fallback) match TensorFlow within 1e-5", () => {
  it.each(['lstm_sequences_export', 'gru_variants_export', 'bidirectional_modes_export', 'lstm_state_export'])('%s', async (name) => {
    const sig = await loadSavedModelSignature(path.join(REAL_DIR, 'rnn', name), { cacheDir: false });
    open.push(sig);
    expect(vi.mocked(runListLoopsOurselves)).toHaveBeenCalled();
    const c = expected.savedmodels[name];
    const backend = sig.backend;
    const out = await runSignature(sig, Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, tensorOf(v)])));
    for (const k of Object.keys(c.outputs)) expectClose(out[k], c.outputs[k]);
    expect(sig.backend).toBe(backend); // answered where it was loaded: no move from wasm to cpu
  });
});

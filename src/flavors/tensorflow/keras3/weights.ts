import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '../../../tfjs/tf.js';
import h5wasm from 'h5wasm/node';
import { MlflowError } from '../../../errors.js';
import type { WeightSlot } from './config.js';
import { readH5Weight, type H5Weight } from '../h5-weight.js';

type H5File = InstanceType<typeof h5wasm.File>;
type H5Group = InstanceType<typeof h5wasm.Group>;

/** Keras 2.13-2.15 archives name the layer container differently; Keras 3 reads both. */
const LEGACY_LAYERS = '_layer_checkpoint_dependencies';

function group(f: H5File, p: string): H5Group | undefined {
  const g = f.get(p);
  return g instanceof h5wasm.Group ? g : undefined;
}

/** A `vars` group, where Keras's H5IOStore looks for it. */
function varsGroup(f: H5File, own: string): { g: H5Group | undefined; at: string } {
  const g = group(f, own);
  if (g) return { g, at: own };
  const legacy = own.split('/').map((s) => (s === 'layers' ? LEGACY_LAYERS : s)).join('/');
  return { g: group(f, legacy), at: own };
}

function readVars(g: H5Group, at: string, file: string): H5Weight[] {
  const keys = g.keys().filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
  return keys.map((k) => readH5Weight(g.get(k), `${file}: model.weights.h5 ${at}/${k}`));
}

function findLayer(model: tf.LayersModel, names: string[]): tf.layers.Layer {
  let container: tf.LayersModel = model;
  for (const n of names.slice(0, -1)) container = container.getLayer(n) as unknown as tf.LayersModel;
  return container.getLayer(names[names.length - 1]);
}

async function withH5<T>(bytes: Uint8Array, use: (f: H5File) => T): Promise<T> {
  await h5wasm.ready;
  // h5wasm's Node build opens files by path, so the archive member goes through a private temp dir.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mlflow-keras3-'));
  const file = path.join(dir, 'model.weights.h5');
  try {
    await writeFile(file, bytes);
    let f: H5File;
    try {
      f = new h5wasm.File(file, 'r');
    } catch (err) {
      throw new Error(`not an HDF5 file (${(err as Error).message})`);
    }
    try {
      return use(f);
    } finally {
      f.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Sets every weight of the tfjs model from a Keras 3 model.weights.h5, layer by layer and by
 * position within each layer (Keras saves a layer's trainable variables, then its
 * non-trainable ones, in creation order, which is tfjs-layers' order too).
 */
export async function assignKerasWeights(model: tf.LayersModel, slots: WeightSlot[], bytes: Uint8Array, file: string): Promise<void> {
  let values: { slot: WeightSlot; vars: H5Weight[]; at: string }[];
  try {
    values = await withH5(bytes, (f) =>
      slots.map((slot) => {
        const vars = slot.varsPaths.flatMap((p) => {
          const { g, at } = varsGroup(f, p);
          return g ? readVars(g, at, file) : [];
        });
        return { slot, vars, at: slot.varsPaths.join(' + ') };
      }),
    );
  } catch (err) {
    if (err instanceof MlflowError) throw err;
    throw new MlflowError(`${file}: model.weights.h5 cannot be read: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  for (const { slot, vars, at } of values) {
    const layer = findLayer(model, slot.names);
    const want = layer.weights.length;
    if (want === 0) continue;
    const name = slot.names.join('/');
    if (vars.length !== want) {
      throw new MlflowError(
        `${file}: layer '${name}' needs ${want} weights but model.weights.h5 has ${vars.length} at ${at}`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    const tensors = vars.map((v) => tf.tensor(v.data, v.shape, 'float32'));
    try {
      layer.setWeights(tensors);
    } catch (err) {
      throw new MlflowError(`${file}: weights of layer '${name}' do not fit it: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
    } finally {
      tf.dispose(tensors);
    }
  }
}

// What the tests on test/fixtures/tensorflow/real share: its expected.json and the comparison.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync } from 'fflate';
import { expect } from 'vitest';
import { isTensor, makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { MlflowError } from '../../../src/errors.js';

export const REAL_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/real');

/** A tensor as make_fixtures.py records it. */
export interface Recorded {
  shape: number[];
  dtype: string;
  data: number[];
}
export interface SignatureCase {
  inputs: Record<string, Recorded>;
  outputs: Record<string, Recorded>;
}
export interface Expected {
  keras_models: Record<string, { inputs: Record<string, Recorded>; outputs: Recorded | Record<string, Recorded> }>;
  savedmodels: Record<string, SignatureCase | Record<string, SignatureCase>>;
}

export async function readExpected(): Promise<Expected> {
  return JSON.parse(await readFile(path.join(REAL_DIR, 'expected.json'), 'utf8')) as Expected;
}

export function tensorOf(r: Recorded): Tensor {
  if (r.dtype === 'int64') return makeTensor({ dtype: 'int64', shape: r.shape, data: Float64Array.from(r.data) });
  if (r.dtype.startsWith('int')) return makeTensor({ dtype: 'int32', shape: r.shape, data: Int32Array.from(r.data) });
  return makeTensor({ dtype: 'float32', shape: r.shape, data: Float32Array.from(r.data) });
}

/** Same shape, every value within 1e-5 of what TensorFlow computed. */
export function expectClose(got: unknown, want: Recorded): void {
  if (!isTensor(got)) throw new Error('expected a tensor');
  expect(got.shape).toEqual(want.shape);
  const data = got.data as ArrayLike<number>;
  let worst = 0;
  want.data.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(Number(data[i]) - v));
  });
  expect(worst).toBeLessThan(1e-5);
}

export async function refusal(p: Promise<unknown>): Promise<MlflowError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof MlflowError)) throw new Error(`expected an MlflowError, got ${String(err)}`);
  return err;
}

/** A copy (in dir) of a Keras archive whose config.json went through edit. */
export async function editedKerasArchive(file: string, dir: string, edit: (config: Record<string, unknown>) => void): Promise<string> {
  const files = unzipSync(await readFile(file));
  const config = JSON.parse(new TextDecoder().decode(files['config.json'])) as Record<string, unknown>;
  edit(config);
  files['config.json'] = new TextEncoder().encode(JSON.stringify(config));
  const out = path.join(dir, `${path.basename(file, '.keras')}-${Math.random().toString(36).slice(2)}.keras`);
  await writeFile(out, zipSync(files));
  return out;
}

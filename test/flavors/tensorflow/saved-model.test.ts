import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSavedModelSignature } from '../../../src/flavors/tensorflow/saved-model.js';

const MODELS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/models');
let tmp = '';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tf-savedmodel-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('loadSavedModelSignature: bad input fails cleanly', () => {
  it('refuses a corrupt or truncated saved_model.pb, naming the file', async () => {
    const dir = path.join(tmp, 'corrupt');
    await cp(path.join(MODELS, 'times_three_float', 'tf2model'), dir, { recursive: true });
    const pb = await readFile(path.join(dir, 'saved_model.pb'));
    await writeFile(path.join(dir, 'saved_model.pb'), pb.subarray(0, pb.length >> 1));
    await expect(loadSavedModelSignature(dir)).rejects.toThrow(/saved_model\.pb is not a valid TensorFlow SavedModel protobuf/);
    await writeFile(path.join(dir, 'saved_model.pb'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    await expect(loadSavedModelSignature(dir)).rejects.toThrow(/not a valid TensorFlow SavedModel protobuf/);
  });

  it('refuses unknown tags, listing the MetaGraphs there are', async () => {
    await expect(loadSavedModelSignature(path.join(MODELS, 'times_three_float', 'tf2model'), { tags: ['gpu'] })).rejects.toThrow(
      /no MetaGraph with tags \[gpu\]; it has \[serve\]/,
    );
  });

  it('refuses a missing variables/ checkpoint, naming the file', async () => {
    const dir = path.join(tmp, 'novars');
    await cp(path.join(MODELS, 'times_three_float', 'tf2model', 'saved_model.pb'), path.join(dir, 'saved_model.pb'), { recursive: true });
    await expect(loadSavedModelSignature(dir)).rejects.toThrow(/Cannot read checkpoint index '.*variables\.index'/);
  });
});

import { appendFile, cp, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { copyWritable } from './copy-writable.js';
import { graphCacheDir } from '../../../src/flavors/tensorflow/graph-cache.js';
import { runSignature } from '../../../src/flavors/tensorflow/run-signature.js';
import { loadSavedModelSignature, type SavedModelOptions, type SavedModelSignature } from '../../../src/flavors/tensorflow/saved-model.js';

const MODELS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/models');
const f32 = (v: number[]): Tensor => makeTensor({ dtype: 'float32', shape: [v.length], data: Float32Array.from(v) });
let tmp = '';
const open: SavedModelSignature[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tf-graph-cache-'));
});
afterAll(async () => {
  for (const s of open) s.model.dispose();
  await rm(tmp, { recursive: true, force: true });
});

async function load(dir: string, options: SavedModelOptions): Promise<SavedModelSignature> {
  const sig = await loadSavedModelSignature(dir, options);
  open.push(sig);
  return sig;
}

async function predict(sig: SavedModelSignature, x: number[]): Promise<number[]> {
  const out = await runSignature(sig, { x: f32(x) });
  return Array.from(out.output_0.data as Float32Array);
}

async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).filter((n) => n.endsWith('.tfgraph')).sort();
}

describe('converted-graph cache', () => {
  it('a second load reads the graph from the cache file, and predicts the same', async () => {
    const cacheDir = path.join(tmp, 'basic');
    const model = path.join(MODELS, 'times_three_float', 'tf2model');
    const first = await load(model, { cacheDir });
    expect(first.fromCache).toBe(false);
    expect(await entries(cacheDir)).toHaveLength(1);
    const second = await load(model, { cacheDir });
    expect(second.fromCache).toBe(true);
    expect(await entries(cacheDir)).toHaveLength(1);
    expect(await predict(second, [1, 2, 3])).toEqual([3, 6, 9]);
    expect(await predict(second, [1, 2, 3])).toEqual(await predict(first, [1, 2, 3]));
  });

  it('keys entries by signature and tags: each signature gets its own, and its own answers', async () => {
    const cacheDir = path.join(tmp, 'signatures');
    const model = path.join(MODELS, 'module_with_multiple_signatures', 'tf2model');
    for (let round = 0; round < 2; round++) {
      const triple = await load(model, { cacheDir });
      const double = await load(model, { cacheDir, signatureKey: 'timestwo' });
      expect([triple.fromCache, double.fromCache]).toEqual([round === 1, round === 1]);
      expect(await predict(triple, [1, 2, 3])).toEqual([3, 6, 9]);
      expect(await predict(double, [1, 2, 3])).toEqual([2, 4, 6]);
    }
    expect(await entries(cacheDir)).toHaveLength(2);
    await expect(load(model, { cacheDir, tags: ['gpu'] })).rejects.toThrow(/no MetaGraph with tags \[gpu\]/);
  });

  it('ignores a damaged or truncated entry and writes a good one in its place', async () => {
    const cacheDir = path.join(tmp, 'damaged');
    const model = path.join(MODELS, 'half_plus_two_cpu', 'tfmodel');
    await load(model, { cacheDir });
    const [name] = await entries(cacheDir);
    const file = path.join(cacheDir, name);
    const bytes = await readFile(file);
    bytes[bytes.length - 3] ^= 0xff; // a weight's byte
    await writeFile(file, bytes);
    const afterFlip = await load(model, { cacheDir });
    expect(afterFlip.fromCache).toBe(false);
    expect(Array.from((await runSignature(afterFlip, { x: makeTensor({ dtype: 'float32', shape: [3, 1], data: Float32Array.from([1, 2, 3]) }) })).y.data)).toEqual([2.5, 3, 3.5]);
    expect((await load(model, { cacheDir })).fromCache).toBe(true);

    await writeFile(file, (await readFile(file)).subarray(0, 40));
    expect((await load(model, { cacheDir })).fromCache).toBe(false);
    await writeFile(file, 'not a cache file');
    expect((await load(model, { cacheDir })).fromCache).toBe(false);
    expect((await load(model, { cacheDir })).fromCache).toBe(true);
    expect(await entries(cacheDir)).toEqual([name]);
  });

  it('never serves a stale graph: a changed saved_model.pb or variables file is converted again', async () => {
    const cacheDir = path.join(tmp, 'stale');
    const model = path.join(tmp, 'stale-model');
    await copyWritable(path.join(MODELS, 'times_three_float', 'tf2model'), model);
    expect(await predict(await load(model, { cacheDir }), [1, 2, 3])).toEqual([3, 6, 9]);
    // Same directory, another model in it.
    await rm(model, { recursive: true, force: true });
    await copyWritable(path.join(MODELS, 'module_with_multiple_signatures', 'tf2model'), model);
    const other = await load(model, { cacheDir, signatureKey: 'timestwo' });
    expect(other.fromCache).toBe(false);
    expect(await predict(other, [1, 2, 3])).toEqual([2, 4, 6]);
    // Only a variables file changed (a byte appended past the tensors: same values, other content).
    await appendFile(path.join(model, 'variables', 'variables.data-00000-of-00001'), Buffer.from([0]));
    expect((await load(model, { cacheDir, signatureKey: 'timestwo' })).fromCache).toBe(false);
  });

  it('keys by content, not path: a copy of the model in another folder (a new download) reads the same entry', async () => {
    const cacheDir = path.join(tmp, 'copies');
    const copy = path.join(tmp, 'copy-1');
    await load(path.join(MODELS, 'times_three_float', 'tf2model'), { cacheDir });
    await copyWritable(path.join(MODELS, 'times_three_float', 'tf2model'), copy);
    const fromCopy = await load(copy, { cacheDir });
    expect(fromCopy.fromCache).toBe(true);
    expect(await predict(fromCopy, [1, 2, 3])).toEqual([3, 6, 9]);
    expect(await entries(cacheDir)).toHaveLength(1);
  });

  it('ignores an entry made for another model, even under this one\'s file name', async () => {
    const cacheDir = path.join(tmp, 'swapped');
    const a = path.join(MODELS, 'times_three_float', 'tf2model');
    const b = path.join(MODELS, 'module_with_multiple_signatures', 'tf2model');
    await load(a, { cacheDir });
    const [aName] = await entries(cacheDir);
    await load(b, { cacheDir, signatureKey: 'timestwo' });
    const bName = (await entries(cacheDir)).find((n) => n !== aName) as string;
    await cp(path.join(cacheDir, bName), path.join(cacheDir, aName));
    const again = await load(a, { cacheDir });
    expect(again.fromCache).toBe(false);
    expect(await predict(again, [1, 2, 3])).toEqual([3, 6, 9]);
  });

  it('removes entries unused for 30 days and dead writers\' temporary files when it writes; a hit keeps an entry', async () => {
    const cacheDir = path.join(tmp, 'prune');
    const model = path.join(MODELS, 'times_three_float', 'tf2model');
    await load(model, { cacheDir });
    const [used] = await entries(cacheDir);
    const longAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
    const old = path.join(cacheDir, `${'0'.repeat(64)}.tfgraph`);
    const leftover = path.join(cacheDir, `${used}.123.abc.tmp`);
    for (const f of [old, leftover]) {
      await writeFile(f, 'x');
      await utimes(f, longAgo, longAgo);
    }
    await utimes(path.join(cacheDir, used), longAgo, longAgo);
    expect((await load(model, { cacheDir })).fromCache).toBe(true); // refreshes `used`
    await load(path.join(MODELS, 'times_two_int', 'tf2model'), { cacheDir }); // a write prunes
    const left = await readdir(cacheDir);
    expect(left).toContain(used);
    expect(left).not.toContain(path.basename(old));
    expect(left).not.toContain(path.basename(leftover));
    expect(await entries(cacheDir)).toHaveLength(2);
  });

  it('cacheDir: false writes nothing', async () => {
    const cacheDir = path.join(tmp, 'off');
    const sig = await load(path.join(MODELS, 'times_three_float', 'tf2model'), { cacheDir: false });
    expect(sig.fromCache).toBe(false);
    expect(await entries(cacheDir)).toEqual([]);
  });

  it('finds its folder from MLFLOW_TS_CACHE_DIR, XDG_CACHE_HOME or the home directory; MLFLOW_TS_TF_GRAPH_CACHE=0 turns it off', () => {
    expect(graphCacheDir(undefined, { MLFLOW_TS_CACHE_DIR: '/c' })).toBe(path.join('/c', 'tf-graphs'));
    expect(graphCacheDir(undefined, { XDG_CACHE_HOME: '/x' })).toBe(path.join('/x', 'mlflow-ts', 'tf-graphs'));
    expect(graphCacheDir(undefined, {})).toBe(path.join(os.homedir(), '.cache', 'mlflow-ts', 'tf-graphs'));
    expect(graphCacheDir(undefined, { MLFLOW_TS_CACHE_DIR: '/c', MLFLOW_TS_TF_GRAPH_CACHE: '0' })).toBeUndefined();
    expect(graphCacheDir('/explicit', { MLFLOW_TS_TF_GRAPH_CACHE: 'off' })).toBe('/explicit');
    expect(graphCacheDir(false, { MLFLOW_TS_CACHE_DIR: '/c' })).toBeUndefined();
  });
});

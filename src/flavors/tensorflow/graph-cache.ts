import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '../../tfjs/tf.js';
import type { SignatureTensor } from './freeze.js';

/** Root of mlflow-ts's caches; converted graphs go in its `tf-graphs/` folder. */
export const CACHE_DIR_ENV = 'MLFLOW_TS_CACHE_DIR';
/** `0`, `false` or `off` turns the converted-graph cache off. */
export const GRAPH_CACHE_ENV = 'MLFLOW_TS_TF_GRAPH_CACHE';

/** One SavedModel signature after conversion: what loading it needs, without the SavedModel. */
export interface ConvertedSignature {
  signatureKey: string;
  methodName: string;
  inputs: SignatureTensor[];
  outputs: SignatureTensor[];
  /** Every op of the graph and its functions, sorted, for the choice of backend. */
  ops: string[];
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/** Where one converted signature is cached, and the text that identifies its source exactly. */
export interface GraphCacheEntry {
  file: string;
  key: string;
}

/** The JSON header of a cache file: the conversion without its weights, and the entry's key. */
type CachedHeader = Omit<ConvertedSignature, 'weightData'> & { key: string };

/**
 * A cache file is MAGIC, the hex SHA-256 of the rest and a newline, then the rest: the header's
 * length (uint32 LE), the header JSON, the weights' bytes.
 */
const MAGIC = Buffer.from('mlflow-ts tf-graph\n');
const HASH_HEX = 64;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Entries unused this long are removed: new model versions and new mlflow-ts releases leave old ones behind. */
export const UNUSED_ENTRY_DAYS = 30;

function disabled(value: string | undefined): boolean {
  return value !== undefined && /^(0|false|off|no)$/i.test(value);
}

/**
 * The folder converted graphs are cached in: `option` when it is a path, none when it is false
 * or MLFLOW_TS_TF_GRAPH_CACHE turns the cache off, else MLFLOW_TS_CACHE_DIR/tf-graphs, else
 * $XDG_CACHE_HOME/mlflow-ts/tf-graphs, else ~/.cache/mlflow-ts/tf-graphs.
 */
export function graphCacheDir(option?: string | false, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (option === false) return undefined;
  if (option !== undefined) return option;
  if (disabled(env[GRAPH_CACHE_ENV])) return undefined;
  const root = env[CACHE_DIR_ENV] || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mlflow-ts');
  return path.join(root, 'tf-graphs');
}

let converterHash: Promise<string | undefined> | undefined;

/**
 * A hash of the converter's own code (this folder and the readers it uses) and of tfjs's
 * version: a new mlflow-ts or tfjs never reads a graph an older one converted. Undefined (no
 * cache) when that code is not laid out as files beside this one, as in a single-file bundle.
 */
function converterVersion(): Promise<string | undefined> {
  converterHash ??= (async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const h = createHash('sha256').update(JSON.stringify(tf.version));
    try {
      for (const dir of [here, path.join(here, '../../formats/protobuf'), path.join(here, '../../formats/tensorbundle')]) {
        const names = (await readdir(dir)).filter((n) => /\.(js|ts)$/.test(n)).sort();
        for (const name of names) h.update(`${path.basename(dir)}/${name}\0`).update(await readFile(path.join(dir, name)));
      }
    } catch {
      return undefined;
    }
    return h.digest('hex');
  })();
  return converterHash;
}

async function fileHash(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The SHA-256 of each file in variables/, by name. */
async function variablesHashes(dir: string): Promise<Record<string, string>> {
  const vars = path.join(dir, 'variables');
  let names: string[];
  try {
    names = (await readdir(vars, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  for (const name of names) out[name] = await fileHash(path.join(vars, name));
  return out;
}

/**
 * The cache entry of one signature, keyed by content, not by path: the SHA-256 of saved_model.pb
 * and of each variables/ file, the tags, the signature key and the converter's version. A model
 * fetched from a tracking server lands in a new temporary folder at each load; keyed by content,
 * a restart still finds its graph, and the copies share one entry. Undefined when the converter's
 * version cannot be told (see converterVersion).
 */
export async function graphCacheEntry(
  cacheDir: string,
  dir: string,
  savedModelPb: Uint8Array,
  tags: readonly string[],
  signatureKey: string,
): Promise<GraphCacheEntry | undefined> {
  const converter = await converterVersion();
  if (converter === undefined) return undefined;
  const key = JSON.stringify({
    converter,
    savedModelPb: createHash('sha256').update(savedModelPb).digest('hex'),
    variables: await variablesHashes(dir),
    tags: [...new Set(tags)].sort(),
    signatureKey,
  });
  return { file: path.join(cacheDir, `${createHash('sha256').update(key).digest('hex')}.tfgraph`), key };
}

/**
 * The cached conversion, or undefined when there is none or it is unreadable, damaged (its
 * checksum differs) or was made from something else (its key differs): the caller converts again.
 */
export async function readCachedGraph(entry: GraphCacheEntry): Promise<ConvertedSignature | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(entry.file);
  } catch {
    return undefined;
  }
  const start = MAGIC.length + HASH_HEX + 1;
  if (bytes.length < start + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const body = bytes.subarray(start);
  const sum = bytes.subarray(MAGIC.length, MAGIC.length + HASH_HEX).toString('latin1');
  if (createHash('sha256').update(body).digest('hex') !== sum) return undefined;
  const headerLength = body.readUInt32LE(0);
  if (4 + headerLength > body.length) return undefined;
  let h: CachedHeader;
  try {
    h = JSON.parse(body.subarray(4, 4 + headerLength).toString('utf8')) as CachedHeader;
  } catch {
    return undefined;
  }
  if (h.key !== entry.key) return undefined;
  // A hit marks the entry as used, so that pruneGraphCache keeps it.
  const now = new Date();
  await utimes(entry.file, now, now).catch(() => undefined);
  const weights = new Uint8Array(body.length - 4 - headerLength);
  weights.set(body.subarray(4 + headerLength));
  return {
    signatureKey: h.signatureKey, methodName: h.methodName, inputs: h.inputs, outputs: h.outputs, ops: h.ops,
    modelTopology: h.modelTopology, weightSpecs: h.weightSpecs, weightData: weights.buffer,
  };
}

/**
 * Writes the conversion to the cache: to a temporary file renamed into place, so a reader never
 * sees half a file. A cache that cannot be written (read-only home, full disk) is skipped, as is
 * a graph JSON cannot carry exactly (an attribute that is NaN or infinite).
 */
export async function writeCachedGraph(entry: GraphCacheEntry, converted: ConvertedSignature): Promise<boolean> {
  let header: Buffer;
  try {
    const { signatureKey, methodName, inputs, outputs, ops, modelTopology, weightSpecs } = converted;
    const fields: CachedHeader = { key: entry.key, signatureKey, methodName, inputs, outputs, ops, modelTopology, weightSpecs };
    header = Buffer.from(JSON.stringify(fields, (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError('not finite');
      return v;
    }));
  } catch {
    return false;
  }
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const body = Buffer.concat([length, header, Buffer.from(converted.weightData)]);
  const sum = Buffer.from(`${createHash('sha256').update(body).digest('hex')}\n`, 'latin1');
  const tmp = `${entry.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(path.dirname(entry.file), { recursive: true, mode: 0o700 });
    await writeFile(tmp, Buffer.concat([MAGIC, sum, body]), { mode: 0o600 });
    await rename(tmp, entry.file);
    await pruneGraphCache(path.dirname(entry.file));
    return true;
  } catch {
    await unlink(tmp).catch(() => undefined);
    return false;
  }
}

/**
 * Removes entries not used for UNUSED_ENTRY_DAYS days (a hit refreshes an entry's modification
 * time) and temporary files a writer that died left behind over a day ago. Runs after each write,
 * so the cache only grows with the models in use.
 */
export async function pruneGraphCache(cacheDir: string, now = Date.now()): Promise<void> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  for (const name of names) {
    const maxAge = name.endsWith('.tfgraph') ? UNUSED_ENTRY_DAYS * DAY_MS : name.endsWith('.tmp') ? DAY_MS : undefined;
    if (maxAge === undefined) continue;
    const file = path.join(cacheDir, name);
    const s = await stat(file).catch(() => undefined);
    if (s && now - s.mtimeMs > maxAge) await unlink(file).catch(() => undefined);
  }
}

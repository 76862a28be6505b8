import { readFile } from 'node:fs/promises';
import type { Node, Pair } from 'yaml';
import { MlflowError } from '../errors.js';
import { yamlPackage } from '../formats/yaml-package.js';

/** Scores concurrent small requests of one model as one batch (opt-in per model). */
export interface BatchingConfig {
  /** Rows a batch may hold; a request larger than this is scored alone. */
  readonly maxBatchSize: number;
  /** Longest a request waits for others to join its batch. */
  readonly maxWaitMs: number;
}

/** One model of a multi-model server. */
export interface ServedModelConfig {
  /** Its name in /models/{name}/invocations, /v2/models/{name} and metrics. */
  readonly name: string;
  readonly uri: string;
  /** Re-resolve a registry URI (models:/name@alias, /Stage, /latest) this often and swap in a new version. */
  readonly reloadIntervalSeconds?: number;
  readonly runtime?: 'auto' | 'native' | 'python';
  readonly flavor?: string;
  readonly batching?: BatchingConfig;
}

export interface ServeConfig {
  readonly models: readonly ServedModelConfig[];
}

/** A model name that is safe in a URL path segment and a Prometheus label. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Reads `models serve --config serve.yaml`:
 *
 *     models:
 *       - name: iris
 *         uri: models:/iris@champion
 *         reload_interval_seconds: 30
 *         runtime: native
 *         batching: { max_batch_size: 64, max_wait_ms: 5 }
 *
 * Every mistake is refused at start, naming the file, line and key.
 */
export async function readServeConfig(file: string): Promise<ServeConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new MlflowError(`Cannot read the serve config ${file}: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  return parseServeConfig(text, file);
}

export function parseServeConfig(text: string, file: string): ServeConfig {
  const { isMap, isScalar, isSeq, LineCounter, parseDocument } = yamlPackage();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (node: Node | Pair | null | undefined): string => {
    const range = node && 'range' in node ? node.range : node && 'key' in node && isScalar(node.key) ? node.key.range : undefined;
    return range ? `${file}:${lines.linePos(range[0]).line}` : file;
  };
  const fail = (node: Node | Pair | null | undefined, message: string): never => {
    throw new MlflowError(`${at(node)}: ${message}`, 'INVALID_PARAMETER_VALUE');
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new MlflowError(`${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`, 'INVALID_PARAMETER_VALUE');
  }
  const root = doc.contents;
  if (!isMap(root)) return fail(root, "the serve config must be a mapping with a 'models' list");
  let modelsNode: Node | undefined;
  for (const pair of root.items) {
    const key = keyOf(pair, fail);
    if (key !== 'models') fail(pair, `unknown key '${key}' (the config has one key, 'models')`);
    modelsNode = pair.value as Node;
  }
  if (!isSeq(modelsNode) || modelsNode.items.length === 0) return fail(modelsNode ?? root, "'models' must be a non-empty list");
  const names = new Set<string>();
  const models = modelsNode.items.map((item) => {
    if (!isMap(item)) return fail(item as Node, 'each model must be a mapping with name and uri');
    const entry: Record<string, unknown> = {};
    for (const pair of item.items) {
      const key = keyOf(pair, fail);
      const value = pair.value as Node;
      const scalar = isScalar(value) ? value.value : undefined;
      switch (key) {
        case 'name':
          if (typeof scalar !== 'string' || !MODEL_NAME.test(scalar)) fail(pair, "'name' must be letters, digits, '_', '.', '-' (starting with a letter or digit)");
          if (names.has(scalar as string)) fail(pair, `model name '${String(scalar)}' appears twice`);
          names.add(scalar as string);
          entry.name = scalar;
          break;
        case 'uri':
          if (typeof scalar !== 'string' || scalar === '') fail(pair, "'uri' must be a model URI");
          entry.uri = scalar;
          break;
        case 'reload_interval_seconds':
          if (typeof scalar !== 'number' || !(scalar >= 1)) fail(pair, "'reload_interval_seconds' must be a number of seconds >= 1");
          entry.reloadIntervalSeconds = scalar;
          break;
        case 'runtime':
          if (scalar !== 'auto' && scalar !== 'native' && scalar !== 'python') fail(pair, "'runtime' must be auto, native or python");
          entry.runtime = scalar;
          break;
        case 'flavor':
          if (typeof scalar !== 'string') fail(pair, "'flavor' must be a flavor name");
          entry.flavor = scalar;
          break;
        case 'batching':
          entry.batching = readBatching(value, fail, keyOf);
          break;
        default:
          fail(pair, `unknown key '${key}' (a model takes name, uri, reload_interval_seconds, runtime, flavor, batching)`);
      }
    }
    if (entry.name === undefined) fail(item, "a model needs a 'name'");
    if (entry.uri === undefined) fail(item, `model '${String(entry.name)}' needs a 'uri'`);
    return entry as unknown as ServedModelConfig;
  });
  return { models };
}

type Fail = (node: Node | Pair | null | undefined, message: string) => never;

function keyOf(pair: Pair, fail: Fail): string {
  const { isScalar } = yamlPackage();
  if (!isScalar(pair.key) || typeof pair.key.value !== 'string') return fail(pair, 'keys must be strings');
  return pair.key.value;
}

function readBatching(value: Node, fail: Fail, key: (pair: Pair, fail: Fail) => string): BatchingConfig {
  const { isMap, isScalar } = yamlPackage();
  if (!isMap(value)) return fail(value, "'batching' must be a mapping with max_batch_size and max_wait_ms");
  let maxBatchSize = 64;
  let maxWaitMs = 5;
  for (const pair of value.items) {
    const k = key(pair, fail);
    const v = isScalar(pair.value) ? pair.value.value : undefined;
    if (k === 'max_batch_size') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1_000_000) fail(pair, "'max_batch_size' must be an integer from 1 to 1000000");
      maxBatchSize = v as number;
    } else if (k === 'max_wait_ms') {
      if (typeof v !== 'number' || !(v >= 0) || v > 10_000) fail(pair, "'max_wait_ms' must be a number of milliseconds from 0 to 10000");
      maxWaitMs = v as number;
    } else {
      fail(pair, `unknown key '${k}' under batching (max_batch_size, max_wait_ms)`);
    }
  }
  return { maxBatchSize, maxWaitMs };
}

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import { decodeTensorflowMessage, type KerasSavedMetadata } from '../../formats/protobuf/index.js';
import { readSavedModelProto, selectMetaGraph } from './saved-model.js';

/**
 * How tf.keras (Keras 2) predict returns the outputs of a model saved as a SavedModel
 * (`save_format="tf"`), which MLflow 2.22.1 loads with keras.models.load_model: `order` lists the
 * serving signature's output keys in model.outputs order; `dictKeys`, when the model's outputs are
 * a dict, the dict's keys in its own order, each with its signature key.
 */
export interface Keras2Outputs {
  order: string[];
  dictKeys?: { key: string; signatureKey: string }[];
}

/** The root object's metadata JSON: keras_metadata.pb (tf.keras >= 2.5), else the object graph (2.0-2.4). */
async function rootMetadata(dir: string, tags: readonly string[]): Promise<string | undefined> {
  const file = path.join(dir, 'keras_metadata.pb');
  if (existsSync(file)) {
    const meta = decodeTensorflowMessage<KerasSavedMetadata>('KerasSavedMetadata', await readFile(file), file);
    return meta.nodes.find((n) => n.nodePath === 'root')?.metadata;
  }
  const mg = selectMetaGraph(await readSavedModelProto(dir), tags, dir);
  return mg.objectGraphDef?.nodes[0]?.userObject?.metadata || undefined;
}

/** [layer_name, node_index, tensor_index], as a Keras 2 config names one output. */
function isOutputRef(v: unknown): v is [string, number, number] {
  return Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number';
}

/** Keras 2's Functional._set_output_names: layer names made unique with _1, _2, ... */
function uniqueOutputNames(layers: readonly string[]): string[] {
  const seen = new Set<string>();
  const count = new Map<string, number>();
  return layers.map((layer) => {
    let name = layer;
    while (seen.has(name)) {
      const n = count.get(layer) ?? 1;
      name = `${layer}_${n}`;
      count.set(layer, n + 1);
    }
    seen.add(name);
    return name;
  });
}

/** Python's sorted() on str: by code point. */
function byCodePoint(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0) as number);
  const y = [...b].map((c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/**
 * Reads the Keras model config a tf.keras SavedModel carries and orders the serving signature's
 * outputs as tf.keras's predict returns them. Keras 2's save names each signature output after
 * model.output_names (the output layers, made unique), in model.outputs order: the config's
 * output_layers list, or a dict's values in sorted key order (tf.nest.flatten), predict then
 * returning the dict in its own key order. A single output needs no config. Several outputs
 * whose order the config does not tell (no config, a subclassed model, nested outputs, names
 * that do not match the signature's) are refused by name, never guessed.
 */
export async function keras2Outputs(dir: string, tags: readonly string[], signatureKeys: readonly string[]): Promise<Keras2Outputs> {
  const what = `Keras SavedModel ${dir}`;
  let meta: { class_name?: unknown; config?: { output_layers?: unknown } } | undefined;
  try {
    const json = await rootMetadata(dir, tags);
    meta = json === undefined ? undefined : (JSON.parse(json) as typeof meta);
  } catch (err) {
    if (signatureKeys.length === 1) return { order: [...signatureKeys] };
    throw new MlflowError(`${what}: its Keras metadata cannot be read (${(err as Error).message}), so the order of its outputs is unknown`, 'NOT_IMPLEMENTED', { cause: err });
  }
  const layers = meta?.config?.output_layers;
  const refuse = (why: string): never => {
    throw new MlflowError(
      `${what} has ${signatureKeys.length} outputs (${signatureKeys.map((k) => `'${k}'`).join(', ')}) and ${why}: the order in which Keras's predict returns them is unknown`,
      'NOT_IMPLEMENTED',
    );
  };
  if (layers === undefined || layers === null) {
    if (signatureKeys.length === 1) return { order: [...signatureKeys] };
    return refuse(`no Keras output_layers in its metadata (class ${String(meta?.class_name ?? 'unknown')})`);
  }
  let refs: [string, number, number][];
  let dict: string[] | undefined;
  if (isOutputRef(layers)) refs = [layers];
  else if (Array.isArray(layers) && layers.every(isOutputRef)) refs = layers;
  else if (typeof layers === 'object' && !Array.isArray(layers) && Object.values(layers).every(isOutputRef)) {
    const entries = layers as Record<string, [string, number, number]>;
    dict = Object.keys(entries);
    // JSON.parse puts integer-like keys first: the dict's own order is then lost.
    if (dict.some((k) => /^(0|[1-9]\d*)$/.test(k))) return refuse(`dict outputs keyed by integers (${dict.join(', ')})`);
    refs = [...dict].sort(byCodePoint).map((k) => entries[k]);
  } else return refuse('nested output_layers');
  const names = uniqueOutputNames(refs.map((r) => r[0]));
  const want = [...signatureKeys].sort().join('\0');
  if ([...names].sort().join('\0') !== want) return refuse(`Keras output names ${names.map((n) => `'${n}'`).join(', ')} that are not the signature's`);
  if (dict === undefined) return { order: names };
  const sorted = [...dict].sort(byCodePoint);
  return { order: names, dictKeys: dict.map((key) => ({ key, signatureKey: names[sorted.indexOf(key)] })) };
}

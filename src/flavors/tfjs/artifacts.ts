import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '../../tfjs/tf.js';
import { MlflowError } from '../../errors.js';
import { resolveInside } from '../../model/path-safety.js';
import { concatBytes } from '../../formats/concat-bytes.js';

export const MODEL_JSON = 'model.json';
const WEIGHTS_FILE = 'group1-shard1of1.bin';

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology?: unknown;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Reads a TensorFlow.js model directory (model.json + weight shards, as tf.LayersModel.save and
 * tensorflowjs_converter write it) into ModelArtifacts. Every shard path must stay inside `dir`.
 */
export async function readTfjsArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const file = path.join(dir, MODEL_JSON);
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as ModelJson;
  } catch (err) {
    throw new MlflowError(`Cannot read TensorFlow.js model ${file}: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  if (typeof json !== 'object' || json === null || json.modelTopology === undefined) {
    throw new MlflowError(`${file} has no modelTopology`, 'INVALID_PARAMETER_VALUE');
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) chunks.push(await readFile(resolveInside(dir, p, `${MODEL_JSON} weightsManifest path`)));
    weightSpecs.push(...group.weights);
  }
  return {
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    signature: json.signature as tf.io.ModelArtifacts['signature'],
    userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
    modelInitializer: json.modelInitializer as tf.io.ModelArtifacts['modelInitializer'],
    weightSpecs,
    weightData: concatBytes(chunks),
  };
}

/** Writes ModelArtifacts as model.json + one weight shard, the layout tfjs's own savers use. */
export async function writeTfjsArtifacts(dir: string, a: tf.io.ModelArtifacts): Promise<void> {
  await mkdir(dir, { recursive: true });
  const data = a.weightData === undefined ? new Uint8Array(0) : Array.isArray(a.weightData)
    ? Buffer.concat(a.weightData.map((b) => new Uint8Array(b)))
    : new Uint8Array(a.weightData);
  const json: ModelJson = {
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    modelTopology: a.modelTopology,
    ...(a.signature ? { signature: a.signature } : {}),
    ...(a.userDefinedMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}),
    weightsManifest: [{ paths: data.length > 0 ? [WEIGHTS_FILE] : [], weights: a.weightSpecs ?? [] }],
  };
  if (data.length > 0) await writeFile(path.join(dir, WEIGHTS_FILE), data);
  await writeFile(path.join(dir, MODEL_JSON), JSON.stringify(json));
}

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '../../tfjs/tf.js';
import { MlflowError } from '../../errors.js';
import {
  dataTypeName, decodeTensorflowMessage, type MetaGraphDef, type TrackableObjectGraph, type SavedModelProto, type SignatureDef,
} from '../../formats/protobuf/index.js';
import { TensorBundle } from '../../formats/tensorbundle/index.js';
import { availableTfBackend, chooseTfBackend, onTfBackend, type TfBackend } from '../../tfjs/backend.js';
import { checkpointKeys, objectGraphKeys, VARIABLE_OPS } from './checkpoint-keys.js';
import { convertControlFlowFunctions } from './control-flow.js';
import { DEFAULT_SIGNATURE_KEY, DEFAULT_TAGS } from './defaults.js';
import { prepareTfjs, rewriteTrainingBatchNorm } from './custom-ops.js';
import { freezeSignature, type SignatureTensor } from './freeze.js';
import { fuseBiasActivation } from './fuse-ops.js';
import { graphCacheDir, graphCacheEntry, readCachedGraph, writeCachedGraph, type ConvertedSignature } from './graph-cache.js';
import { nodeMap } from './graph-node.js';
import { inlineFunctionCalls } from './inline-calls.js';
import { runListLoopsOurselves } from './list-loops.js';
import { TFJS_OPS } from './tfjs-ops.js';
import { toModelArtifacts } from './tfjs-artifacts.js';

/** Signatures TensorFlow adds for its own bookkeeping, never for inference. */
const INTERNAL_SIGNATURES = new Set(['__saved_model_init_op']);

export interface SavedModelOptions {
  /** The MetaGraph's tags; the set must match exactly, as TensorFlow's loader requires. Default ['serve']. */
  tags?: readonly string[];
  /** Default 'serving_default'. */
  signatureKey?: string;
  /** The tfjs backend to run on; default MLFLOW_TS_TF_BACKEND, else chosen by the graph's ops (backend.ts). */
  backend?: TfBackend;
  /** The converted-graph cache's folder, or false for none; default graphCacheDir() (graph-cache.ts). */
  cacheDir?: string | false;
}

/** One signature of a SavedModel, converted to a tfjs GraphModel. */
export interface SavedModelSignature {
  readonly signatureKey: string;
  readonly methodName: string;
  readonly inputs: readonly SignatureTensor[];
  readonly outputs: readonly SignatureTensor[];
  readonly model: tf.GraphModel;
  /** The backend it runs on; runSignature moves it to cpu for good when it fails on wasm and cpu answers. */
  backend: TfBackend;
  /** True when the graph came from the conversion cache instead of the SavedModel's graph. */
  readonly fromCache: boolean;
}

async function readSavedModelBytes(dir: string): Promise<Uint8Array> {
  const pb = path.join(dir, 'saved_model.pb');
  if (!existsSync(pb)) {
    const txt = existsSync(path.join(dir, 'saved_model.pbtxt'));
    throw new MlflowError(
      txt ? `${dir} holds saved_model.pbtxt; only the binary saved_model.pb is supported` : `${dir} has no saved_model.pb`,
      txt ? 'NOT_IMPLEMENTED' : 'RESOURCE_DOES_NOT_EXIST',
    );
  }
  return readFile(pb);
}

/** Reads `saved_model.pb` (the text `saved_model.pbtxt` form is not supported). */
export async function readSavedModelProto(dir: string): Promise<SavedModelProto> {
  return decodeTensorflowMessage<SavedModelProto>('SavedModel', await readSavedModelBytes(dir), path.join(dir, 'saved_model.pb'));
}

export function selectMetaGraph(sm: SavedModelProto, tags: readonly string[], dir: string): MetaGraphDef {
  const want = [...new Set(tags)].sort().join(',');
  const found = sm.metaGraphs.find((mg) => [...new Set(mg.metaInfoDef?.tags ?? [])].sort().join(',') === want);
  if (!found) {
    const have = sm.metaGraphs.map((mg) => `[${(mg.metaInfoDef?.tags ?? []).join(', ')}]`).join(', ');
    throw new MlflowError(`${dir} has no MetaGraph with tags [${tags.join(', ')}]; it has ${have || 'none'}`, 'RESOURCE_DOES_NOT_EXIST');
  }
  return found;
}

export function signatureKeys(mg: MetaGraphDef): string[] {
  return Object.keys(mg.signatureDef).filter((k) => !INTERNAL_SIGNATURES.has(k)).sort();
}

/** The checkpoint's object graph (empty when the checkpoint has none). */
async function trackableObjectGraph(dir: string): Promise<TrackableObjectGraph> {
  const prefix = path.join(dir, 'variables', 'variables');
  const bundle = await TensorBundle.open(prefix);
  if (bundle.entry(OBJECT_GRAPH_KEY) === undefined) return { nodes: [] };
  const t = await bundle.read(OBJECT_GRAPH_KEY);
  const [bytes] = t.values as Uint8Array[];
  return decodeTensorflowMessage<TrackableObjectGraph>('TrackableObjectGraph', bytes, `${prefix} ${OBJECT_GRAPH_KEY}`);
}

const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';

function selectSignature(mg: MetaGraphDef, key: string, dir: string): SignatureDef {
  const sig = INTERNAL_SIGNATURES.has(key) ? undefined : mg.signatureDef[key];
  if (!sig) {
    throw new MlflowError(
      `Could not find signature def key '${key}' in ${dir}. Available keys are: ${signatureKeys(mg).join(', ') || '(none)'}`,
      'RESOURCE_DOES_NOT_EXIST',
    );
  }
  return sig;
}

/**
 * Converts one signature: parses the MetaGraph, inlines its function calls, freezes its variables
 * from `variables/`, keeps what the signature's outputs need, refuses ops tfjs cannot run (naming
 * them) and writes the result as tfjs GraphModel artifacts.
 */
async function convertSignature(dir: string, pb: Uint8Array, tags: readonly string[], key: string, custom: ReadonlySet<string>): Promise<ConvertedSignature> {
  const sm = decodeTensorflowMessage<SavedModelProto>('SavedModel', pb, path.join(dir, 'saved_model.pb'));
  const mg = selectMetaGraph(sm, tags, dir);
  const sig = selectSignature(mg, key, dir);
  const what = `SavedModel ${dir} signature '${key}'`;
  const graph = mg.graphDef;
  if (!graph) throw new MlflowError(`${what}: the MetaGraph has no graph`, 'INVALID_PARAMETER_VALUE');

  const library = graph.library?.function ?? [];
  const flat = inlineFunctionCalls(graph.node, library, what);
  const byName = nodeMap(flat.nodes, what);
  const keys = checkpointKeys(flat.nodes, byName);
  // Variables the restore program leaves out are restored through the object graph (TF2).
  if (flat.nodes.some((n) => VARIABLE_OPS.has(n.op) && !keys.has(n.name)) && mg.objectGraphDef !== null) {
    for (const [v, k] of objectGraphKeys(graph.node, mg, await trackableObjectGraph(dir))) if (!keys.has(v) && byName.has(v)) keys.set(v, k);
  }
  const frozen = freezeSignature(flat.nodes, flat.resolve, sig, keys, what);
  fuseBiasActivation(frozen);
  const functions = convertControlFlowFunctions(frozen.nodes, new Map(library.map((f) => [f.signature.name, f])), frozen.consts, what);
  runListLoopsOurselves(frozen.nodes, functions);

  const allNodes = [...frozen.nodes, ...functions.flatMap((f) => f.nodes)];
  rewriteTrainingBatchNorm(allNodes);
  const ops = [...new Set(allNodes.map((n) => n.op))].sort();
  const unsupported = ops.filter((op) => !TFJS_OPS.has(op) && !custom.has(op));
  if (unsupported.length > 0) {
    throw new MlflowError(
      `${what} uses TensorFlow ops that cannot run natively in JS: ${unsupported.join(', ')}. Use --runtime python.`,
      'NOT_IMPLEMENTED',
    );
  }
  for (const t of [...frozen.inputs, ...frozen.outputs]) {
    if (dataTypeName(t.dtype) === 'RESOURCE' || dataTypeName(t.dtype) === 'VARIANT') {
      throw new MlflowError(`${what}: tensor '${t.key}' has dtype ${dataTypeName(t.dtype)}`, 'NOT_IMPLEMENTED');
    }
  }
  const needsBundle = [...frozen.consts.values()].some((c) => c.kind === 'checkpoint');
  const bundle = needsBundle ? await TensorBundle.open(path.join(dir, 'variables', 'variables')) : undefined;
  const artifacts = await toModelArtifacts(frozen, functions, bundle, graph.versions?.producer ?? 0, what);
  return {
    signatureKey: key, methodName: sig.methodName, inputs: frozen.inputs, outputs: frozen.outputs, ops,
    modelTopology: artifacts.modelTopology as object, weightSpecs: artifacts.weightSpecs ?? [], weightData: artifacts.weightData as ArrayBuffer,
  };
}

/**
 * Loads one signature of the SavedModel in `dir` with @tensorflow/tfjs: converted (see
 * convertSignature) or read from the conversion cache (graph-cache.ts), then handed to
 * tf.loadGraphModel on the backend backend.ts chooses.
 */
export async function loadSavedModelSignature(dir: string, options: SavedModelOptions = {}): Promise<SavedModelSignature> {
  const tags = options.tags ?? DEFAULT_TAGS;
  const key = options.signatureKey ?? DEFAULT_SIGNATURE_KEY;
  const custom = prepareTfjs();
  const pb = await readSavedModelBytes(dir);
  const cacheDir = graphCacheDir(options.cacheDir);
  const entry = cacheDir === undefined ? undefined : await graphCacheEntry(cacheDir, dir, pb, tags, key);
  let converted = entry && (await readCachedGraph(entry));
  const fromCache = converted !== undefined;
  if (!converted) {
    converted = await convertSignature(dir, pb, tags, key, custom);
    if (entry) await writeCachedGraph(entry, converted);
  }
  const { modelTopology, weightSpecs, weightData } = converted;
  const backend = await availableTfBackend(chooseTfBackend(converted.ops, options.backend));
  let model: tf.GraphModel;
  try {
    // Loaded on its backend, so that its weights are made there once, not moved at each call.
    model = await onTfBackend(backend, () => tf.loadGraphModel({ load: () => Promise.resolve({ format: 'graph-model', modelTopology, weightSpecs, weightData }) }));
  } catch (err) {
    throw new MlflowError(`SavedModel ${dir} signature '${key}': tfjs could not load the converted graph: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  const { methodName, inputs, outputs } = converted;
  return { signatureKey: key, methodName, inputs, outputs, model, backend, fromCache };
}

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MlflowError } from '../../errors.js';
import {
  dataTypeName, decodeTensorflowMessage, type MetaGraphDef, type SavedModelProto, type SignatureDef,
} from '../../formats/protobuf/index.js';
import { TensorBundle } from '../../formats/tensorbundle/index.js';
import { checkpointKeys } from './checkpoint-keys.js';
import { convertControlFlowFunctions } from './control-flow.js';
import { DEFAULT_SIGNATURE_KEY, DEFAULT_TAGS } from './defaults.js';
import { prepareTfjs } from './custom-ops.js';
import { freezeSignature, type SignatureTensor } from './freeze.js';
import { nodeMap } from './graph-node.js';
import { inlineFunctionCalls } from './inline-calls.js';
import { TFJS_OPS } from './tfjs-ops.js';
import { toModelArtifacts } from './tfjs-artifacts.js';

/** Signatures TensorFlow adds for its own bookkeeping, never for inference. */
const INTERNAL_SIGNATURES = new Set(['__saved_model_init_op']);

export interface SavedModelOptions {
  /** The MetaGraph's tags; the set must match exactly, as TensorFlow's loader requires. Default ['serve']. */
  tags?: readonly string[];
  /** Default 'serving_default'. */
  signatureKey?: string;
}

/** One signature of a SavedModel, converted to a tfjs GraphModel. */
export interface SavedModelSignature {
  readonly signatureKey: string;
  readonly methodName: string;
  readonly inputs: readonly SignatureTensor[];
  readonly outputs: readonly SignatureTensor[];
  readonly model: tf.GraphModel;
}

/** Reads `saved_model.pb` (the text `saved_model.pbtxt` form is not supported). */
export async function readSavedModelProto(dir: string): Promise<SavedModelProto> {
  const pb = path.join(dir, 'saved_model.pb');
  if (!existsSync(pb)) {
    const txt = existsSync(path.join(dir, 'saved_model.pbtxt'));
    throw new MlflowError(
      txt ? `${dir} holds saved_model.pbtxt; only the binary saved_model.pb is supported` : `${dir} has no saved_model.pb`,
      txt ? 'NOT_IMPLEMENTED' : 'RESOURCE_DOES_NOT_EXIST',
    );
  }
  return decodeTensorflowMessage<SavedModelProto>('SavedModel', await readFile(pb), pb);
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
 * Loads one signature of the SavedModel in `dir` with @tensorflow/tfjs: parses the MetaGraph,
 * inlines its function calls, freezes its variables from `variables/`, keeps what the signature's
 * outputs need, refuses ops tfjs cannot run (naming them), and hands the result to
 * tf.loadGraphModel.
 */
export async function loadSavedModelSignature(dir: string, options: SavedModelOptions = {}): Promise<SavedModelSignature> {
  const tags = options.tags ?? DEFAULT_TAGS;
  const key = options.signatureKey ?? DEFAULT_SIGNATURE_KEY;
  const sm = await readSavedModelProto(dir);
  const mg = selectMetaGraph(sm, tags, dir);
  const sig = selectSignature(mg, key, dir);
  const what = `SavedModel ${dir} signature '${key}'`;
  const graph = mg.graphDef;
  if (!graph) throw new MlflowError(`${what}: the MetaGraph has no graph`, 'INVALID_PARAMETER_VALUE');

  const library = graph.library?.function ?? [];
  const flat = inlineFunctionCalls(graph.node, library, what);
  const keys = checkpointKeys(flat.nodes, nodeMap(flat.nodes, what));
  const frozen = freezeSignature(flat.nodes, flat.resolve, sig, keys, what);
  const functions = convertControlFlowFunctions(frozen.nodes, new Map(library.map((f) => [f.signature.name, f])), frozen.consts, what);

  const custom = prepareTfjs();
  const ops = new Set([...frozen.nodes, ...functions.flatMap((f) => f.nodes)].map((n) => n.op));
  const unsupported = [...ops].filter((op) => !TFJS_OPS.has(op) && !custom.has(op)).sort();
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
  let model: tf.GraphModel;
  try {
    model = await tf.loadGraphModel({ load: () => Promise.resolve(artifacts) });
  } catch (err) {
    throw new MlflowError(`${what}: tfjs could not load the converted graph: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  return { signatureKey: key, methodName: sig.methodName, inputs: frozen.inputs, outputs: frozen.outputs, model };
}

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { MlflowError } from '../../errors.js';
import { importOptional } from '../../optional-packages.js';
import { stripZipMaps, type ZipMapOutput } from '../../formats/onnx/zipmap.js';

type Ort = typeof import('onnxruntime-node');
let ortModule: Promise<Ort> | null = null;

/** onnxruntime-node, loaded on first use: it is large, optional, and images without an onnx model leave it out. */
export function loadOrt(): Promise<Ort> {
  ortModule ??= importOptional(() => import('onnxruntime-node')).then(
    (m) => (m as { default?: Ort }).default ?? m,
    (e: unknown) => {
      ortModule = null;
      throw e;
    },
  );
  return ortModule;
}

const OPTIMIZATION: Readonly<Record<number, InferenceSession.SessionOptions['graphOptimizationLevel']>> = {
  0: 'disabled', 1: 'basic', 2: 'extended', 99: 'all',
};
const OPTION_KEYS = new Set(['inter_op_num_threads', 'intra_op_num_threads', 'execution_mode', 'graph_optimization_level', 'extra_session_config']);

/** onnxruntime SessionOptions from MLmodel's onnx_session_options, read as _OnnxModelWrapper reads them. */
export function sessionOptions(conf: unknown): InferenceSession.SessionOptions {
  // Idle intra-op threads spin by default, which starves a server's event loop between small
  // requests; results do not depend on it, and extra_session_config may turn it back on.
  const opts: InferenceSession.SessionOptions = { executionProviders: ['cpu'], extra: { 'session.intra_op.allow_spinning': '0' } };
  if (conf === null || conf === undefined) return opts;
  if (typeof conf !== 'object' || Array.isArray(conf)) throw new MlflowError('flavors.onnx.onnx_session_options must be a mapping', 'INVALID_PARAMETER_VALUE');
  const o = conf as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!OPTION_KEYS.has(k)) throw new MlflowError(`flavors.onnx.onnx_session_options.${k} is not an onnxruntime session option MLflow sets`, 'INVALID_PARAMETER_VALUE');
  }
  const int = (k: string): number | undefined => {
    const v = o[k];
    if (v === undefined || v === null || v === 0) return undefined;
    if (!Number.isInteger(v) || (v as number) < 0) throw new MlflowError(`flavors.onnx.onnx_session_options.${k} must be a non-negative integer`, 'INVALID_PARAMETER_VALUE');
    return v as number;
  };
  // onnxruntime-node refuses a key present with an undefined value
  const inter = int('inter_op_num_threads');
  if (inter !== undefined) opts.interOpNumThreads = inter;
  const intra = int('intra_op_num_threads');
  if (intra !== undefined) opts.intraOpNumThreads = intra;
  const mode = o.execution_mode;
  if (typeof mode === 'string' && mode !== '') {
    if (mode.toUpperCase() === 'SEQUENTIAL') opts.executionMode = 'sequential';
    else if (mode.toUpperCase() === 'PARALLEL') opts.executionMode = 'parallel';
    // MLflow ignores other spellings; so do we
  }
  const level = int('graph_optimization_level');
  if (level !== undefined) {
    if (!Object.hasOwn(OPTIMIZATION, level)) throw new MlflowError(`flavors.onnx.onnx_session_options.graph_optimization_level ${level} is not 0, 1, 2 or 99`, 'INVALID_PARAMETER_VALUE');
    opts.graphOptimizationLevel = OPTIMIZATION[level];
  }
  const extra = o.extra_session_config;
  if (extra && typeof extra === 'object') {
    opts.extra = { ...opts.extra, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])) };
  }
  return opts;
}

/**
 * A session for the model file. A graph ending in ZipMap is loaded from its rewritten bytes
 * (stripZipMaps), with external data still read next to the original file.
 */
export async function createSession(file: string, options: InferenceSession.SessionOptions): Promise<{ session: InferenceSession; zipmaps: ZipMapOutput[] }> {
  const ort = await loadOrt();
  const bytes = await readFile(file).catch((e: unknown) => {
    throw new MlflowError(`Cannot read ONNX model ${file}: ${(e as Error).message}`, 'RESOURCE_DOES_NOT_EXIST');
  });
  const stripped = stripZipMaps(bytes, file);
  try {
    if (!stripped) return { session: await ort.InferenceSession.create(file, options), zipmaps: [] };
    const extra = { ...(options.extra as Record<string, string> | undefined), 'session.model_external_initializers_file_folder_path': path.dirname(file) };
    return { session: await ort.InferenceSession.create(stripped.model, { ...options, extra }), zipmaps: stripped.zipmaps };
  } catch (e) {
    throw new MlflowError(`${file}: onnxruntime cannot load the model: ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: e });
  }
}

import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import { importOptional } from '../../optional-packages.js';
import { isFrame } from '../../frame/frame.js';
import { isTensor } from '../../frame/tensor.js';
import { namedOutputsFrame, outputsAsFrame, type NumericTensor } from '../../frame/outputs-as-frame.js';
import { resolveInside } from '../../model/path-safety.js';
import type { FlavorModel, LoadContext, PredictInput, PredictOutput } from '../flavor.js';
import { DEFAULT_SIGNATURE_KEY, DEFAULT_TAGS } from './defaults.js';
import { kerasOutputs, type KerasWrapper } from './keras-outputs.js';
import type { Keras2Outputs } from './keras2-outputs.js';
import { signatureFeeds } from './signature-input.js';
import { tf2WrapperOutputs } from './tf2-wrapper-output.js';

export const FLAVOR_NAME = 'tensorflow';

function isNamedTensors(input: PredictInput): boolean {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && !isTensor(input) && !isFrame(input) && Object.values(input).every(isTensor);
}
/** MLflow 1.x's mlflow.keras flavor; MLflow's tensorflow loader reads its section when present. */
export const KERAS_FLAVOR_NAME = 'keras';

/** The flavor section MLflow's _get_flavor_conf reads: `keras` when present, else `tensorflow`. */
interface Section {
  name: string;
  conf: Record<string, unknown>;
}

function section(ctx: LoadContext): Section {
  const keras = ctx.model.flavors[KERAS_FLAVOR_NAME];
  return keras ? { name: KERAS_FLAVOR_NAME, conf: keras } : { name: FLAVOR_NAME, conf: ctx.conf };
}

type ModelType = 'keras' | 'tf2-module' | 'tf1-estimator';

/** As MLflow's _infer_model_type: the field, else 'keras' when a keras flavor exists, else TF1. */
function modelType(ctx: LoadContext, sec: Section): ModelType {
  const t = sec.conf.model_type;
  if (t === undefined) return KERAS_FLAVOR_NAME in ctx.model.flavors ? 'keras' : 'tf1-estimator';
  if (t === 'keras' || t === 'tf2-module' || t === 'tf1-estimator') return t;
  throw new MlflowError(`Unknown flavors.${sec.name}.model_type '${String(t)}'`, 'INVALID_PARAMETER_VALUE');
}

function stringField(sec: Section, key: string): string | undefined {
  const v = sec.conf[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new MlflowError(`flavors.${sec.name}.${key} must be a string`, 'INVALID_PARAMETER_VALUE');
  return v;
}

function tagsField(sec: Section): string[] {
  const v = sec.conf.meta_graph_tags;
  if (v === undefined || v === null) return [...DEFAULT_TAGS];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new MlflowError(`flavors.${sec.name}.meta_graph_tags must be a list of strings`, 'INVALID_PARAMETER_VALUE');
  }
  return v;
}

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function isHdf5(file: string): boolean {
  const head = new Uint8Array(8);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  return HDF5_MAGIC.every((b, i) => head[i] === b);
}

type Artifact = { kind: 'savedmodel'; dir: string } | { kind: 'h5'; file: string } | { kind: 'keras-archive'; file: string };

/** mlflow.keras on Keras 3 (MLflow >= 2.11) records the backend and whether it exported a SavedModel. */
function isKeras3Section(sec: Section): boolean {
  if (sec.name !== KERAS_FLAVOR_NAME) return false;
  const version = stringField(sec, 'keras_version');
  return 'save_exported_model' in sec.conf || 'keras_backend' in sec.conf || (version !== undefined && /^[3-9]\./.test(version));
}

/** Output keys output_0..output_n-1 (n > 1) in index order: how keras.export names a list of outputs. */
function exportedListOutputs(keys: readonly string[]): string[] | undefined {
  if (keys.length < 2 || !keys.every((k) => /^output_\d+$/.test(k))) return undefined;
  const ordered = Array.from({ length: keys.length }, (_, i) => `output_${i}`);
  return ordered.every((k) => keys.includes(k)) ? ordered : undefined;
}

/** Keras 3's mlflow.keras (KerasModelWrapper: np.array of predict's result) or mlflow.tensorflow's _KerasModelWrapper. */
function wrapperOf(sec: Section): KerasWrapper {
  return isKeras3Section(sec) ? 'keras' : 'tensorflow';
}

/** A `.keras` file: HDF5 when Keras 2 wrote it, a zip archive when Keras 3 (or Keras 2.13+) did. */
function kerasFile(ctx: LoadContext, file: string): Artifact {
  if (!existsSync(file)) throw new MlflowError(`Keras model file ${path.relative(ctx.modelDir, file)} does not exist`, 'RESOURCE_DOES_NOT_EXIST');
  return isHdf5(file) ? { kind: 'h5', file } : { kind: 'keras-archive', file };
}

/** The SavedModel directory or Keras file the flavor section points at, inside the model directory. */
function modelArtifact(ctx: LoadContext, sec: Section, type: ModelType): Artifact {
  if (type !== 'keras') {
    const rel = stringField(sec, 'saved_model_dir');
    if (rel === undefined) throw new MlflowError(`flavors.${sec.name}.saved_model_dir is missing`, 'INVALID_PARAMETER_VALUE');
    return { kind: 'savedmodel', dir: resolveInside(ctx.modelDir, rel, `flavors.${sec.name}.saved_model_dir`) };
  }
  // As MLflow's _load_keras_model: <data>/model (+ .h5 for save_format h5, the default for
  // models that do not record one; + .keras when that file exists, as TF >= 2.16 saves).
  const data = resolveInside(ctx.modelDir, stringField(sec, 'data') ?? 'model', `flavors.${sec.name}.data`);
  const base = path.join(data, 'model');
  // mlflow.keras on Keras 3: <data>/model.keras, or with save_exported_model a SavedModel
  // (keras.export.ExportArchive) at <data>/model.
  if (isKeras3Section(sec)) return sec.conf.save_exported_model === true ? { kind: 'savedmodel', dir: base } : kerasFile(ctx, `${base}.keras`);
  const saveFormat = stringField(sec, 'save_format') ?? 'h5';
  if (saveFormat === 'h5') return { kind: 'h5', file: `${base}.h5` };
  if (existsSync(`${base}.keras`)) return kerasFile(ctx, `${base}.keras`);
  return { kind: 'savedmodel', dir: base };
}

/**
 * Loads the `tensorflow` flavor natively. A SavedModel (tf2-module, tf1-estimator, Keras with
 * save_format tf): its signature (LoadOptions.signatureKey, else
 * flavors.tensorflow.signature_def_key, else serving_default) converted to a tfjs graph; predict
 * takes a table (columns by input name), named tensors or one tensor; a table gets a table back
 * (one column per output, as MLflow's _TF2Wrapper; columns 0..n-1 for a Keras model, as its
 * _KerasModelWrapper); a tf.keras (Keras 2) SavedModel answers as its predict does, several
 * outputs as a list or dict in the model config's order (keras2-outputs.ts); named tensors to a tf1-estimator model get every output by name, as
 * _TF2Wrapper returns them (tf2-wrapper-output.ts); otherwise tensors get named tensors, or one
 * tensor when the signature has a single output. A Keras 2 `.h5` (save_format h5) or a
 * Keras 3 `.keras` zip: the model rebuilt with tfjs-layers. Registered under `keras` too: MLflow
 * 1.x's and Keras 3's mlflow.keras models load the same way, and MLflow's own loader prefers the
 * `keras` section when there is one.
 */
export async function loadTensorflowFlavor(ctx: LoadContext): Promise<FlavorModel> {
  const sec = section(ctx);
  const type = modelType(ctx, sec);
  const artifact = modelArtifact(ctx, sec, type);
  // Imported here, not at the top: tfjs takes a second or more to load, registering the flavor
  // must not cost every CLI command that, and tfjs and h5wasm are optional packages.
  if (artifact.kind === 'h5') {
    const [{ loadKerasH5 }, { kerasFlavorModel }] = await importOptional(() => Promise.all([import('./keras-h5.js'), import('./keras-predictor.js')]));
    return kerasFlavorModel(await loadKerasH5(artifact.file), wrapperOf(sec));
  }
  if (artifact.kind === 'keras-archive') {
    const [{ loadKerasArchive }, { kerasFlavorModel }] = await importOptional(() => Promise.all([import('./keras3/index.js'), import('./keras-predictor.js')]));
    return kerasFlavorModel(await loadKerasArchive(artifact.file), wrapperOf(sec));
  }
  const [{ loadSavedModelSignature }, { probeSignature, runSignature }, { keras2Outputs }] = await importOptional(() =>
    Promise.all([import('./saved-model.js'), import('./run-signature.js'), import('./keras2-outputs.js')]),
  );
  const signatureKey = ctx.options.signatureKey ?? stringField(sec, 'signature_def_key') ?? DEFAULT_SIGNATURE_KEY;
  const tags = tagsField(sec);
  const sig = await loadSavedModelSignature(artifact.dir, { tags, signatureKey });
  const exportedKeras = type === 'keras' && isKeras3Section(sec);
  let keras2: Keras2Outputs | undefined;
  try {
    await probeSignature(sig, artifact.dir);
    // A tf.keras (Keras 2) SavedModel: MLflow loads the Keras model and answers with its predict.
    if (type === 'keras' && !exportedKeras) keras2 = await keras2Outputs(artifact.dir, tags, sig.outputs.map((o) => o.key));
    // Keras's export names a tensor or a list of outputs output_0..n-1, a dict's outputs by its keys.
    const named = sig.outputs.map((o) => o.key).filter((k) => !/^output_\d+$/.test(k));
    if (exportedKeras && named.length > 0) {
      throw new MlflowError(
        `Exported Keras model ${artifact.dir} returns its outputs as a dict (${named.map((k) => `'${k}'`).join(', ')}): MLflow 2.22.1's ` +
          'KerasModelWrapper answers with keras.ops.convert_to_numpy of that dict, a 0-d object array of tensors its scoring server cannot serialize',
        'NOT_IMPLEMENTED',
      );
    }
  } catch (err) {
    sig.model.dispose();
    throw err;
  }
  const inputKeys = sig.inputs.map((i) => i.key);
  return {
    async predict(input: PredictInput): Promise<PredictOutput> {
      const out = await runSignature(sig, signatureFeeds(input, inputKeys));
      if (keras2) {
        const dict = keras2.dictKeys;
        const results = (dict ? dict.map((d) => out[d.signatureKey]) : keras2.order.map((k) => out[k])) as NumericTensor[];
        return kerasOutputs(results, dict?.map((d) => d.key) ?? keras2.order, dict?.map((d) => d.key), 'tensorflow', isFrame(input));
      }
      const keys = Object.keys(out);
      // mlflow.keras's exported Keras 3 model answers with np.array of model.serve's result:
      // Keras's export names a list of outputs output_0..output_n-1.
      const listed = exportedListOutputs(keys);
      if (exportedKeras && listed !== undefined) return kerasOutputs(listed.map((k) => out[k] as NumericTensor), listed, undefined, 'keras', isFrame(input));
      // An exported Keras 3 model answers a table as Keras models do (columns 0..n-1).
      if (isFrame(input)) return type === 'keras' ? outputsAsFrame(keys.map((k) => out[k] as NumericTensor), keys) : namedOutputsFrame(keys.map((k) => out[k]), keys);
      // MLflow's _TF2Wrapper answers a dict of named tensors with a dict of every output.
      if (type === 'tf1-estimator' && isNamedTensors(input)) return tf2WrapperOutputs(out);
      return keys.length === 1 ? out[keys[0]] : out;
    },
    close(): void {
      sig.model.dispose();
    },
  };
}

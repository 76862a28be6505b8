import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isNotSupportedNatively, MlflowError } from '../../errors.js';
import { detectCompression, loadPickleFile, writePickle } from '../../formats/pickle/index.js';
import { Frame, frameFromRecords, isFrame, isTensor } from '../../frame/index.js';
import {
  CONDA_ENV_FILE, Model, PYTHON_ENV_FILE, PyFloat, defaultPythonEnvironment, inferSignatureFromExample,
  type InputExample, type ModelSignature, type PythonEnvironment,
} from '../../model/index.js';
import { warnOnStderr, type WarningSink } from '../../warnings.js';
import type { Estimator, SklearnMethod } from './estimator.js';
import { FLAVOR_NAME } from './flavor.js';
import { pickledSklearnVersion, readSklearnPickle } from './load.js';
import { callMethod, methodsOf } from './methods.js';
import { sklearnRequirements } from './requirements.js';

export const PICKLED_MODEL_FILE = 'model.pkl';

export interface SaveSklearnOptions {
  /** A pickle, cloudpickle or joblib file of a fitted estimator. */
  pickle: string;
  /**
   * Saved as the input example; with no signature given, the signature is inferred from it and
   * the estimator's `predict` on it, as mlflow.sklearn.save_model does (whatever predictFn is).
   */
  inputExample?: InputExample;
  /** false: no signature, even with an input example (MLflow's signature=False). */
  signature?: ModelSignature | false;
  /**
   * MLmodel's serialization_format, the loader MLflow reads model.pkl with: cloudpickle (MLflow's
   * default) or pickle (the default for a joblib file, which is rewritten as a plain pickle).
   */
  serializationFormat?: 'pickle' | 'cloudpickle';
  /** The method pyfunc's predict calls (MLflow's pyfunc_predict_fn), default predict. */
  predictFn?: SklearnMethod;
  /** python_version and python_env.yaml's python: the Python that should load the pickle (default 3.11.2). */
  pythonVersion?: string;
  metadata?: Record<string, unknown>;
  /** Where the warning goes when the estimator cannot be scored natively (default: stderr). */
  onWarning?: WarningSink;
}

const JOBLIB_MARK = Buffer.from('NumpyArrayWrapper');

/**
 * Packages an existing pickle of a fitted estimator as an MLflow model, as
 * mlflow.sklearn.save_model lays it out: model.pkl, MLmodel with the `python_function` and
 * `sklearn` flavors, the input example, conda.yaml, python_env.yaml and requirements.txt with the
 * packages the pickle needs (requirements.ts).
 *
 * A joblib file is rewritten as a standard pickle (writePickle), since MLflow loads pickled_model
 * with pickle.load, which cannot read joblib's out-of-line arrays or compression; pickles are
 * copied unchanged.
 *
 * An estimator that cannot be scored natively (an unknown class, an attribute value not
 * implemented) is packaged all the same, as MLflow would, with a warning: the Python bridge
 * loads it. Its pickle is then read as inert data, only to find `_sklearn_version`, and
 * a signature inferred from an input example has inputs only. A corrupt pickle is refused.
 */
export async function saveModel(dir: string, options: SaveSklearnOptions): Promise<Model> {
  const src = path.resolve(options.pickle);
  const bytes = await readFile(src).catch((e: unknown) => {
    throw new MlflowError(`Cannot read pickle file ${src}: ${(e as Error).message}`, 'RESOURCE_DOES_NOT_EXIST', { cause: e });
  });
  const joblib = detectCompression(bytes) !== undefined || bytes.indexOf(JOBLIB_MARK) >= 0;
  const { pickled, estimator: est, modules } = await readForSaving(src, options.onWarning ?? warnOnStderr);
  // written before anything is saved, so a value the writer cannot handle fails early
  const rewritten = joblib ? writePickle(pickled) : undefined;
  const predictFn = options.predictFn ?? 'predict';
  if (est && !methodsOf(est).includes(predictFn)) {
    throw new MlflowError(`${est.className} has no method '${predictFn}' to use as predict_fn`, 'INVALID_PARAMETER_VALUE');
  }
  const sklearnVersion = pickledSklearnVersion(pickled);
  // MLflow scores the example through _SklearnModelWrapper.predict, which is always predict.
  // A model not scored natively is saved without an inferred signature, as MLflow does when
  // inference fails (it then warns).
  const signature =
    options.signature === undefined && options.inputExample !== undefined && est !== undefined
      ? await inferSignatureFromExample(options.inputExample, (x) => callMethod(est, 'predict', asModelInput(x)))
      : options.signature || undefined;
  const python = options.pythonVersion ?? '3.11.2';
  // As asked; by default MLflow's cloudpickle (whose output for an importable class is a plain
  // pickle, so either label loads the same bytes), or pickle for a joblib file we re-pickled.
  const serializationFormat = options.serializationFormat ?? (joblib ? 'pickle' : 'cloudpickle');
  const env: PythonEnvironment = {
    ...defaultPythonEnvironment(python),
    requirements: sklearnRequirements(modules, sklearnVersion, serializationFormat),
  };
  const model = new Model({ signature, metadata: options.metadata });
  model.addFlavor('python_function', {
    env: { conda: CONDA_ENV_FILE, virtualenv: PYTHON_ENV_FILE },
    loader_module: 'mlflow.sklearn',
    model_path: PICKLED_MODEL_FILE,
    predict_fn: predictFn,
    python_version: python,
  });
  model.addFlavor(FLAVOR_NAME, {
    code: null,
    pickled_model: PICKLED_MODEL_FILE,
    serialization_format: serializationFormat,
    sklearn_version: sklearnVersion,
  });
  await model.save(dir, {
    inputExample: options.inputExample,
    environment: env,
    writeFiles: async (tmp) => (rewritten ? writeFile(path.join(tmp, PICKLED_MODEL_FILE), rewritten) : copyFile(src, path.join(tmp, PICKLED_MODEL_FILE))),
  });
  return model;
}

/** The pickle and its native estimator; for an estimator not supported natively, the pickle as inert data. */
async function readForSaving(src: string, warn: WarningSink): Promise<{ pickled: unknown; estimator?: Estimator; modules: Set<string> }> {
  try {
    return await readSklearnPickle(src);
  } catch (e) {
    if (!isNotSupportedNatively(e)) throw e;
    warn(`WARNING: ${e.message}; packaging it anyway: the Python bridge (--runtime python or auto) will score it`);
    // every class is accepted as inert data here: nothing is built or run, we only read fields
    const modules = new Set<string>();
    const pickled = await loadPickleFile(src, { allowGlobal: () => true, source: src, onGlobal: (module) => modules.add(module) });
    return { pickled, modules };
  }
}

/**
 * The example as pyfunc's schema enforcement hands it to the model: a list of records or a
 * record of JSON values becomes a DataFrame (pandas.DataFrame(records), one row for a record).
 */
function asModelInput(example: unknown): unknown {
  if (Array.isArray(example) && example.length > 0 && example.every(isRecord)) return recordsFrame(example);
  if (isRecord(example) && !Object.values(example).some(isTensor)) return recordsFrame([example]);
  return example;
}

/** pd.DataFrame(records), where a PyFloat value is a Python float (so 3.0 makes a float column). */
function recordsFrame(records: Record<string, unknown>[]): Frame {
  const originals = new Map<object, Record<string, unknown>>();
  const plain = records.map((r) => {
    const p = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof PyFloat ? v.value : v]));
    originals.set(p, r);
    return p;
  });
  return frameFromRecords(plain, { floats: { has: (record, key) => originals.get(record)?.[key] instanceof PyFloat } });
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x) && !isFrame(x) && !isTensor(x);
}

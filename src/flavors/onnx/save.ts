import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import {
  CONDA_ENV_FILE, Model, PYTHON_ENV_FILE, defaultPythonEnvironment, inferSignature,
  type InputExample, type ModelSignature,
} from '../../model/index.js';
import { FLAVOR_NAME, loadOnnxFlavor } from './flavor.js';

export const ONNX_MODEL_FILE = 'model.onnx';
/** mlflow.onnx's ONNX_EXECUTION_PROVIDERS, written when none are given. */
const DEFAULT_PROVIDERS = ['CUDAExecutionProvider', 'CPUExecutionProvider'];

export interface SaveOnnxOptions {
  signature?: ModelSignature;
  /** Saved as the input example; with no signature, the signature is inferred from it and the model's output on it. */
  inputExample?: InputExample;
  /** MLmodel's providers (default CUDA then CPU, as MLflow). */
  providers?: string[];
  /** MLmodel's onnx_session_options (MLflow's keys: intra_op_num_threads, graph_optimization_level, ...). */
  sessionOptions?: Record<string, unknown>;
  /** The onnx package version to record and pin in requirements (Python's onnx.__version__). */
  onnxVersion?: string;
  pythonVersion?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Packages an ONNX model (its bytes, or a path to a self-contained .onnx file) as mlflow.onnx.save_model
 * lays it out: model.onnx, MLmodel with the `python_function` and `onnx` flavors, the input
 * example, and the environment files. The model is loaded once first, so a file onnxruntime
 * refuses is refused here.
 */
export async function saveModel(model: Uint8Array | string, dir: string, options: SaveOnnxOptions = {}): Promise<Model> {
  const bytes = typeof model === 'string'
    ? await readFile(model).catch((e: unknown) => {
      throw new MlflowError(`Cannot read ONNX model ${model}: ${(e as Error).message}`, 'RESOURCE_DOES_NOT_EXIST');
    })
    : model;
  const onnxVersion = options.onnxVersion ?? '1.17.0';
  const conf = {
    code: null,
    data: ONNX_MODEL_FILE,
    onnx_session_options: options.sessionOptions ?? null,
    onnx_version: onnxVersion,
    providers: options.providers ?? DEFAULT_PROVIDERS,
  };
  let signature = options.signature;
  const scratch = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-onnx-'));
  try {
    await writeFile(path.join(scratch, ONNX_MODEL_FILE), bytes);
    const loaded = await loadOnnxFlavor({ modelDir: scratch, model: new Model(), conf, options: {} });
    if (!signature && options.inputExample !== undefined) {
      signature = inferSignature(options.inputExample, await loaded.predict(options.inputExample));
    }
    await loaded.close?.();
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const python = options.pythonVersion ?? '3.11.2';
  const out = new Model({ signature, metadata: options.metadata });
  out.addFlavor('python_function', {
    code: null,
    data: ONNX_MODEL_FILE,
    env: { conda: CONDA_ENV_FILE, virtualenv: PYTHON_ENV_FILE },
    loader_module: 'mlflow.onnx',
    python_version: python,
  });
  out.addFlavor(FLAVOR_NAME, conf);
  await out.save(dir, {
    inputExample: options.inputExample,
    environment: defaultPythonEnvironment(python, [`onnx==${onnxVersion}`, 'onnxruntime']),
    writeFiles: (tmp) => writeFile(path.join(tmp, ONNX_MODEL_FILE), bytes),
  });
  return out;
}

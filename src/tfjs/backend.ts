import * as tf from './tf.js';
import { MlflowError } from '../errors.js';
import { importOptional } from '../optional-packages.js';

/** The tfjs backends a converted graph may run on; both are pure JS/WebAssembly, no native code. */
export type TfBackend = 'cpu' | 'wasm';

/** Forces one backend for every SavedModel graph and layers model in the process: `cpu` or `wasm`. */
export const TF_BACKEND_ENV = 'MLFLOW_TS_TF_BACKEND';

/**
 * Ops whose kernels dominate a graph's time and that tfjs-backend-wasm runs through XNNPACK with
 * SIMD. Measured on a 2-core x86 machine: a 1000x784 by 784x128 MatMul takes 8 ms on wasm
 * against 180 ms on cpu; bench/tensorflow.ts's dense and CNN SavedModels score 17 to 22 times
 * as many rows per second on wasm, at batch 1 and 1000; the cppflow Keras SavedModel 3.8 times.
 * A graph with none of them is all small element-wise kernels, where wasm's per-kernel cost
 * loses: half_plus_two runs 50,000 calls/s on cpu, 22,000 on wasm.
 */
const HEAVY_OPS = new Set([
  'MatMul', 'BatchMatMul', 'BatchMatMulV2', 'BatchMatMulV3', '_FusedMatMul', 'Conv1D', 'Conv2D', 'Conv3D',
  '_FusedConv2D', 'Conv2DBackpropInput', 'DepthwiseConv2d', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative',
]);

/**
 * TF1 control flow (frames of Enter/Exit/Merge/Switch, TensorArrays) and If keep a graph on cpu:
 * no fixture checks them on wasm. TF2 While loops over TensorLists (Keras 3 RNNs from
 * model.export) match cpu within 1e-5 on wasm, and run 2-3 times as fast there.
 */
const CONTROL_FLOW = /^(If|StatelessIf|Enter|Exit|Merge|Switch|NextIteration|LoopCond|TensorArray)/;

/** The backend named by MLFLOW_TS_TF_BACKEND, or undefined when it is not set. */
export function configuredTfBackend(env: NodeJS.ProcessEnv = process.env): TfBackend | undefined {
  const v = env[TF_BACKEND_ENV];
  if (v === undefined || v === '') return undefined;
  if (v === 'cpu' || v === 'wasm') return v;
  throw new MlflowError(`${TF_BACKEND_ENV} must be 'cpu' or 'wasm', got '${v}'`, 'INVALID_PARAMETER_VALUE');
}

/**
 * The backend a graph runs on: the caller's or MLFLOW_TS_TF_BACKEND's choice, else wasm when the
 * graph has a matrix product or convolution (see HEAVY_OPS for the measurements) and no control
 * flow, else cpu.
 */
export function chooseTfBackend(ops: readonly string[], requested?: TfBackend): TfBackend {
  const forced = requested ?? configuredTfBackend();
  if (forced) return forced;
  return ops.some((op) => HEAVY_OPS.has(op)) && !ops.some((op) => CONTROL_FLOW.test(op)) ? 'wasm' : 'cpu';
}

/** Layers whose kernels dominate a Keras model's time and that wasm runs fast (see HEAVY_OPS). */
const HEAVY_LAYERS = new Set([
  'Dense', 'Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'DepthwiseConv2D', 'SeparableConv2D', 'LSTM', 'GRU', 'SimpleRNN',
  'Bidirectional', 'TimeDistributed', 'MlflowResetAfterGRU', 'MlflowKerasCausalConv1D',
]);

/**
 * Layers whose wasm kernels compute what cpu computes (checked on the Keras fixtures, the real
 * TF 2.21 / Keras 3.15 ones included, within 1e-5 with MLFLOW_TS_TF_BACKEND=wasm). Anything else
 * (nested models, layers not checked) keeps a model on cpu, where its parity tests hold.
 */
const WASM_SAFE_LAYERS = new Set([
  ...HEAVY_LAYERS, 'InputLayer', 'Flatten', 'Reshape', 'Permute', 'RepeatVector', 'Dropout', 'Activation', 'ReLU', 'Softmax',
  'LeakyReLU', 'ELU', 'PReLU', 'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D',
  'AveragePooling3D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D',
  'ZeroPadding2D', 'Cropping2D', 'UpSampling2D', 'BatchNormalization', 'LayerNormalization', 'Masking', 'Embedding',
  'Concatenate', 'Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'MlflowKerasReLU', 'MlflowKerasELU',
  'MlflowKerasIdentity', 'MlflowKeras3Normalization',
]);

/**
 * The backend a Keras/tfjs layers model runs on: the caller's or MLFLOW_TS_TF_BACKEND's choice,
 * else wasm when it has a dense or convolution layer and only layers of WASM_SAFE_LAYERS, else cpu.
 */
export function chooseLayersBackend(layerClasses: readonly string[], requested?: TfBackend): TfBackend {
  const forced = requested ?? configuredTfBackend();
  if (forced) return forced;
  return layerClasses.some((c) => HEAVY_LAYERS.has(c)) && layerClasses.every((c) => WASM_SAFE_LAYERS.has(c)) ? 'wasm' : 'cpu';
}

let wasmReady: Promise<boolean> | undefined;

/**
 * Registers tfjs-backend-wasm once. Its .wasm binaries ship in the npm package and are read from
 * its own dist/ folder: nothing is downloaded. False when this runtime cannot start it.
 */
function registerWasm(): Promise<boolean> {
  wasmReady ??= (async () => {
    await tf.ready();
    const before = tf.getBackend();
    // Importing it registers 'wasm' above 'cpu' in tfjs's priority order; every graph run sets
    // its backend explicitly (onTfBackend), and the one in use before is put back here.
    await importOptional(() => import('@tensorflow/tfjs-backend-wasm'));
    try {
      return await tf.setBackend('wasm');
    } catch {
      return false;
    } finally {
      await tf.setBackend(before);
    }
  })();
  return wasmReady;
}

/** The backend that will actually run: `wasm` falls back to `cpu` when WebAssembly cannot start. */
export async function availableTfBackend(backend: TfBackend): Promise<TfBackend> {
  return backend === 'wasm' && !(await registerWasm()) ? 'cpu' : backend;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `fn` with `backend` as tfjs's engine backend. tfjs has one engine per process, so calls
 * are queued: a graph that awaits inside (executeAsync) keeps its backend until it is done.
 * Tensors made on the other backend are moved over by tfjs when a kernel reads them.
 */
export function onTfBackend<T>(backend: TfBackend, fn: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    if (tf.getBackend() !== backend) {
      if (backend === 'wasm') await registerWasm();
      if (!(await tf.setBackend(backend))) throw new MlflowError(`tfjs backend '${backend}' could not start`, 'INTERNAL_ERROR');
    }
    return fn();
  });
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Runs `fn` on `state.backend`; when that is wasm and the run fails, runs it again on cpu and
 * keeps the model there once cpu has answered (a failed run returns nothing, so no answer is
 * ever a mix of the two). `fail` turns an error into the one the caller reports.
 */
export async function runWithFallback<T>(state: { backend: TfBackend }, fn: () => Promise<T>, fail: (err: unknown) => Error): Promise<T> {
  try {
    return await onTfBackend(state.backend, fn);
  } catch (err) {
    if (state.backend === 'cpu' || err instanceof MlflowError) throw fail(err);
    const out = await onTfBackend('cpu', fn).catch((e: unknown) => {
      throw fail(e);
    });
    state.backend = 'cpu';
    return out;
  }
}


import { MlflowError, NotSupportedNativelyError } from '../../errors.js';
import { makeTensor, type Tensor } from '../../frame/tensor.js';
import { allInt64, densify, fromPredictInput, type Data, type Matrix } from './data.js';
import type { Estimator, SklearnMethod } from './estimator.js';

export const SKLEARN_METHODS: readonly SklearnMethod[] = ['predict', 'predict_proba', 'predict_log_proba', 'decision_function', 'transform', 'score_samples'];

export function isSklearnMethod(name: string): name is SklearnMethod {
  return (SKLEARN_METHODS as readonly string[]).includes(name);
}

/** Transform output as numpy returns it: float64 2-D (bool, float32 or int64 where numpy keeps them), or an object array when strings remain. */
export function dataToTensor(d: Data): Tensor {
  if (d.kind === 'matrix' && d.blocks) return blocksTensor(d, d.blocks);
  if (d.kind === 'matrix') {
    const shape = d.oneD ? [d.rows] : [d.rows, d.cols];
    if (d.bool) return makeTensor({ dtype: 'bool', shape, data: Uint8Array.from(d.data) });
    if (d.f32) return makeTensor({ dtype: 'float32', shape, data: Float32Array.from(d.data) });
    if (allInt64(d)) return makeTensor({ dtype: 'int64', shape, data: d.data });
    return makeTensor({ dtype: 'float64', shape, data: d.data });
  }
  // a sparse result is returned dense, as pyfunc serializes it (counts keep their int64 dtype)
  if (d.kind === 'csr' && d.dtype === 'float32') return makeTensor({ dtype: 'float32', shape: [d.rows, d.cols], data: Float32Array.from(densify(d).data) });
  if (d.kind === 'csr') return makeTensor({ dtype: d.dtype, shape: [d.rows, d.cols], data: densify(d).data });
  const cols = d.columns.length;
  const out: unknown[] = new Array(d.rows * cols);
  for (let j = 0; j < cols; j++) {
    const c = d.columns[j];
    for (let i = 0; i < d.rows; i++) out[i * cols + j] = c[i];
  }
  return makeTensor({ dtype: 'object', shape: [d.rows, cols], data: out });
}

/** A Matrix of `b` blocks side by side as numpy's (b, rows, cols / b) array (float32 or float64). */
function blocksTensor(d: Matrix, b: number): Tensor {
  const w = d.cols / b;
  const data = d.f32 ? new Float32Array(d.data.length) : new Float64Array(d.data.length);
  for (let k = 0; k < b; k++) {
    for (let i = 0; i < d.rows; i++) for (let j = 0; j < w; j++) data[(k * d.rows + i) * w + j] = d.data[i * d.cols + k * w + j];
  }
  return makeTensor({ dtype: d.f32 ? 'float32' : 'float64', shape: [b, d.rows, w], data });
}

/** Each sklearn method name with the estimator's implementation (undefined where it has none). */
function methodTable(est: Estimator): Record<SklearnMethod, ((x: Data) => Tensor) | undefined> {
  return {
    predict: est.predict,
    predict_proba: est.predictProba,
    predict_log_proba: est.predictLogProba,
    decision_function: est.decisionFunction,
    transform: est.transform ? (x: Data) => dataToTensor(est.transform!(x)) : undefined,
    score_samples: est.scoreSamples,
  };
}

/** The estimator's method by its sklearn name, or a clear error if it has none. */
export function methodOf(est: Estimator, method: SklearnMethod): (x: Data) => Tensor {
  const fn = methodTable(est)[method];
  const why = est.notNative?.[method];
  if (why) throw new NotSupportedNativelyError(`${est.className}.${method} is not supported natively: ${why}`);
  if (!fn) {
    throw new MlflowError(`${est.className} has no method '${method}' (it has: ${methodsOf(est).join(', ')})`, 'INVALID_PARAMETER_VALUE');
  }
  return fn;
}

export function methodsOf(est: Estimator): SklearnMethod[] {
  const table = methodTable(est);
  return SKLEARN_METHODS.filter((m) => table[m] !== undefined);
}

/** Runs one method on a pyfunc input (a Frame, a 2-D Tensor or nested arrays). */
export function callMethod(est: Estimator, method: SklearnMethod, input: unknown): Tensor {
  return methodOf(est, method)(fromPredictInput(input));
}

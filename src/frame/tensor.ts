import { MlflowError } from '../errors.js';
import type { NumericArray, NumericDType } from './frame.js';

export type TensorDType = NumericDType | 'bool' | 'string' | 'object';

/** An n-dimensional array in row-major order, as numpy holds it. */
export type Tensor =
  | { readonly kind: 'tensor'; readonly dtype: NumericDType; readonly shape: readonly number[]; readonly data: NumericArray }
  | { readonly kind: 'tensor'; readonly dtype: 'bool'; readonly shape: readonly number[]; readonly data: Uint8Array }
  | { readonly kind: 'tensor'; readonly dtype: 'string' | 'object'; readonly shape: readonly number[]; readonly data: unknown[] };

export function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'tensor';
}

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function makeTensor<T extends Tensor>(t: Omit<T, 'kind'>): T {
  const size = sizeOfShape(t.shape);
  if (t.data.length !== size) {
    throw new MlflowError(
      `Tensor of shape [${t.shape.join(', ')}] needs ${size} values but has ${t.data.length}`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  return { kind: 'tensor', ...t } as T;
}

/** Rows [start, end) along the first axis; numeric data is a view on the same memory. */
export function sliceTensor(t: Tensor, start: number, end: number): Tensor {
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = ArrayBuffer.isView(t.data) ? t.data.subarray(start * width, end * width) : t.data.slice(start * width, end * width);
  return { ...t, shape: [end - start, ...t.shape.slice(1)], data } as Tensor;
}

/**
 * Tensors of one dtype and the same shape past the first axis stacked along the first axis, as
 * np.concatenate does; undefined when they differ.
 */
export function concatTensors(tensors: readonly Tensor[]): Tensor | undefined {
  const first = tensors[0];
  if (first.shape.length === 0) return undefined;
  const inner = first.shape.slice(1);
  for (const t of tensors) {
    if (t.dtype !== first.dtype || t.shape.length !== first.shape.length || t.shape.some((d, i) => i > 0 && d !== first.shape[i])) return undefined;
  }
  const rows = tensors.reduce((n, t) => n + t.shape[0], 0);
  if (first.data instanceof Array) {
    return { kind: 'tensor', dtype: first.dtype, shape: [rows, ...inner], data: tensors.flatMap((t) => t.data as unknown[]) } as Tensor;
  }
  const size = tensors.reduce((n, t) => n + t.data.length, 0);
  const out = new (first.data.constructor as new (n: number) => NumericArray)(size);
  let at = 0;
  for (const t of tensors) {
    out.set(t.data as NumericArray, at);
    at += t.data.length;
  }
  return { kind: 'tensor', dtype: first.dtype, shape: [rows, ...inner], data: out } as Tensor;
}

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

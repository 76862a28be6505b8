import type { DType } from '../numpy/dtype.js';
import type { NdArray, PyGlobal } from './types.js';

/**
 * What the reader saw that its value model does not show, kept beside the values (weak maps, so
 * the values keep their shape) for the writer to put back: which arrays were tuples, which call
 * made an instance or dtype and what state its BUILD gave, and the full dtype of each array.
 */

/** The call that made a value: REDUCE, NEWOBJ or NEWOBJ_EX on an allowed global. */
export interface Origin {
  fn: PyGlobal;
  op: 'REDUCE' | 'NEWOBJ' | 'NEWOBJ_EX';
  args: unknown[];
  kwargs?: Map<unknown, unknown>;
  /** The state a BUILD applied, as the pickle gave it. */
  build?: unknown;
}

const tuples = new WeakSet<unknown[]>();
const origins = new WeakMap<object, Origin>();
const arrayDTypes = new WeakMap<NdArray, DType>();

export function markTuple<T extends unknown[]>(items: T): T {
  tuples.add(items);
  return items;
}

export function isTuple(x: unknown[]): boolean {
  return tuples.has(x);
}

export function recordCall(value: unknown, origin: Origin): void {
  if (typeof value === 'object' && value !== null && !origins.has(value)) origins.set(value, origin);
}

export function recordBuild(value: object, state: unknown): void {
  const origin = origins.get(value);
  if (origin) origin.build = state;
}

export function originOf(value: object): Origin | undefined {
  return origins.get(value);
}

export function recordArrayDType(arr: NdArray, dtype: DType): NdArray {
  arrayDTypes.set(arr, dtype);
  return arr;
}

export function arrayDTypeOf(arr: NdArray): DType | undefined {
  return arrayDTypes.get(arr);
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Frame } from '../../../src/frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../../../src/frame/tensor.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/python_function/', import.meta.url));
export const MODELS = path.join(FIXTURES, 'models');

export function floatFrame(columns: string[], rows: number[][]): Frame {
  return new Frame(columns.map((name, j) => ({
    name,
    data: { kind: 'number', dtype: 'float64', values: Float64Array.from(rows, (r) => r[j]) },
  })));
}

export function floatTensor(rows: number[][]): Tensor {
  return makeTensor({ dtype: 'float64', shape: [rows.length, rows[0].length], data: Float64Array.from(rows.flat()) });
}

/** A tensor as the nested lists numpy's tolist() gives. */
export function toNested(t: unknown): unknown {
  if (!isTensor(t)) return t;
  const flat = Array.from(t.data as ArrayLike<unknown>, (v) => (t.dtype === 'bool' ? v === 1 : v));
  const build = (dim: number, offset: number): unknown => {
    if (dim === t.shape.length) return flat[offset];
    const stride = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: t.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
  };
  return build(0, 0);
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

import { describe, expect, it } from 'vitest';
import type { NdArray } from '../../../src/formats/pickle/types.js';
import { columnStack, Labels } from '../../../src/flavors/sklearn/estimator.js';

function classes(dtype: string, data: NdArray['data']): Labels {
  return new Labels({ kind: 'ndarray', dtype, shape: [data.length], data });
}

/** Fills an output array as a predict loop does: one table value per row, by class index. */
function predicted(labels: Labels, indices: number[]) {
  const out = labels.outputArray(indices.length);
  indices.forEach((k, i) => (out[i] = labels.table[k]));
  return labels.fromTable(out);
}

describe('Labels: the array predict writes labels into', () => {
  it('keeps int64 classes in the narrowest integer array holding them all, with dtype int64 and the same values', () => {
    const cases: [number[], string][] = [
      [[0, 1, 2], 'Uint8Array'],
      [[-5, 100], 'Int8Array'],
      [[0, 1000], 'Uint16Array'],
      [[-200, 3], 'Int16Array'],
      [[0, 70000], 'Uint32Array'],
      [[-5, 70000], 'Int32Array'],
      [[-1, 2 ** 31], 'Float64Array'],
      [[0, 2 ** 40], 'Float64Array'],
    ];
    for (const [values, type] of cases) {
      const t = predicted(classes('<i8', Float64Array.from(values)), [1, 0, 1]);
      expect(t.dtype, String(values)).toBe('int64');
      expect(t.data.constructor.name, String(values)).toBe(type);
      expect(Array.from(t.data as ArrayLike<number>)).toEqual([values[1], values[0], values[1]]);
    }
  });

  it('writes other numeric dtypes in their own array (float64 stays Float64Array)', () => {
    const f = predicted(classes('<f8', Float64Array.of(0, 1, 2)), [2, 0]);
    expect([f.dtype, f.data.constructor.name, Array.from(f.data as Float64Array)]).toEqual(['float64', 'Float64Array', [2, 0]]);
    const i = predicted(classes('<i4', Int32Array.of(-3, 9)), [1]);
    expect([i.dtype, i.data.constructor.name, Array.from(i.data as Int32Array)]).toEqual(['int32', 'Int32Array', [9]]);
  });

  it('maps indices to string and bool classes', () => {
    expect(predicted(classes('<U2', ['a', 'bb']), [1, 0])).toMatchObject({ dtype: 'string', data: ['bb', 'a'] });
    const b = predicted(classes('|b1', Uint8Array.of(0, 1)), [1, 0]);
    expect([b.dtype, Array.from(b.data as Uint8Array)]).toEqual(['bool', [1, 0]]);
  });

  it('refuses a class index out of range (never an undefined label)', () => {
    for (const l of [classes('<i8', Float64Array.of(3, 7)), classes('|O', ['a', 'b']), classes('|b1', Uint8Array.of(0, 1))]) {
      for (const bad of [2, -1, 0.5, NaN]) expect(() => l.take([0, bad]), `${l.dtype} ${bad}`).toThrow(/class index .* out of range for 2 classes/);
      expect(l.take([1, 0]).shape).toEqual([2]);
    }
  });

  it('stacks outputs whose labels sit in arrays of different widths without wrapping (MultiOutputClassifier)', () => {
    const a = predicted(classes('<i8', Float64Array.of(0, 1, 2)), [2, 0]);
    const b = predicted(classes('<i8', Float64Array.of(-7, 3, 1000)), [2, 0]);
    const t = columnStack([a, b], 2);
    expect([t.dtype, t.shape, Array.from(t.data as ArrayLike<number>)]).toEqual(['int64', [2, 2], [2, 1000, 0, -7]]);
  });
});

import { describe, expect, it } from 'vitest';
import { makeTensor, type Tensor } from '../../src/frame/tensor.js';
import { inputToFrame } from '../../src/pyfunc/to-frame.js';

const t = (dtype: 'float64' | 'int64', shape: number[], values: number[]): Tensor =>
  makeTensor<Tensor>({ dtype, shape, data: Float64Array.from(values) });

describe('inputToFrame (pd.DataFrame of a predict input)', () => {
  it('turns tensors into positional columns', () => {
    expect(inputToFrame(t('float64', [], [5])).columnNames).toEqual(['0']);
    const m = inputToFrame(t('int64', [2, 3], [1, 2, 3, 4, 5, 6]));
    expect(m.columnNames).toEqual(['0', '1', '2']);
    expect(m.column('2')?.data).toEqual({ kind: 'number', dtype: 'int64', values: Float64Array.of(3, 6) });
    expect(() => inputToFrame(t('float64', [1, 1, 1], [1]))).toThrow('Must pass 2-d input. shape=(1, 1, 1)');
  });

  it('turns named tensors into columns, 2-D ones into columns of lists', () => {
    const f = inputToFrame({ a: t('float64', [2], [1, 2]), b: t('int64', [2, 2], [1, 2, 3, 4]) });
    expect(f.columnNames).toEqual(['a', 'b']);
    expect(f.column('b')?.data.values).toEqual([[1, 2], [3, 4]]);
    expect(() => inputToFrame({ a: t('float64', [2], [1, 2]), b: t('float64', [3], [1, 2, 3]) })).toThrow(/same length/);
  });

  it('reads plain JSON as pandas: records, rows of lists, a dict of scalars as one row', () => {
    const records = inputToFrame([{ a: 1 }, { b: 'x' }]);
    expect(records.columnNames).toEqual(['a', 'b']);
    expect(Array.from(records.column('a')?.data.values as Float64Array)).toEqual([1, NaN]);
    expect(inputToFrame([[1, 2], [3]]).column('1')?.data.values).toEqual(Float64Array.of(2, NaN));
    expect(inputToFrame({ a: 1, b: ['x', 'y'] }).numRows).toBe(1);
    expect(inputToFrame('text').column('0')?.data).toEqual({ kind: 'string', values: ['text'] });
  });
});

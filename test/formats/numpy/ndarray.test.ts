import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../../src/errors.js';
import { ndarrayFromBytes, ndarrayFromList, parseDTypeCode, scalarFromBytes, setDTypeState } from '../../../src/formats/numpy/index.js';

const f64 = (...xs: number[]): Uint8Array => new Uint8Array(Float64Array.from(xs).buffer);

describe('parseDTypeCode', () => {
  it("gives numpy's dtype.str for the codes pickles use", () => {
    const str = (code: string): string => parseDTypeCode(code, 'test').str;
    expect(['f8', 'f4', 'i8', 'u1', 'i1', 'b1', 'O8', 'U5', 'S3', 'V56', 'M8', '>i4', 'c16'].map(str)).toEqual([
      '<f8', '<f4', '<i8', '|u1', '|i1', '|b1', '|O', '<U5', '|S3', '|V56', '<M8', '>i4', '<c16',
    ]);
    expect(parseDTypeCode('U5', 'test').itemsize).toBe(20);
    expect(() => parseDTypeCode('q!', 'test')).toThrow(MlflowError);
  });

  it('applies the dtype state: byte order, datetime unit, structured fields', () => {
    const dt = parseDTypeCode('M8', 'test');
    setDTypeState(dt, [4, '<', null, null, null, -1, -1, 0, [new Map(), [new TextEncoder().encode('ns'), 1, 1, 1]]], 'test');
    expect(dt.str).toBe('<M8[ns]');
    const be = parseDTypeCode('f8', 'test');
    setDTypeState(be, [3, '>', null, null, null, -1, -1, 0], 'test');
    expect(be.str).toBe('>f8');
    expect(() => setDTypeState(be, [1, 2], 'test')).toThrow(/dtype state has 2 items/);
  });
});

describe('ndarrayFromBytes', () => {
  it('turns a Fortran-ordered 3-d array into C order', () => {
    // numpy: np.asfortranarray(np.arange(24.).reshape(2, 3, 4)) holds its data in this order
    const fortran: number[] = [];
    for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) fortran.push(i * 12 + j * 4 + k);
    const a = ndarrayFromBytes(parseDTypeCode('f8', 't'), [2, 3, 4], f64(...fortran), true, 't');
    expect(Array.from(a.data as Float64Array)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('swaps big-endian data and reports the native dtype', () => {
    const a = ndarrayFromBytes(parseDTypeCode('>i4', 't'), [2], Uint8Array.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe]), false, 't');
    expect(a.dtype).toBe('<i4');
    expect(Array.from(a.data as Int32Array)).toEqual([1, -2]);
  });

  it('splits a structured array into one array per field', () => {
    const dt = parseDTypeCode('V16', 't');
    setDTypeState(dt, [3, '|', null, ['a', 'b'], new Map<string, unknown>([['a', [parseDTypeCode('i8', 't'), 0]], ['b', [parseDTypeCode('f8', 't'), 8]]]), 16, 1, 16], 't');
    const raw = new Uint8Array(32);
    const view = new DataView(raw.buffer);
    view.setBigInt64(0, -5n, true);
    view.setFloat64(8, 0.5, true);
    view.setBigInt64(16, 7n, true);
    view.setFloat64(24, -1.25, true);
    const a = ndarrayFromBytes(dt, [2], raw, false, 't');
    expect(Array.from(a.fields!.a.data as Float64Array)).toEqual([-5, 7]);
    expect(Array.from(a.fields!.b.data as Float64Array)).toEqual([0.5, -1.25]);
  });

  it('refuses data that does not match dtype and shape, and zero-size items', () => {
    expect(() => ndarrayFromBytes(parseDTypeCode('f8', 't'), [3], f64(1, 2), false, 't')).toThrow(/needs 24 bytes but the file holds 16/);
    expect(() => ndarrayFromBytes(parseDTypeCode('S0', 't'), [1e12], new Uint8Array(0), false, 't')).toThrow(/item size 0/);
    expect(() => ndarrayFromBytes(parseDTypeCode('f8', 't'), [-1], new Uint8Array(0), false, 't')).toThrow(/not a non-negative integer/);
    expect(() => ndarrayFromList(parseDTypeCode('O8', 't'), [2, 2], ['a'], 't')).toThrow(/needs 4 items/);
  });

  it('reads numpy scalars, keeping int64 beyond 2^53 as bigint', () => {
    const i8 = new Uint8Array(8);
    new DataView(i8.buffer).setBigInt64(0, 2n ** 62n, true);
    expect(scalarFromBytes(parseDTypeCode('i8', 't'), i8, 't')).toBe(2n ** 62n);
    expect(scalarFromBytes(parseDTypeCode('b1', 't'), Uint8Array.from([1]), 't')).toBe(true);
    expect(scalarFromBytes(parseDTypeCode('f8', 't'), f64(2.5), 't')).toBe(2.5);
  });
});

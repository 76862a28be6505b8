import { describe, expect, it } from 'vitest';
import { PyFloat, parsePyJson, pyJsonDumps } from '../../src/formats/python-json.js';

describe('pyJsonDumps matches Python json.dumps', () => {
  it('floats as repr (expected text printed by Python 3.11)', () => {
    const vals = [0.1, 1.0, 3.0, -0.0, 1e16, 1e15, 123456789012345.6, 1e-4, 1e-5, 1.5e-7, 2.5e300, -1e22, 0.038075906433423026, NaN,
      Infinity, -Infinity, 5e-324, 1.7976931348623157e308, 100.0, 0.30000000000000004].map((v) => new PyFloat(v));
    expect(pyJsonDumps(vals)).toBe(
      '[0.1, 1.0, 3.0, -0.0, 1e+16, 1000000000000000.0, 123456789012345.6, 0.0001, 1e-05, 1.5e-07, 2.5e+300, -1e+22, 0.038075906433423026, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e+308, 100.0, 0.30000000000000004]',
    );
  });

  it('ints stay ints; ASCII-only escapes; indent=2 layout', () => {
    expect(pyJsonDumps([1, 3.5, 2 ** 64, true, null])).toBe('[1, 3.5, 18446744073709551616, true, null]');
    expect(pyJsonDumps({ é: 'ü\u2028\x7f\x00😀', a: [], b: {} }, { indent: 2 })).toBe(
      '{\n  "\\u00e9": "\\u00fc\\u2028\\u007f\\u0000\\ud83d\\ude00",\n  "a": [],\n  "b": {}\n}',
    );
  });

  it('parsePyJson reads NaN and Infinity as Python writes them, not inside strings', () => {
    expect(parsePyJson('[NaN, -Infinity, "NaN", {"a": Infinity}]', 'f.json')).toEqual([NaN, -Infinity, 'NaN', { a: Infinity }]);
    expect(() => parsePyJson('[1,', 'input_example.json')).toThrow(/input_example.json: invalid JSON/);
  });
});

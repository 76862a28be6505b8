import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { parseJsonRequest, parseJsonText, parseRequestValue, tensorFromJson, type Frame, type Tensor } from '../../src/frame/index.js';

/** Expected values below are what numpy 1.24 / pandas 1.5 (Debian's, as MLflow 2.22.1 ran) give. */

function tensorOf(json: string): Tensor {
  return parseJsonRequest(`{"inputs": ${json}}`).input as Tensor;
}

describe('parseJsonText', () => {
  it('keeps float literals apart from ints, also on the exact path', () => {
    const { value, floats } = parseJsonText('{"a": [1, 1.0, 2e3, 1.5], "b": NaN}');
    const a = (value as { a: number[] }).a;
    expect(a).toEqual([1, 1, 2000, 1.5]);
    expect([0, 1, 2, 3].map((i) => floats.has(a, i))).toEqual([false, true, true, false]);
    expect(Number.isNaN((value as { b: number }).b)).toBe(true);
  });

  it('a float literal that rounds to an integer is still a float', () => {
    for (const text of ['[1.00000000000000000001]', '[12345678901234567.5]']) {
      const { value, floats } = parseJsonText(text);
      expect(floats.has(value as object, 0)).toBe(true);
    }
  });

  it('reports errors as Python json does', () => {
    const cases: [string, string][] = [
      ['', 'Expecting value: line 1 column 1 (char 0)'],
      ['{"a": 1,}', 'Expecting property name enclosed in double quotes: line 1 column 9 (char 8)'],
      ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
      ['[1,\n2 3]', "Expecting ',' delimiter: line 2 column 3 (char 6)"],
      ['{"a": "x', 'Unterminated string starting at: line 1 column 7 (char 6)'],
      ['{} x', 'Extra data: line 1 column 4 (char 3)'],
    ];
    for (const [text, message] of cases) expect(() => parseJsonText(text)).toThrow(message);
  });

  it('treats "__proto__" as a plain key', () => {
    const { value } = parseJsonText('{"__proto__": 1.0}');
    expect(Object.keys(value as object)).toEqual(['__proto__']);
  });
});

describe('parseRequestValue', () => {
  it('reads an already parsed body, keeping float marks when given', () => {
    const { value, floats } = parseJsonText('{"x": {"inputs": [1.0, 2.0]}}');
    const inner = (value as { x: object }).x;
    expect(parseRequestValue(inner, floats).input).toMatchObject({ dtype: 'float64' });
    expect(parseRequestValue(inner).input).toMatchObject({ dtype: 'int64' });
  });
});

describe('tensors as np.array infers them', () => {
  it('dtype from the leaves', () => {
    expect(tensorOf('[[1, 2], [3, 4]]')).toMatchObject({ dtype: 'int64', shape: [2, 2] });
    expect(tensorOf('[1, 2.0]')).toMatchObject({ dtype: 'float64', shape: [2] });
    expect(tensorOf('[true, 2]')).toMatchObject({ dtype: 'int64', data: new Float64Array([1, 2]) });
    expect(tensorOf('[true, false]')).toMatchObject({ dtype: 'bool', data: new Uint8Array([1, 0]) });
    expect(tensorOf('[]')).toMatchObject({ dtype: 'float64', shape: [0] });
    expect(tensorOf('[[]]')).toMatchObject({ dtype: 'float64', shape: [1, 0] });
    expect(tensorOf('[1, null]')).toMatchObject({ dtype: 'object', data: [1, null] });
    expect(tensorFromJson([{ a: 1 }])).toMatchObject({ dtype: 'object', shape: [1] });
    expect(tensorOf('5.0')).toMatchObject({ dtype: 'float64', shape: [] });
  });

  it("strings: the other leaves become Python's str()", () => {
    expect(tensorOf('[1, "a", 1.0, true, 1e20, 1e-5]').data).toEqual(['1', 'a', '1.0', 'True', '1e+20', '1e-05']);
  });

  it("ragged nesting is refused with numpy's message, or kept as object on request", () => {
    const cases: [string, string][] = [
      ['[[1, 2], [3]]', '(2,)'],
      ['[1, [2]]', '(2,)'],
      ['[[[1], [2]], [[3], [4, 5]]]', '(2, 2)'],
    ];
    for (const [json, shape] of cases) {
      try {
        tensorOf(json);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(MlflowError);
        expect((e as MlflowError).errorCode).toBe('BAD_REQUEST');
        expect((e as MlflowError).message).toContain(`The detected shape was ${shape} + inhomogeneous part.`);
      }
    }
    const t = tensorFromJson([[1, 2], [3]], { ragged: 'object' });
    expect(t).toMatchObject({ dtype: 'object', shape: [2], data: [[1, 2], [3]] });
  });
});

describe('frames as pandas builds them from JSON', () => {
  const frame = (json: string) => parseJsonRequest(json).input as Frame;

  it('column dtypes: int, mixed int/float, null among numbers, mixed types', () => {
    const f = frame('{"dataframe_records": [{"i": 1, "f": 1, "n": 1, "s": "a", "m": "a", "o": [1]}, {"i": 2, "f": 2.5, "n": null, "s": null, "m": 1, "o": {"x": 1}}]}');
    expect(f.column('i')!.data).toMatchObject({ kind: 'number', dtype: 'int64' });
    expect(f.column('f')!.data).toMatchObject({ kind: 'number', dtype: 'float64' });
    const n = f.column('n')!.data;
    expect(n).toMatchObject({ kind: 'number', dtype: 'float64' });
    expect(Number.isNaN(n.values[1] as number)).toBe(true);
    expect(f.column('s')!.data).toEqual({ kind: 'string', values: ['a', null] });
    expect(f.column('m')!.data).toEqual({ kind: 'object', values: ['a', 1] });
    expect(f.column('o')!.data).toEqual({ kind: 'object', values: [[1], { x: 1 }] });
  });

  it('a float literal makes a float64 column even when integral', () => {
    expect(frame('{"dataframe_split": {"columns": ["x"], "data": [[1.0], [2]]}}').column('x')!.data).toMatchObject({
      dtype: 'float64',
    });
  });

  it('records: union of keys, missing -> null; lists of lists -> columns 0..n-1', () => {
    const f = frame('{"dataframe_records": [{"a": 1}, {"b": 2.5}]}');
    expect(f.columnNames).toEqual(['a', 'b']);
    expect(f.column('a')!.data).toMatchObject({ dtype: 'float64' });
    expect(frame('{"dataframe_records": [[1, 2], [3, 4]]}').columnNames).toEqual(['0', '1']);
  });

  it('split: short rows padded, a wider row refused, index length checked', () => {
    expect(frame('{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3]]}}').numRows).toBe(2);
    expect(() => frame('{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2, 3], [1]]}}')).toThrow(
      '2 columns passed, passed data had 3 columns',
    );
    expect(() => frame('{"dataframe_split": {"index": [1, 2, 3], "data": [[1], [2]]}}')).toThrow(
      'Length of values (2) does not match length of index (3)',
    );
    expect(() => frame('{"dataframe_split": {"data": [], "extra": 1}}')).toThrow(
      "Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {'data', 'extra'}.'",
    );
  });

  it('instances of records must give columns of one length', () => {
    expect(() => parseJsonRequest('{"instances": [{"a": 1, "b": 2}, {"a": 3}]}')).toThrow(
      'Invalid input. The length of values for each input/column name are not the same',
    );
  });

  it('wrong wrapper types name the type, never the data', () => {
    expect(() => parseJsonRequest('{"dataframe_records": {"a": 1}}')).toThrow(
      'Invalid input. Dataframe records format must be a list of records. Got dictionary.',
    );
    expect(() => parseJsonRequest('{"dataframe_split": "secret"}')).toThrow(
      "Invalid input. Dataframe split format must be a dictionary. Got type <class 'str'>.",
    );
    expect(() => parseJsonRequest('"secret"')).toThrow("Received unexpected input type '<class 'str'>.");
  });
});

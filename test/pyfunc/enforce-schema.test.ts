import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { Frame, type ColumnData } from '../../src/frame/frame.js';
import { makeTensor, type Tensor } from '../../src/frame/tensor.js';
import { ParamSchema, Schema } from '../../src/model/signature.js';
import { castToSchema, enforceParams, enforceSchema } from '../../src/pyfunc/index.js';

const schema = (json: unknown[]): Schema => Schema.fromJson(JSON.stringify(json));
const col = (name: string, data: ColumnData) => ({ name, data });
const num = (dtype: 'float64' | 'float32' | 'int64' | 'int32' | 'uint8' | 'uint32', values: number[]): ColumnData => {
  const Ctor = { float64: Float64Array, float32: Float32Array, int64: Float64Array, int32: Int32Array, uint8: Uint8Array, uint32: Uint32Array }[dtype];
  return { kind: 'number', dtype, values: Ctor.from(values) };
};
const f64 = (shape: number[], values: number[]): Tensor => makeTensor({ dtype: 'float64', shape, data: Float64Array.from(values) });

function errorOf(f: () => unknown): MlflowError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MlflowError);
    return e as MlflowError;
  }
  throw new Error('expected an error');
}
/** The part of the message after MLflow's "Error: ". */
const inner = (f: () => unknown): string => errorOf(f).message.replace(/^.*?'\. Error: /s, '');

describe('column signatures: type conversions of _enforce_mlflow_datatype', () => {
  const double = schema([{ type: 'double', name: 'x', required: true }]);
  const long = schema([{ type: 'long', name: 'x', required: true }]);

  it('upcasts int32 and float32 to double, int32 to long', () => {
    const a = enforceSchema(new Frame([col('x', num('int32', [1, 2]))]), double) as Frame;
    expect(a.column('x')?.data).toEqual({ kind: 'number', dtype: 'float64', values: Float64Array.of(1, 2) });
    const b = enforceSchema(new Frame([col('x', num('float32', [1.5]))]), double) as Frame;
    expect(b.column('x')?.data).toMatchObject({ dtype: 'float64' });
    const c = enforceSchema(new Frame([col('x', num('int32', [7]))]), long) as Frame;
    expect(c.column('x')?.data).toMatchObject({ dtype: 'int64' });
  });

  it('refuses int64 -> double (more than 6 bytes), float -> long, double -> float', () => {
    expect(inner(() => enforceSchema(new Frame([col('x', num('int64', [1]))]), double))).toBe(
      'Incompatible input types for column x. Can not safely convert int64 to float64.',
    );
    expect(inner(() => enforceSchema(new Frame([col('x', num('float64', [1.5]))]), long))).toBe(
      'Incompatible input types for column x. Can not safely convert float64 to int64.',
    );
    const float = schema([{ type: 'float', name: 'x', required: true }]);
    expect(inner(() => enforceSchema(new Frame([col('x', num('float64', [1]))]), float))).toMatch(/float64 to float32/);
  });

  it('hints at missing values when integral floats with NaN meet an integer column', () => {
    const m = inner(() => enforceSchema(new Frame([col('x', num('float64', [1, NaN]))]), long));
    expect(m).toMatch(/Hint: the type mismatch is likely caused by missing values/);
  });

  it('allows uint8 -> integer but not uint32 -> integer', () => {
    const integer = schema([{ type: 'integer', name: 'x', required: true }]);
    expect((enforceSchema(new Frame([col('x', num('uint8', [3]))]), integer) as Frame).column('x')?.data).toMatchObject({ dtype: 'int32' });
    expect(inner(() => enforceSchema(new Frame([col('x', num('uint32', [3]))]), integer))).toMatch(/uint32 to int32/);
  });

  it('keeps strings for string columns and refuses them for numbers (no value in the message)', () => {
    const s = schema([{ type: 'string', name: 'x', required: true }]);
    const strings = new Frame([col('x', { kind: 'string', values: ['a', null] })]);
    expect((enforceSchema(strings, s) as Frame).column('x')?.data).toEqual(strings.column('x')?.data);
    const m = errorOf(() => enforceSchema(new Frame([col('x', { kind: 'string', values: ['secret-value'] })]), double)).message;
    expect(m).toMatch(/Can not safely convert object to float64/);
    expect(m).not.toContain('secret-value');
    expect(inner(() => enforceSchema(new Frame([col('x', num('int64', [1]))]), s))).toMatch(/int64 to <U0/);
  });

  it('infers object columns (pandas infer_objects) before checking', () => {
    const frame = new Frame([col('x', { kind: 'object', values: [1.5, 2] })]);
    expect((enforceSchema(frame, double) as Frame).column('x')?.data).toMatchObject({ kind: 'number', dtype: 'float64' });
  });

  it('parses datetime strings and refuses bad ones', () => {
    const dt = schema([{ type: 'datetime', name: 't', required: true }]);
    const ok = enforceSchema(new Frame([col('t', { kind: 'string', values: ['2024-01-02T03:04:05'] })]), dt) as Frame;
    expect(ok.column('t')?.data.kind).toBe('datetime');
    expect(inner(() => enforceSchema(new Frame([col('t', { kind: 'string', values: ['nope'] })]), dt))).toBe(
      'Failed to convert column t from type object to datetime.',
    );
  });
});

describe('column signatures: names, order, optional and unnamed columns', () => {
  const ab = schema([
    { type: 'double', name: 'a', required: true },
    { type: 'string', name: 'b', required: false },
  ]);

  it('reorders to the signature, drops extra columns, leaves out a missing optional one', () => {
    const frame = new Frame([col('z', num('float64', [0])), col('a', num('float64', [1]))]);
    const out = enforceSchema(frame, ab) as Frame;
    expect(out.columnNames).toEqual(['a']);
  });

  it('names the missing required columns and the extra ones', () => {
    const frame = new Frame([col('b', { kind: 'string', values: ['x'] }), col('c', num('float64', [1]))]);
    const err = errorOf(() => enforceSchema(frame, ab));
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toBe(
      "Failed to enforce schema of data (DataFrame of 1 rows and 2 columns) with schema '['a': double (required), 'b': string (optional)]'. Error: Model is missing inputs ['a']. Note that there were extra inputs: ['c']",
    );
  });

  it('checks only the count of an unnamed column schema, using the first columns', () => {
    const unnamed = schema([{ type: 'double', required: true }, { type: 'double', required: true }]);
    expect(inner(() => enforceSchema(f64([1, 1], [1]), unnamed))).toBe(
      'Model inference is missing inputs. The model signature declares 2 inputs  but the provided value only has 1 inputs. Note: the inputs were not named in the signature so we can only verify their count.',
    );
    const out = enforceSchema(f64([1, 3], [1, 2, 3]), unnamed) as Frame;
    expect(out.columnNames).toEqual(['0', '1']);
  });

  it('turns plain JSON into a table as pandas does', () => {
    const s = schema([{ type: 'long', name: 'a', required: true }, { type: 'string', name: 'b', required: true }]);
    const fromRecords = enforceSchema([{ a: 1, b: 'x' }, { a: 2, b: 'y' }], s) as Frame;
    expect(fromRecords.numRows).toBe(2);
    const oneRow = enforceSchema({ a: 1, b: 'x' }, s) as Frame;
    expect(oneRow.numRows).toBe(1);
    const columns = enforceSchema({ a: [1, 2, 3], b: ['x', 'y', 'z'] }, s) as Frame;
    expect(columns.numRows).toBe(3);
  });

  it('checks array and object columns value by value', () => {
    const s = schema([
      { type: 'array', items: { type: 'double' }, name: 'v', required: true },
      { type: 'object', properties: { k: { type: 'string', required: true } }, name: 'o', required: true },
    ]);
    const ok = enforceSchema([{ v: [1.5, 2.5], o: { k: 'x' } }], s) as Frame;
    expect(ok.column('v')?.data.values).toEqual([[1.5, 2.5]]);
    // Each element is checked alone as a pandas Series: an int64 is not a safe double for MLflow.
    expect(inner(() => enforceSchema([{ v: [1], o: { k: 'x' } }], s))).toBe('Failed to enforce schema of data with dtype `double`');
    expect(inner(() => enforceSchema([{ v: 3, o: { k: 'x' } }], s))).toBe('Expected data to be list or numpy array, got int');
    expect(inner(() => enforceSchema([{ v: [1.5], o: { j: 'x' } }], s))).toBe("Missing required properties: {'k'}");
  });
});

describe('tensor signatures', () => {
  const unnamed = schema([{ type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1, 4] } }]);

  it('checks shape and dtype exactly (castToSchema is what converts request ints)', () => {
    expect(enforceSchema(f64([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]), unnamed)).toMatchObject({ shape: [2, 4] });
    const ints = makeTensor<Tensor>({ dtype: 'int64', shape: [1, 4], data: Float64Array.of(1, 2, 3, 4) });
    expect(inner(() => enforceSchema(ints, unnamed))).toBe('dtype of input int64 does not match expected dtype float64');
    expect(enforceSchema(castToSchema(ints, unnamed), unnamed)).toMatchObject({ dtype: 'float64' });
    expect(inner(() => enforceSchema(f64([4], [1, 2, 3, 4]), unnamed))).toBe('Shape of input (4,) does not match expected shape (-1, 4).');
  });

  it('turns a table into the tensor: many columns as a matrix, one column of lists reshaped', () => {
    const frame = new Frame(['a', 'b', 'c', 'd'].map((n, i) => col(n, num('float64', [i]))));
    expect(enforceSchema(frame, unnamed)).toMatchObject({ shape: [1, 4], dtype: 'float64' });
    const lists = new Frame([col('x', { kind: 'object', values: [[1, 2, 3, 4], [5, 6, 7, 8]] })]);
    expect(enforceSchema(lists, unnamed)).toMatchObject({ shape: [2, 4], dtype: 'float64' });
    const ragged = new Frame([col('x', { kind: 'object', values: [[1, 2, 3, 4], [5]] })]);
    expect(inner(() => enforceSchema(ragged, unnamed))).toMatch(/could not be converted to the expected shape of: '\(-1, 4\)'/);
  });

  it('maps named tensor specs to a record of tensors and refuses other values', () => {
    const named = schema([
      { type: 'tensor', name: 'x', 'tensor-spec': { dtype: 'float64', shape: [-1, 2] } },
      { type: 'tensor', name: 'y', 'tensor-spec': { dtype: 'float64', shape: [-1] } },
    ]);
    const out = enforceSchema({ x: f64([1, 2], [1, 2]), y: f64([1], [3]), extra: f64([1], [0]) }, named) as Record<string, Tensor>;
    expect(Object.keys(out)).toEqual(['x', 'y']);
    expect(inner(() => enforceSchema({ x: f64([1, 2], [1, 2]) }, named))).toBe("Model is missing inputs ['y'].");
    expect(inner(() => enforceSchema({ x: [[1, 2]], y: f64([1], [3]) }, named))).toMatch(/a dict with value type <class 'list'> was found/);
  });

  it('takes a bare tensor as the only input of a one-name tensor signature', () => {
    const one = schema([{ type: 'tensor', name: 'x', 'tensor-spec': { dtype: 'float64', shape: [-1] } }]);
    expect(Object.keys(enforceSchema(f64([2], [1, 2]), one))).toEqual(['x']);
  });
});

describe('params schema (_enforce_params_schema)', () => {
  const params = ParamSchema.fromJson(
    JSON.stringify([
      { name: 'temperature', type: 'double', default: 0.5, shape: null },
      { name: 'top_k', type: 'long', default: 3, shape: null },
      { name: 'stop', type: 'string', default: ['\n'], shape: [-1] },
    ]),
  );

  it('fills defaults, keeps valid values and drops unknown names', () => {
    expect(enforceParams({ top_k: 5, unknown: 1 }, params)).toEqual({ temperature: 0.5, top_k: 5, stop: ['\n'] });
    expect(enforceParams(undefined, params)).toEqual({ temperature: 0.5, top_k: 3, stop: ['\n'] });
  });

  it('refuses a wrong type or a non-dictionary', () => {
    const err = errorOf(() => enforceParams({ top_k: 'many' }, params));
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toMatch(/^Invalid parameters found: \{\('top_k', /);
    expect(errorOf(() => enforceParams([1], params)).message).toBe("Parameters must be a dictionary. Got type 'list'.");
  });

  it('ignores params when the model has no params schema', () => {
    expect(enforceParams({ foo: 1 }, undefined)).toEqual({});
    expect(enforceParams(undefined, undefined)).toBeUndefined();
  });
});

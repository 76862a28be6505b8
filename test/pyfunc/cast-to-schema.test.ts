import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { Frame } from '../../src/frame/frame.js';
import { makeTensor, type Tensor } from '../../src/frame/tensor.js';
import { Schema } from '../../src/model/signature.js';
import { castToSchema, schemaReading } from '../../src/pyfunc/index.js';

const cols = Schema.fromJson('[{"type": "double", "name": "x", "required": true}, {"type": "long", "name": "n", "required": true}]');
const frameOf = (x: unknown[], n: unknown[]): Frame =>
  new Frame([
    { name: 'x', data: { kind: 'object', values: x } },
    { name: 'n', data: { kind: 'object', values: n } },
  ]);

function badRequest(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MlflowError);
    expect((e as MlflowError).errorCode).toBe('BAD_REQUEST');
    return (e as MlflowError).message;
  }
  throw new Error('expected an error');
}

describe("castToSchema (the scoring server's schema-guided parse)", () => {
  it('casts numbers, numeric strings, booleans and nulls to the column types', () => {
    const out = castToSchema(frameOf(['5.5', true, null, 2], [3, '4', false, 7]), cols) as Frame;
    expect(Array.from(out.column('x')?.data.values as Float64Array)).toEqual([5.5, 1, NaN, 2]);
    expect(out.column('n')?.data).toEqual({ kind: 'number', dtype: 'int64', values: Float64Array.of(3, 4, 0, 7) });
  });

  it('refuses what cannot take the type, naming the column but not the value', () => {
    const m = badRequest(() => castToSchema(frameOf(['abc'], [1]), cols));
    expect(m).toBe(
      "Invalid input. Data is not compatible with model signature. Failed to convert column x to type 'float64'. Error: 'could not convert string to float'",
    );
    expect(badRequest(() => castToSchema(frameOf([1], [1.5]), cols))).toMatch(/column n to type 'int64'/);
    expect(badRequest(() => castToSchema(frameOf([1], [null]), cols))).toMatch(/column n to type 'int64'/);
  });

  it('casts an int64 tensor to a float64 tensor signature and refuses named tensors for an unnamed one', () => {
    const spec = Schema.fromJson('[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]');
    const ints = makeTensor<Tensor>({ dtype: 'int64', shape: [1, 2], data: Float64Array.of(5, 3) });
    expect(castToSchema(ints, spec)).toEqual({ kind: 'tensor', dtype: 'float64', shape: [1, 2], data: Float64Array.of(5, 3) });
    expect(badRequest(() => castToSchema({ x: ints }, spec))).toMatch(/un-named {2}model signature/);
    const strings = makeTensor<Tensor>({ dtype: 'string', shape: [1], data: ['x'] });
    expect(badRequest(() => castToSchema(strings, spec))).toBe('Invalid input. could not convert string to float');
  });

  it('takes one array as the single named input of a tensor signature, as MLflow does', () => {
    const spec = Schema.fromJson('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}, "name": "x"}]');
    const ints = makeTensor<Tensor>({ dtype: 'int64', shape: [3], data: Float64Array.of(1, 2, 3) });
    expect(castToSchema(ints, spec)).toEqual({ x: { kind: 'tensor', dtype: 'float32', shape: [3], data: Float32Array.of(1, 2, 3) } });
  });

  it('leaves input alone without a schema', () => {
    const input = { anything: [1, 2] };
    expect(castToSchema(input, undefined)).toBe(input);
  });
});

describe('integers beyond 2^53', () => {
  it('a numeric string beyond 2^53 cast to a long column is refused, naming column and value', () => {
    expect(badRequest(() => castToSchema(frameOf([1], ['9007199254740993']), cols))).toBe(
      "Invalid input. Data is not compatible with model signature. Failed to convert column n to type 'int64'." +
        " Error: 'the integer 9007199254740993 is beyond 2^53, which mlflow-ts cannot represent exactly'",
    );
  });

  it('schemaReading rounds into double and float columns and float tensors, and reads string columns as text', () => {
    const reading = schemaReading(Schema.fromJson('[{"type": "double", "name": "x"}, {"type": "long", "name": "n"}, {"type": "string", "name": "s"}]'));
    expect([reading.readsAsFloat?.('x'), reading.readsAsFloat?.('n'), reading.readsAsFloat?.(undefined)]).toEqual([true, false, false]);
    expect([reading.readsAsText?.('s'), reading.readsAsText?.('x')]).toEqual([true, false]);
    const tensor = schemaReading(Schema.fromJson('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]'));
    expect(tensor.readsAsFloat?.(undefined)).toBe(true);
    expect(schemaReading(undefined).readsAsFloat?.('x')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { Frame } from '../../src/frame/frame.js';
import { makeTensor } from '../../src/frame/tensor.js';
import {
  AnyType, ArrayType, ColSpec, MapType, ModelSignature, ObjectType, ParamSchema, ParamSpec, Property, PyFloat, Schema,
  TensorSpec, inferSignature,
} from '../../src/model/index.js';

const err = (f: () => unknown): MlflowError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MlflowError);
    return e as MlflowError;
  }
  throw new Error('expected an MlflowError');
};

describe('Schema JSON, as MLflow writes it', () => {
  it('writes every column type with Python json.dumps spacing and key order', () => {
    const s = new Schema([
      ...(['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime'] as const).map((t) => new ColSpec(t, t)),
      new ColSpec(new ArrayType('string'), 'tags', false),
      new ColSpec(new ObjectType([new Property('role', 'string'), new Property('content', 'string', false)]), 'msg'),
      new ColSpec(new MapType(new ArrayType('double')), 'm'),
      new ColSpec(new AnyType(), 'x', false),
      new ColSpec('sparkml_vector', 'v'),
    ]);
    expect(s.toJson()).toBe(
      '[{"type": "boolean", "name": "boolean", "required": true}, {"type": "integer", "name": "integer", "required": true}, ' +
        '{"type": "long", "name": "long", "required": true}, {"type": "float", "name": "float", "required": true}, ' +
        '{"type": "double", "name": "double", "required": true}, {"type": "string", "name": "string", "required": true}, ' +
        '{"type": "binary", "name": "binary", "required": true}, {"type": "datetime", "name": "datetime", "required": true}, ' +
        '{"type": "array", "items": {"type": "string"}, "name": "tags", "required": false}, ' +
        '{"type": "object", "properties": {"content": {"type": "string", "required": false}, "role": {"type": "string", "required": true}}, "name": "msg", "required": true}, ' +
        '{"type": "map", "values": {"type": "array", "items": {"type": "double"}}, "name": "m", "required": true}, ' +
        '{"type": "any", "name": "x", "required": false}, {"type": "sparkml_vector", "name": "v", "required": true}]',
    );
    expect(Schema.fromJson(s.toJson()).toJson()).toBe(s.toJson());
    expect(s.requiredInputNames()).toEqual(['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime', 'msg', 'm', 'v']);
    expect(s.optionalInputNames()).toEqual(['tags', 'x']);
  });

  it('writes tensor specs, named and unnamed, and normalizes numpy dtype names', () => {
    expect(new Schema([new TensorSpec('float64', [-1, 4])]).toJson()).toBe('[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]');
    const named = new Schema([new TensorSpec('<f4', [-1, 28, 28], 'image'), new TensorSpec('int', [-1], 'id')]);
    expect(named.toJson()).toBe(
      '[{"name": "image", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28, 28]}}, {"name": "id", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
    );
    expect(named.isTensorSpec()).toBe(true);
    expect(new TensorSpec('U', [-1]).dtype).toBe('str');
    expect(err(() => new TensorSpec('<U5', [-1])).message).toContain('size information in flexible numpy data types');
    expect(err(() => new TensorSpec('float128x', [-1])).message).toContain("Unsupported numpy dtype 'float128x'");
    expect(err(() => new TensorSpec('constructor', [-1])).message).toContain("Unsupported numpy dtype 'constructor'");
  });

  it("reads MLflow 1.x files' ColSpecs (name first, no required, name null)", () => {
    const s = Schema.fromJson('[{"name": "fixed acidity", "type": "double"}]');
    expect(s.toJson()).toBe('[{"type": "double", "name": "fixed acidity", "required": true}]');
    expect(Schema.fromJson('[{"name": null, "type": "double"}]').hasInputNames()).toBe(false);
  });

  it('applies MLflow validation rules', () => {
    expect(err(() => new Schema([])).message).toBe('Creating Schema with empty inputs is not allowed.');
    expect(err(() => new Schema([new ColSpec('double', 'a'), new ColSpec('double')])).message).toContain(
      'combination of named and unnamed inputs',
    );
    expect(err(() => new Schema([new ColSpec('double', 'a'), new TensorSpec('float64', [-1], 'b')])).message).toContain(
      'combination of ColSpec and TensorSpec',
    );
    expect(err(() => new Schema([new TensorSpec('float64', [-1]), new TensorSpec('float64', [-1])])).message).toContain(
      'multiple unnamed TensorSpecs',
    );
    expect(err(() => new Schema([new ColSpec('double', undefined, false)])).message).toContain('unnamed optional inputs');
    expect(err(() => new ObjectType([])).message).toContain('empty properties');
    expect(err(() => new ObjectType([new Property('a', 'long'), new Property('a', 'string')])).message).toContain('duplicated');
  });

  it('names the field of a bad schema', () => {
    expect(err(() => Schema.fromJson('[{"type": "tensor", "tensor-spec": {"dtype": "float64"}}]', 'signature.inputs')).message).toBe(
      'signature.inputs[0].tensor-spec: Missing keys in TensorSpec JSON. Expected to find keys `dtype` and `shape`',
    );
    expect(err(() => Schema.fromJson('[{"type": "array", "items": {"type": "decimal"}}]', 'signature.outputs')).message).toContain(
      "signature.outputs[0].items: Unsupported type 'decimal'",
    );
    expect(err(() => Schema.fromJson('{"type": "double"}', 'signature.inputs')).message).toContain('expected a JSON list');
    const deep = `[${'{"type": "array", "items": '.repeat(5000)}{"type": "long"}${'}'.repeat(5000)}]`;
    expect(err(() => Schema.fromJson(deep, 'signature.inputs')).message).toContain('nested deeper than 64 levels');
  });
});

describe('ParamSchema', () => {
  it('writes params as MLflow does (name, default, shape, then type)', () => {
    const p = new ParamSchema([
      new ParamSpec('temperature', 'float', new PyFloat(0.5)),
      new ParamSpec('top_k', 'long', 10),
      new ParamSpec('stop', 'string', ['a', 'b'], [-1]),
      new ParamSpec('scale', 'double', 1),
    ]);
    expect(p.toJson()).toBe(
      '[{"name": "temperature", "default": 0.5, "shape": null, "type": "float"}, {"name": "top_k", "default": 10, "shape": null, "type": "long"}, ' +
        '{"name": "stop", "default": ["a", "b"], "shape": [-1], "type": "string"}, {"name": "scale", "default": 1.0, "shape": null, "type": "double"}]',
    );
    expect(ParamSchema.fromJson(p.toJson()).toJson()).toBe(p.toJson());
  });

  it('writes datetime defaults as Python isoformat, and object params', () => {
    const p = new ParamSchema([
      new ParamSpec('at', 'datetime', new Date(Date.UTC(2024, 0, 2, 3, 4, 5))),
      new ParamSpec('cfg', new ObjectType([new Property('k', 'long')]), { k: 1 }),
    ]);
    expect(p.toJson()).toBe(
      '[{"name": "at", "default": "2024-01-02T03:04:05", "shape": null, "type": "datetime"}, ' +
        '{"name": "cfg", "default": {"k": 1}, "shape": null, "type": "object", "properties": {"k": {"type": "long", "required": true}}}]',
    );
    expect(ParamSchema.fromJson(p.toJson()).toJson()).toBe(p.toJson());
  });

  it('validates types, shapes and duplicates', () => {
    expect(err(() => new ParamSpec('x', 'binary', null)).message).toContain('Binary type is not supported');
    expect(err(() => new ParamSpec('x', 'long', 'ten')).message).toContain('Failed to validate type and shape');
    expect(err(() => new ParamSpec('x', 'long', [1], [2])).message).toContain('Shape must be None');
    expect(err(() => new ParamSpec('x', 'long', 1, [-1])).message).toContain('1D array');
    expect(err(() => new ParamSchema([new ParamSpec('a', 'long', 1), new ParamSpec('a', 'long', 2)])).message).toContain('Duplicated');
    expect(err(() => ParamSchema.fromJson('[{"name": "a", "default": 1}]', 'signature.params')).message).toContain('signature.params[0]: Missing keys');
  });
});

describe('ModelSignature', () => {
  it('round-trips the 2.22.1 fixture signature dict', () => {
    const dict = {
      inputs: '[{"type": "double", "name": "sepal_length", "required": true}]',
      outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
      params: null,
    };
    expect(ModelSignature.fromDict(dict).toDict()).toEqual(dict);
  });

  it('rejects a non-string schema', () => {
    expect(err(() => ModelSignature.fromDict({ inputs: [{ type: 'double' }] })).message).toContain('signature.inputs: expected a JSON string');
  });
});

describe('inferSignature maps types as MLflow infer_signature', () => {
  it('a Frame (with a NaN making its column optional) and a 1-d int64 tensor', () => {
    const frame = new Frame([
      { name: 'a', data: { kind: 'number', dtype: 'float64', values: Float64Array.from([1.5, NaN]) } },
      { name: 'b', data: { kind: 'number', dtype: 'int32', values: Int32Array.from([1, 2]) } },
      { name: 'c', data: { kind: 'string', values: ['x', 'y'] } },
      { name: 'd', data: { kind: 'bool', values: [true, false] } },
      { name: 'e', data: { kind: 'object', values: [['p', 'q'], ['r']] } },
    ]);
    const sig = inferSignature(frame, makeTensor({ dtype: 'int64', shape: [2], data: Float64Array.from([0, 1]) }));
    expect(sig.toDict()).toEqual({
      inputs:
        '[{"type": "double", "name": "a", "required": false}, {"type": "integer", "name": "b", "required": true}, ' +
        '{"type": "string", "name": "c", "required": true}, {"type": "boolean", "name": "d", "required": true}, ' +
        '{"type": "array", "items": {"type": "string"}, "name": "e", "required": true}]',
      outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
      params: null,
    });
  });

  it('tensors, records of tensors, list of records, a dict, strings, params', () => {
    const t = makeTensor({ dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
    expect(inferSignature(t).inputs?.toJson()).toBe('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]');
    expect(inferSignature({ x: t }).inputs?.toJson()).toBe(
      '[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]',
    );
    expect(inferSignature([{ q: 'a', n: 1 }, { q: 'b', k: 2.5 }]).inputs?.toJson()).toBe(
      '[{"type": "string", "name": "q", "required": true}, {"type": "long", "name": "n", "required": false}, {"type": "double", "name": "k", "required": false}]',
    );
    expect(inferSignature({ messages: [{ role: 'user', content: 'hi' }] }, 'ok').toDict()).toEqual({
      inputs:
        '[{"type": "array", "items": {"type": "object", "properties": {"content": {"type": "string", "required": true}, "role": {"type": "string", "required": true}}}, "name": "messages", "required": true}]',
      outputs: '[{"type": "string", "required": true}]',
      params: null,
    });
    expect(inferSignature(['a', 'b']).inputs?.toJson()).toBe('[{"type": "string", "required": true}]');
    expect(inferSignature('x', undefined, { t: new PyFloat(0.7), n: 3, s: ['a'] }).params?.toJson()).toBe(
      '[{"name": "t", "default": 0.7, "shape": null, "type": "double"}, {"name": "n", "default": 3, "shape": null, "type": "long"}, {"name": "s", "default": ["a"], "shape": [-1], "type": "string"}]',
    );
    expect(err(() => inferSignature([1, 'a'])).message).toContain('Expected all values in the list to be of the same type');
  });
});

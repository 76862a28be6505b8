import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Frame, type ColumnData, type NumericArray, type NumericDType } from '../../src/frame/frame.js';
import { makeTensor, type Tensor } from '../../src/frame/tensor.js';
import { ColSpec, PyFloat, Schema, TensorSpec, inferExampleOutputSchema, inferSchema } from '../../src/model/index.js';
import { FIXTURES } from './helpers.js';

/** MLflow's answers, derived from its source (see the README beside cases.json). */
interface Case {
  name: string;
  source?: string;
  input: {
    frame?: { name: string; kind: string; dtype?: NumericDType; values: unknown[] }[];
    tensor?: TensorJson;
    tensors?: Record<string, TensorJson>;
    json?: unknown;
    prediction?: TensorJson;
    for?: 'columns' | 'tensor';
  };
  schema?: string;
  error?: string;
}
interface TensorJson {
  dtype: Tensor['dtype'];
  shape: number[];
  data: unknown[];
}

const { cases } = JSON.parse(readFileSync(path.join(FIXTURES, 'infer-signature/cases.json'), 'utf8')) as { cases: Case[] };

const TYPED: Record<NumericDType, (v: number[]) => ColumnData['values']> = {
  float64: (v) => Float64Array.from(v), float32: (v) => Float32Array.from(v),
  int64: (v) => Float64Array.from(v), uint64: (v) => Float64Array.from(v),
  int32: (v) => Int32Array.from(v), int16: (v) => Int16Array.from(v), int8: (v) => Int8Array.from(v),
  uint32: (v) => Uint32Array.from(v), uint16: (v) => Uint16Array.from(v), uint8: (v) => Uint8Array.from(v),
};

function column(c: NonNullable<Case['input']['frame']>[number]): ColumnData {
  switch (c.kind) {
    case 'number':
      return { kind: 'number', dtype: c.dtype!, values: TYPED[c.dtype!](c.values.map((v) => (v === null ? NaN : (v as number)))) } as ColumnData;
    case 'binary':
      return { kind: 'binary', values: c.values.map((v) => (v === null ? null : Uint8Array.from(Buffer.from(v as string, 'base64')))) };
    case 'datetime':
      return { kind: 'datetime', values: c.values.map((v) => (v === null ? null : new Date(v as string))) };
    default:
      return { kind: c.kind, values: c.values } as ColumnData;
  }
}

function tensor(t: TensorJson): Tensor {
  if (t.dtype === 'string' || t.dtype === 'object') return makeTensor({ dtype: t.dtype, shape: t.shape, data: t.data });
  if (t.dtype === 'bool') return makeTensor({ dtype: 'bool', shape: t.shape, data: Uint8Array.from(t.data as number[]) });
  const data = TYPED[t.dtype](t.data.map((v) => (v === null ? NaN : (v as number)))) as NumericArray;
  return makeTensor({ dtype: t.dtype, shape: t.shape, data });
}

/** A Python value from its JSON encoding: {"$float": x}, {"$nan": true}, {"$bytes": b64}, {"$datetime": iso}. */
function pyValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pyValue);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('$float' in o) return new PyFloat(o.$float as number);
  if ('$nan' in o) return NaN;
  if ('$bytes' in o) return Uint8Array.from(Buffer.from(o.$bytes as string, 'base64'));
  if ('$datetime' in o) return new Date(o.$datetime as string);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, pyValue(x)]));
}

const COLUMN_INPUT = new Schema([new ColSpec('double', 'x')]);
const TENSOR_INPUT = new Schema([new TensorSpec('float64', [-1, 4])]);

function infer(input: Case['input']): Schema {
  if (input.frame) return inferSchema(new Frame(input.frame.map((c) => ({ name: c.name, data: column(c) }))));
  if (input.tensor) return inferSchema(tensor(input.tensor));
  if (input.tensors) return inferSchema(Object.fromEntries(Object.entries(input.tensors).map(([k, t]) => [k, tensor(t)])));
  if (input.prediction) return inferExampleOutputSchema(input.for === 'tensor' ? TENSOR_INPUT : COLUMN_INPUT, tensor(input.prediction));
  return inferSchema(pyValue(input.json));
}

describe('signature inference answers as MLflow 2.22.1 (cases.json, derived from its source)', () => {
  it('covers every input kind', () => {
    const kinds = new Set(cases.map((c) => Object.keys(c.input).find((k) => k !== 'for')));
    expect([...kinds].sort()).toEqual(['frame', 'json', 'prediction', 'tensor', 'tensors']);
  });
  for (const c of cases) {
    it(c.name, () => {
      if (c.error !== undefined) expect(() => infer(c.input)).toThrow(c.error);
      else expect(infer(c.input).toJson()).toBe(c.schema);
    });
  }
});

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Frame } from '../../../src/frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';

const MODELS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/models');
const open: Predictor[] = [];

async function load(name: string, signatureKey?: string): Promise<Predictor> {
  const p = await loadPredictor(path.join(MODELS, name), { runtime: 'native', signatureKey });
  open.push(p);
  return p;
}

const f32 = (shape: number[], v: number[]): Tensor => makeTensor({ dtype: 'float32', shape, data: Float32Array.from(v) });
const i32 = (shape: number[], v: number[]): Tensor => makeTensor({ dtype: 'int32', shape, data: Int32Array.from(v) });

function tensor(x: unknown): Tensor {
  if (!isTensor(x)) throw new Error(`expected a tensor, got ${JSON.stringify(x)}`);
  return x;
}

function values(x: unknown): { dtype: string; shape: readonly number[]; data: number[] } {
  const t = tensor(x);
  return { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as ArrayLike<number>) };
}

afterAll(async () => {
  for (const p of open) await p.close();
});

// Expected values: /work/shared/fixtures/tensorflow/EXPECTED.md (the tfjs-node tests' assertions).
describe('tensorflow flavor: tfjs-node tf.Module SavedModels (tf2-module)', () => {
  it('times_three_float: [1,2,3] -> [3,6,9], through the MLmodel tensor signature', async () => {
    const p = await load('times_three_float');
    expect(p.flavor).toBe('tensorflow');
    expect(values(await p.predict(f32([3], [1, 2, 3])))).toEqual({ dtype: 'float32', shape: [3], data: [3, 6, 9] });
  });

  it('times_two_int: int32 [1,2,3] -> [2,4,6]', async () => {
    const p = await load('times_two_int');
    expect(values(await p.predict(i32([3], [1, 2, 3])))).toEqual({ dtype: 'int32', shape: [3], data: [2, 4, 6] });
  });

  it('uint8_multiply: scalar 3 -> 18 of shape []', async () => {
    const p = await load('uint8_multiply');
    expect(values(await p.predict(i32([], [3])))).toEqual({ dtype: 'int32', shape: [], data: [18] });
  });

  it('int64_multiply: [3,4] -> [18,24] as int64', async () => {
    const p = await load('int64_multiply');
    expect(values(await p.predict(i32([2], [3, 4])))).toEqual({ dtype: 'int64', shape: [2], data: [18, 24] });
  });

  it('module_with_multiple_signatures: serving_default triples, timestwo doubles', async () => {
    const a = await load('module_with_multiple_signatures');
    expect(values(await a.predict(f32([3], [1, 2, 3]))).data).toEqual([3, 6, 9]);
    const b = await load('module_with_multiple_signatures', 'timestwo');
    expect(values(await b.predict(f32([3], [1, 2, 3]))).data).toEqual([2, 4, 6]);
  });

  it('a signature that does not exist fails naming it and the ones that do', async () => {
    await expect(load('module_with_multiple_signatures', 'nope')).rejects.toThrow(
      /Could not find signature def key 'nope'.*Available keys are: serving_default, timestwo/,
    );
  });

  it('model_single_input_multi_output: one input, a record of two outputs', async () => {
    const p = await load('model_single_input_multi_output');
    const out = (await p.predict(i32([3], [1, 2, 3]))) as Record<string, Tensor>;
    expect(Object.keys(out).sort()).toEqual(['output_0', 'output_1']);
    expect(values(out.output_0).data).toEqual([2, 4, 6]);
    expect(values(out.output_1).data).toEqual([1, 2, 3]);
  });

  it('model_multi_output: named tensors in, named tensors out; a table maps columns by name', async () => {
    const p = await load('model_multi_output');
    const out = (await p.predict({ x: i32([3], [1, 2, 3]), y: i32([3], [1, 2, 3]) })) as Record<string, Tensor>;
    expect(values(out.output_0).data).toEqual([2, 4, 6]);
    expect(values(out.output_1).data).toEqual([1, 2, 3]);
    const frame = new Frame([
      { name: 'x', data: { kind: 'number', dtype: 'int64', values: Float64Array.from([1, 2, 3]) } },
      { name: 'y', data: { kind: 'number', dtype: 'int64', values: Float64Array.from([4, 5, 6]) } },
    ]);
    // A table in gives a table out: one column per output (MLflow's _TF2Wrapper).
    const fromFrame = (await p.predict(frame)) as Frame;
    expect(fromFrame.columns.map((c) => c.name)).toEqual(['output_0', 'output_1']);
    expect(Array.from(fromFrame.column('output_0')?.data.values as ArrayLike<number>)).toEqual([2, 4, 6]);
    expect(Array.from(fromFrame.column('output_1')?.data.values as ArrayLike<number>)).toEqual([4, 5, 6]);
  });

  it('refuses a missing input, naming it', async () => {
    const p = await load('model_multi_output');
    await expect(p.predict({ x: i32([3], [1, 2, 3]) })).rejects.toThrow(/missing 'y'/);
  });
});

describe('tensorflow flavor: tensorflow-serving half_plus_two / half_plus_three (tf1-estimator)', () => {
  it('TF1 half_plus_two (VariableV2, signature feeds an intermediate tensor): x/2 + 2', async () => {
    const p = await load('half_plus_two_cpu');
    expect(values(await p.predict(f32([3, 1], [1, 2, 3])))).toEqual({ dtype: 'float32', shape: [3, 1], data: [2.5, 3, 3.5] });
  });

  it('TF1 half_plus_two regress_x2_to_y3: x/2 + 3', async () => {
    const p = await load('half_plus_two_cpu', 'regress_x2_to_y3');
    expect(values(await p.predict(f32([3, 1], [1, 2, 3]))).data).toEqual([3.5, 4, 4.5]);
  });

  it('TF1 half_plus_three: x/2 + 3; a one-column table is the single input', async () => {
    const p = await load('half_plus_three');
    expect(values(await p.predict(f32([3, 1], [1, 2, 3]))).data).toEqual([3.5, 4, 4.5]);
    const frame = new Frame([{ name: 'v', data: { kind: 'number', dtype: 'float64', values: Float64Array.from([1, 2, 3]) } }]);
    // [3, 1] per output raveled into one column per output, as _TF2Wrapper's ravel().
    const table = (await p.predict(frame)) as Frame;
    expect(table.columns.map((c) => [c.name, c.data.kind])).toEqual([[table.columns[0].name, 'number']]);
    expect(Array.from(table.columns[0].data.values as ArrayLike<number>)).toEqual([3.5, 4, 4.5]);
  });

  it('TF 2.14 half_plus_two (Snappy index, PlaceholderWithDefault): x/2 + 2, and regress_x2_to_y3', async () => {
    const p = await load('half_plus_two_tf2_cpu');
    expect(values(await p.predict(f32([3], [1, 2, 3]))).data).toEqual([2.5, 3, 3.5]);
    const q = await load('half_plus_two_tf2_cpu', 'regress_x2_to_y3');
    expect(values(await q.predict(f32([3], [1, 2, 3]))).data).toEqual([3.5, 4, 4.5]);
  });

  it('refuses the tf.Example signature regress_x_to_y at load time, naming the op', async () => {
    await expect(load('half_plus_two_tf2_cpu', 'regress_x_to_y')).rejects.toThrow(
      /regress_x_to_y' uses TensorFlow ops that cannot run natively in JS: ParseExampleV2/,
    );
    await expect(load('half_plus_two_cpu', 'regress_x_to_y')).rejects.toThrow(/ParseExample\b/);
  });

  it('refuses signatures that change variables (a frozen copy would silently not), serves the read-only one', async () => {
    await expect(load('counter', 'incr_counter')).rejects.toThrow(/'incr_counter' changes the model's variables \(AssignAdd\)/);
    await expect(load('counter', 'reset_counter')).rejects.toThrow(/changes the model's variables \(Assign\)/);
    const get = await load('counter');
    // It loads and runs; its scalar output then fails MLflow's _TF2Wrapper, whose ravel check
    // iterates every output (numpy: "iteration over a 0-d array"), so it fails here too.
    await expect(get.predict({})).rejects.toThrow('iteration over a 0-d array');
  });
});

describe('tensorflow flavor: Keras and tf.Module SavedModels from other projects', () => {
  it('cppflow Keras Dense->Dense (model_type keras, save_format tf): ones(10,5) -> 0.9522027 per row', async () => {
    const p = await load('cppflow_keras');
    const out = values(await p.predict(f32([10, 5], new Array<number>(50).fill(1))));
    expect(out.shape).toEqual([10, 1]);
    for (const v of out.data) expect(v).toBeCloseTo(0.9522027, 6);
    // A table whose columns are not the input's name is the single input, whole.
    const frame = new Frame(
      ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, data: { kind: 'number' as const, dtype: 'float64' as const, values: Float64Array.from([1, 1]) } })),
    );
    // A Keras model answers a table with columns 0..n-1 (pandas.DataFrame(model.predict(df.values))).
    const table = (await p.predict(frame)) as Frame;
    expect(table.columns.map((c) => c.name)).toEqual(['0']);
    for (const v of Array.from(table.columns[0].data.values as ArrayLike<number>)) expect(v).toBeCloseTo(0.9522027, 6);
  });

  it('tensorflow-java Keras Model subclass: add(10, 15.5) = 25.5, get_variable = 2.0', async () => {
    const add = await load('tf_java_module', 'add');
    expect(values(await add.predict({ a: f32([], [10]), b: f32([], [15.5]) })).data).toEqual([25.5]);
    const get = await load('tf_java_module', 'get_variable');
    expect(values(await get.predict({ dummy: f32([], [0]) })).data).toEqual([2]);
  });
});

import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Frame } from '../../../src/frame/frame.js';
import { makeTensor, type Tensor } from '../../../src/frame/tensor.js';
import '../../../src/flavors/index.js';
import { saveModel } from '../../../src/flavors/onnx/index.js';
import { Model } from '../../../src/model/index.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';

const FIX = join(import.meta.dirname, '../../fixtures/onnx-graphs');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Desc = { dtype: string; shape: number[]; value: (number | string | null)[] } | { kind: 'zipmap'; value: Record<string, number | null>[] };
interface Case { inputs: Record<string, { dtype: string; shape: number[]; value: (number | null)[] }>; outputs: Record<string, Desc> }

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'mlflow-ts-onnx-'));
  dirs.push(d);
  return d;
}

/** A model directory as mlflow.onnx.save_model lays it out, around a fixture's model files. */
function modelDir(name: string, sessionOptions = 'null'): string {
  const dir = tmp();
  cpSync(join(FIX, name), dir, { recursive: true });
  writeFileSync(join(dir, 'MLmodel'), [
    'flavors:', '  onnx:', '    code: null', '    data: model.onnx', `    onnx_session_options: ${sessionOptions}`, '    onnx_version: 1.17.0',
    '    providers:', '    - CUDAExecutionProvider', '    - CPUExecutionProvider', 'mlflow_version: 2.22.1', '',
  ].join('\n'));
  return dir;
}

const f32 = (v: (number | null)[]): Float32Array => Float32Array.from(v, (x) => (x === null ? NaN : x));
/** ONNX's conformance tolerance for float outputs (onnx backend tests: rtol 1e-3, atol 1e-7). */
function close(got: ArrayLike<number>, want: (number | string | null)[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number | null;
    if (w === null) {
      expect(got[i]).toBeNaN();
      continue;
    }
    if (Math.abs(got[i] - w) > 1e-7 + 1e-3 * Math.abs(w)) expect.fail(`value ${i}: got ${got[i]}, want ${w}`);
  }
}

function check(got: Tensor, want: Desc): void {
  if ('kind' in want) {
    expect(got.dtype).toBe('object');
    const maps = got.data as Record<string, number>[];
    expect(maps.map((m) => Object.keys(m))).toEqual(want.value.map((m) => Object.keys(m)));
    maps.forEach((m, r) => close(Object.values(m), Object.values(want.value[r])));
    return;
  }
  expect([...got.shape]).toEqual(want.shape);
  if (want.dtype.startsWith('float')) close(got.data as Float32Array, want.value);
  else expect(Array.from(got.data as ArrayLike<unknown>)).toEqual(want.value);
}

const cases = readdirSync(FIX).filter((d) => !d.includes('.'));

describe('onnx flavor: onnx.helper graphs against onnxruntime 1.30 (Python)', () => {
  for (const name of cases) {
    it(`${name}: a dict of tensors gives a dict of outputs`, async () => {
      const c = JSON.parse(readFileSync(join(FIX, name, 'case.json'), 'utf8')) as Case;
      const p = await loadPredictor(modelDir(name), { runtime: 'native' });
      const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, makeTensor({ dtype: 'float32', shape: v.shape, data: f32(v.value) })]));
      const got = (await p.predict(feeds)) as Record<string, Tensor>;
      expect(Object.keys(got)).toEqual(Object.keys(c.outputs));
      for (const [k, want] of Object.entries(c.outputs)) check(got[k], want);
      await p.close();
    });
  }

  it('a DataFrame gives a DataFrame: all columns stacked into the single input, ZipMap maps as a column', async () => {
    const c = JSON.parse(readFileSync(join(FIX, 'tree_classifier_zipmap_str', 'case.json'), 'utf8')) as Case;
    const x = c.inputs.X;
    const frame = new Frame(['a', 'b', 'c', 'd'].map((name, j) => ({
      name, data: { kind: 'number', dtype: 'float64', values: Float64Array.from({ length: x.shape[0] }, (_, i) => x.value[i * 4 + j] ?? NaN) },
    })));
    const p = await loadPredictor(modelDir('tree_classifier_zipmap_str', '{intra_op_num_threads: 1, graph_optimization_level: 99, execution_mode: sequential}'), { runtime: 'native' });
    const got = (await p.predict(frame)) as Frame;
    expect(got.columnNames).toEqual(['label', 'output_probability']);
    const want = c.outputs.label as { value: string[] };
    expect(got.column('label')!.data.values).toEqual(want.value);
    expect((got.column('output_probability')!.data.values as Record<string, number>[])[0]).toHaveProperty('setosa');
    await p.close();
  });

  it('a DataFrame feeds several inputs by column name; an array needs a single-input model', async () => {
    const p = await loadPredictor(modelDir('two_inputs'), { runtime: 'native' });
    const a = makeTensor({ dtype: 'float32', shape: [2, 1], data: Float32Array.of(1, 2) });
    await expect(p.predict(a)).rejects.toThrow("This model requires 2 inputs. Please pass in data as either a dictionary or a DataFrame with the following tensors: ['a', 'b']");
    await p.close();
  });

  it('refuses a wrong number of features with a 400 naming expected and received', async () => {
    const p = await loadPredictor(modelDir('tree_regressor_2_targets'), { runtime: 'native' });
    const err = await p.predict(makeTensor({ dtype: 'float32', shape: [1, 3], data: new Float32Array(3) })).catch((e: unknown) => e);
    expect((err as { errorCode?: string }).errorCode).toBe('BAD_REQUEST');
    expect((err as Error).message).toMatch(/Got: 3 Expected: 5/);
    await p.close();
  });

  it('reads external data next to the model, also for a graph rewritten for ZipMap', async () => {
    const c = JSON.parse(readFileSync(join(FIX, 'external_data', 'case.json'), 'utf8')) as Case;
    const p = await loadPredictor(modelDir('external_data'), { runtime: 'native' });
    const got = (await p.predict(makeTensor({ dtype: 'float64', shape: c.inputs.X.shape, data: Float64Array.from(c.inputs.X.value, (v) => v ?? NaN) }))) as Record<string, Tensor>;
    check(got.y, c.outputs.y);
    await p.close();
  });

  it('saveModel writes an MLflow onnx model that loads back, inferring the signature', async () => {
    const dir = join(tmp(), 'm');
    const example = makeTensor({ dtype: 'float32', shape: [2, 5], data: new Float32Array(10) });
    await saveModel(join(FIX, 'tree_regressor_2_targets', 'model.onnx'), dir, { inputExample: example });
    const m = await Model.load(dir);
    expect(m.flavors.onnx).toMatchObject({ data: 'model.onnx', providers: ['CUDAExecutionProvider', 'CPUExecutionProvider'] });
    expect(m.flavors.python_function).toMatchObject({ loader_module: 'mlflow.onnx' });
    expect(m.signature).toBeDefined();
    const p = await loadPredictor(dir, { runtime: 'native' });
    const got = (await p.predict(example)) as Record<string, Tensor>;
    expect(got.variable.shape).toEqual([2, 2]);
    await p.close();
  });
});

const UP = join(import.meta.dirname, '../../fixtures/onnx-upstream');

describe('onnx flavor: MLflow\'s and sklearn-onnx\'s models', () => {
  type T = { type: string; dims: number[]; data: (number | string)[] };
  for (const [model, expected] of [
    ['sklearn_model', 'mlflow_sklearn_model'],
    ['tf_model_multiple_inputs_float32', 'mlflow_tf_model_multiple_inputs_float32'],
    ['tf_model_multiple_inputs_float64', 'mlflow_tf_model_multiple_inputs_float64'],
    ['treecl', 'sklearn-onnx_treecl'], ['treecl2', 'sklearn-onnx_treecl2'], ['treecl3', 'sklearn-onnx_treecl3'],
  ]) {
    it(model, async () => {
      const e = JSON.parse(readFileSync(join(UP, `${expected}.expected.json`), 'utf8')) as { inputs: Record<string, T>; outputs: Record<string, T> };
      const dir = tmp();
      cpSync(join(UP, `${model}.onnx`), join(dir, 'model.onnx'));
      writeFileSync(join(dir, 'MLmodel'), 'flavors:\n  onnx:\n    data: model.onnx\n    onnx_version: 1.17.0\n');
      const p = await loadPredictor(dir, { runtime: 'native' });
      const feeds = Object.fromEntries(Object.entries(e.inputs).map(([k, v]) => [k, makeTensor(
        v.type === 'float64' ? { dtype: 'float64', shape: v.dims, data: Float64Array.from(v.data as number[]) } : { dtype: 'float32', shape: v.dims, data: Float32Array.from(v.data as number[]) },
      )]));
      const got = (await p.predict(feeds)) as Record<string, Tensor>;
      for (const [k, want] of Object.entries(e.outputs)) {
        expect([...got[k].shape]).toEqual(want.dims);
        if (want.type.startsWith('float')) close(got[k].data as Float32Array, want.data);
        else expect(Array.from(got[k].data as ArrayLike<unknown>)).toEqual(want.data);
      }
      await p.close();
    });
  }
});

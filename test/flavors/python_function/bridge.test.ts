import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MlflowError } from '../../../src/errors.js';
import { Frame } from '../../../src/frame/frame.js';
import { predictionsToJson } from '../../../src/frame/predictions-json.js';
import { predictionsJsonInBlocks } from '../../../src/serve/predict-in-blocks.js';
import { makeTensor } from '../../../src/frame/tensor.js';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';
import { floatFrame, toNested } from './helpers.js';
import { writeCustomModel } from './custom-model.js';
import { pythonReady, skipReason } from './python-available.js';

describe.skipIf(!pythonReady)(`python_function bridge with a custom loader_module ${skipReason}`, () => {
  let dir: string;
  let predictor: Predictor;
  const input = floatFrame(['a', 'b'], [[1, 2], [3, 4.5]]);

  beforeAll(async () => {
    dir = await writeCustomModel();
    // No runtime forced: a model with only a python_function flavor falls back to the bridge.
    predictor = await loadPredictor(dir, { workers: 2 });
    expect(predictor.flavor).toBe('python_function');
  });
  afterAll(async () => {
    await predictor?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads code/ and data/ and predicts an ndarray, although the model prints to stdout', async () => {
    const out = await predictor.predict(input);
    expect(toNested(out)).toEqual([30.5, 75.5]);
  });

  it('returns a DataFrame as a Frame with numeric, string and bool columns', async () => {
    const out = (await predictor.predict(input, { mode: 'frame' })) as Frame;
    expect(out).toBeInstanceOf(Frame);
    expect(out.columnNames).toEqual(['total', 'label', 'flag']);
    expect(out.column('total')!.data).toEqual({ kind: 'number', dtype: 'float64', values: Float64Array.from([30.5, 75.5]) });
    expect(out.column('label')!.data).toEqual({ kind: 'string', values: ['row0', 'row1'] });
    expect(out.column('flag')!.data).toEqual({ kind: 'bool', values: [true, true] });
  });

  it('returns a Series as a one-column Frame named after it, as MLflow writes it', async () => {
    const out = (await predictor.predict(input, { mode: 'series' })) as Frame;
    expect(out.columnNames).toEqual(['idx']);
    expect(out.column('idx')!.data).toEqual({ kind: 'number', dtype: 'int32', values: Int32Array.from([0, 1]) });
  });

  it('returns a dict of arrays as named tensors and a list as JSON (NaN as null)', async () => {
    const dict = (await predictor.predict(input, { mode: 'dict' })) as Record<string, unknown>;
    expect(toNested(dict.a)).toEqual([0, 1, 2]);
    expect(dict.b).toMatchObject({ kind: 'tensor', dtype: 'string', shape: [3], data: ['u', 'v', 'w'] });
    expect(await predictor.predict(input, { mode: 'list' })).toEqual([1, 'two', null, null, { k: 0.5 }]);
  });

  it("writes a list or dict answer as MLflow's json.dump does: 1.0 stays 1.0, NaN and Infinity as Python writes them", async () => {
    const dict = await predictor.predict(input, { mode: 'floats' });
    expect(dict).toEqual({ list: [1, 2.5, null, -0], n: 3, x: 2, s: [null, 1, 'é'] });
    expect(predictionsToJson(dict)).toBe('{"predictions": {"list": [1.0, 2.5, Infinity, -0.0], "n": 3, "x": 2.0, "s": [NaN, 1, "\\u00e9"]}}');
    expect(await predictionsJsonInBlocks(dict)).toEqual(Buffer.from(predictionsToJson(dict)));
    expect(predictionsToJson(await predictor.predict(input, { mode: 'float' }))).toBe('{"predictions": 3.0}');
    expect(predictionsToJson(await predictor.predict(input, { mode: 'nan' }))).toBe('{"predictions": NaN}');
    // nothing JSON.parse loses: no text, the value as parsed
    expect(predictionsToJson(await predictor.predict(input, { mode: 'list' }))).toBe('{"predictions": [1, "two", null, NaN, {"k": 0.5}]}');
  });

  it('sends every column kind to pandas and back unchanged', async () => {
    const mixed = new Frame([
      { name: 'f32', data: { kind: 'number', dtype: 'float32', values: Float32Array.from([1.5, -2]) } },
      { name: 'i64', data: { kind: 'number', dtype: 'int64', values: Float64Array.from([2 ** 40, -7]) } },
      { name: 'u8', data: { kind: 'number', dtype: 'uint8', values: Uint8Array.from([0, 255]) } },
      { name: 's', data: { kind: 'string', values: ['x', null] } },
      { name: 'b', data: { kind: 'bool', values: [true, false] } },
      { name: 'o', data: { kind: 'object', values: [[1, 2], { k: 'v' }] } },
    ]);
    const out = (await predictor.predict(mixed, { mode: 'echo' })) as Frame;
    expect(out.columns.map((c) => c.data)).toEqual(mixed.columns.map((c) => c.data));
  });

  it('keeps None and NaN apart in an object column, as pandas does', async () => {
    const frame = new Frame([{ name: 's', data: { kind: 'object', values: ['x', null, NaN, 1] } }]);
    expect(await predictor.predict(frame, { mode: 'missing' })).toEqual(['str', 'NoneType', 'float-nan', 'int']);
  });

  it('a prediction JSON cannot hold is an INTERNAL_ERROR, as MLflow answers it (500), not its repr (issue #18)', async () => {
    await expect(predictor.predict(input, { mode: 'object' })).rejects.toMatchObject({
      errorCode: 'INTERNAL_ERROR',
      message: expect.stringContaining('Object of type object is not JSON serializable') as unknown,
    });
  });

  it('sends tensors and named tensors to numpy and back unchanged', async () => {
    const t = makeTensor({ dtype: 'int32', shape: [2, 3], data: Int32Array.from([1, 2, 3, 4, 5, -6]) });
    expect(await predictor.predict(t, { mode: 'echo' })).toEqual(t);
    const named = {
      x: makeTensor({ dtype: 'float32', shape: [2], data: Float32Array.from([0.25, -1]) }),
      ok: makeTensor({ dtype: 'bool', shape: [2], data: Uint8Array.from([1, 0]) }),
      s: makeTensor({ dtype: 'string', shape: [1, 2], data: ['a', 'b'] }),
    };
    expect(await predictor.predict(named, { mode: 'echo' })).toEqual(named);
  });

  it("turns a model exception into MLflow's generic BAD_REQUEST without the exception's text, and keeps the worker", async () => {
    const err = await predictor.predict(input, { mode: 'fail' }).then(() => undefined, (e: unknown) => e as MlflowError);
    expect(err).toMatchObject({
      errorCode: 'BAD_REQUEST',
      message: 'Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.',
    });
    expect(err?.message).not.toContain('alice');
    expect(toNested(await predictor.predict(input))).toEqual([30.5, 75.5]);
  });

  it('serves concurrent requests from both workers', async () => {
    const pids = await Promise.all(Array.from({ length: 8 }, () => predictor.predict(input, { mode: 'pid' })));
    expect(new Set(pids.map((p) => (toNested(p) as number[])[0])).size).toBe(2);
  });

  it('an AbortSignal stops a call in flight: it rejects at once, the worker is replaced, the next call is answered', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const call = predictor.predict(input, { mode: 'sleep', seconds: 60 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 500);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(toNested(await predictor.predict(input))).toEqual([30.5, 75.5]);
    // an aborted signal refuses the call before it reaches a worker
    await expect(predictor.predict(input, undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('Symbol.asyncDispose closes the predictor (its workers stop)', async () => {
    const own = await loadPredictor(dir, { runtime: 'python', workers: 1 });
    expect(toNested(await own.predict(input))).toEqual([30.5, 75.5]);
    await own[Symbol.asyncDispose]();
    await expect(own.predict(input)).rejects.toThrow('The model was closed');
  });
});

describe.skipIf(!pythonReady)(`python_function bridge in a Python that has mlflow ${skipReason}`, () => {
  it('loads through mlflow.pyfunc.load_model, so every MLflow flavor works there', async () => {
    const dir = await writeCustomModel({ loaderModule: 'mlflow.pyfunc.model' });
    const fake = path.join(dir, 'site');
    await mkdir(path.join(fake, 'mlflow', 'pyfunc'), { recursive: true });
    await writeFile(path.join(fake, 'mlflow', '__init__.py'), '');
    await writeFile(
      path.join(fake, 'mlflow', 'pyfunc', '__init__.py'),
      [
        '# A stand-in for MLflow: records how the worker called it.',
        'class _Model:',
        '    def __init__(self, uri, config):',
        '        self.uri, self.config = uri, config',
        '    def predict(self, data, params=None):',
        '        return {"uri": self.uri, "columns": list(data.columns), "params": params}',
        'def load_model(model_uri, model_config=None):',
        '    return _Model(model_uri, model_config)',
        '',
      ].join('\n'),
    );
    const saved = process.env.PYTHONPATH;
    process.env.PYTHONPATH = fake;
    try {
      const predictor = await loadPredictor(dir, { runtime: 'python', workers: 1 });
      try {
        expect(await predictor.predict(floatFrame(['a', 'b'], [[1, 2]]), { mode: 'x' })).toEqual({
          uri: dir,
          columns: ['a', 'b'],
          params: { mode: 'x', seconds: 30 },
        });
      } finally {
        await predictor.close();
      }
    } finally {
      if (saved === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

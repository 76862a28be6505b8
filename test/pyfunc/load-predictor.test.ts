import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MlflowError, NotSupportedNativelyError } from '../../src/errors.js';
import { Frame } from '../../src/frame/frame.js';
import type { Tensor } from '../../src/frame/tensor.js';
import { registerFlavor, unregisterFlavor } from '../../src/flavors/registry.js';
import { loadPredictor, planRuntime } from '../../src/pyfunc/index.js';

const IRIS_JS = join(import.meta.dirname, '../../examples/iris-js');
const expected = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/pyfunc/iris_sklearn_predict.json'), 'utf8'),
) as { X: number[][]; predict: number[] };
const NAMES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

function irisFrame(rows: number[][]): Frame {
  return new Frame(
    NAMES.map((name, j) => ({ name, data: { kind: 'number', dtype: 'float64', values: Float64Array.from(rows, (r) => r[j]) } })),
  );
}

/** A model directory whose MLmodel lists the given flavors. */
function modelDir(flavors: Record<string, Record<string, unknown>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlflow-ts-pyfunc-'));
  const yaml = ['flavors:'];
  for (const [name, conf] of Object.entries(flavors)) {
    yaml.push(`  ${name}:`);
    for (const [k, v] of Object.entries(conf)) yaml.push(`    ${k}: ${JSON.stringify(v)}`);
    if (Object.keys(conf).length === 0) yaml[yaml.length - 1] += ' {}';
  }
  writeFileSync(join(dir, 'MLmodel'), yaml.join('\n') + '\n');
  return dir;
}

const registered: string[] = [];
function register(name: string, kind: 'js' | 'native' | 'python', label: string): void {
  registerFlavor({
    name,
    kind,
    loadPredictor: async (ctx) => ({ predict: () => ({ label, conf: ctx.conf }) }),
  });
  registered.push(name);
}
afterEach(() => {
  while (registered.length > 0) unregisterFlavor(registered.pop() as string);
});

describe('loadPredictor on examples/iris-js', () => {
  it("predicts scikit-learn's labels on all 150 iris rows", async () => {
    const p = await loadPredictor(IRIS_JS);
    expect(p.flavor).toBe('js_function');
    const out = (await p.predict(irisFrame(expected.X))) as Tensor;
    expect(out.dtype).toBe('int64');
    expect(out.shape).toEqual([150]);
    expect(Array.from(out.data as Float64Array)).toEqual(expected.predict);
    await p.close();
  });

  it('accepts file:// URIs and columns in another order plus an extra column', async () => {
    const p = await loadPredictor(`file://${IRIS_JS}`);
    const rows = [[7.7, 3.0, 6.1, 2.3]];
    const shuffled = new Frame([
      { name: 'extra', data: { kind: 'number', dtype: 'int64', values: Float64Array.of(99) } },
      ...[...irisFrame(rows).columns].reverse(),
    ]);
    const out = (await p.predict(shuffled)) as Tensor;
    expect(Array.from(out.data as Float64Array)).toEqual([2]);
  });
});

describe('flavor choice', () => {
  it('loads a custom flavor registered by name', async () => {
    register('my_custom_flavor', 'native', 'custom');
    const dir = modelDir({ my_custom_flavor: { weights: 'w.bin' } });
    const p = await loadPredictor(dir);
    expect(p.flavor).toBe('my_custom_flavor');
    expect(await p.predict({ any: 'json' })).toEqual({ label: 'custom', conf: { weights: 'w.bin' } });
  });

  it('prefers native over the python bridge, and runtime forces either', async () => {
    register('test_native', 'native', 'native');
    register('test_bridge', 'python', 'python');
    const dir = modelDir({ test_bridge: { loader_module: 'x' }, test_native: {} });
    expect((await loadPredictor(dir)).flavor).toBe('test_native');
    expect((await loadPredictor(dir, { runtime: 'native' })).flavor).toBe('test_native');
    expect((await loadPredictor(dir, { runtime: 'python' })).flavor).toBe('test_bridge');
    expect((await loadPredictor(dir, { flavor: 'test_bridge' })).flavor).toBe('test_bridge');
  });

  it('runtime native never runs code from the model: a js_function model is refused, naming why (issue #18)', async () => {
    await expect(loadPredictor(IRIS_JS, { runtime: 'native' })).rejects.toThrow(
      `The model at '${IRIS_JS}' is a JavaScript model (flavor 'js_function'), whose loader runs the model's own code; --runtime native never runs code from a model: use --runtime auto to load it`,
    );
  });

  it('takes the runtime from MLFLOW_TS_RUNTIME when none is asked for, and refuses a bad value by name', async () => {
    const saved = process.env.MLFLOW_TS_RUNTIME;
    try {
      process.env.MLFLOW_TS_RUNTIME = 'native';
      await expect(loadPredictor(IRIS_JS)).rejects.toThrow('--runtime native never runs code from a model');
      expect((await loadPredictor(IRIS_JS, { runtime: 'auto' })).flavor).toBe('js_function');
      process.env.MLFLOW_TS_RUNTIME = 'nativ';
      await expect(loadPredictor(IRIS_JS)).rejects.toThrow("MLFLOW_TS_RUNTIME must be one of auto, native, python, not 'nativ'");
    } finally {
      if (saved === undefined) delete process.env.MLFLOW_TS_RUNTIME;
      else process.env.MLFLOW_TS_RUNTIME = saved;
    }
  });

  it('says, naming the model, when the Python bridge takes a model by default (it runs the model\'s code)', async () => {
    register('test_bridge7', 'python', 'python');
    const dir = modelDir({ test_bridge7: {} });
    const warnings: string[] = [];
    expect((await loadPredictor(dir, { onWarning: (m) => warnings.push(m) })).flavor).toBe('test_bridge7');
    expect(warnings).toEqual([
      `WARNING: the model at '${dir}' has no flavor mlflow-ts scores natively, so the Python bridge loads it, which runs the model's own Python code; --runtime native (MLFLOW_TS_RUNTIME=native) refuses such models`,
    ]);
    await loadPredictor(dir, { runtime: 'python', onWarning: () => expect.fail('asked for: no warning') });
  });

  it('passes python_function.predict_fn to a flavor in its conf', async () => {
    register('test_multi', 'native', 'multi');
    const dir = modelDir({ python_function: { predict_fn: 'predict_proba' }, test_multi: { pickled: 'm.pkl' } });
    const p = await loadPredictor(dir, { runtime: 'native' });
    expect(await p.predict(null)).toMatchObject({ conf: { pickled: 'm.pkl', predict_fn: 'predict_proba' } });
  });

  it('names the model flavors and the registered ones when nothing can load it', async () => {
    register('test_bridge2', 'python', 'python');
    const dir = modelDir({ test_bridge2: {}, sklearn_like: {} });
    const err = await loadPredictor(dir, { runtime: 'native' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((err as MlflowError).message).toContain("The model's flavors are 'test_bridge2', 'sklearn_like'");
    expect((err as MlflowError).message).toContain("'test_bridge2' (python)");
    expect((err as MlflowError).message).toContain("'js_function' (js)");
  });

  it('refuses a forced flavor the model lacks or the runtime excludes', async () => {
    register('test_bridge3', 'python', 'python');
    const dir = modelDir({ test_bridge3: {} });
    await expect(loadPredictor(dir, { flavor: 'js_function' })).rejects.toThrow(/has no 'js_function' flavor/);
    await expect(loadPredictor(dir, { flavor: 'test_bridge3', runtime: 'native' })).rejects.toThrow(/runtime 'native' excludes/);
  });
});

describe('fallback to the Python bridge', () => {
  /** A native flavor that refuses every model with `error`. */
  function registerRefusing(name: string, error: Error): void {
    registerFlavor({ name, kind: 'native', loadPredictor: () => Promise.reject(error) });
    registered.push(name);
  }

  it('with runtime auto, a model the native flavor does not support goes to the bridge after one warning line', async () => {
    registerRefusing('test_refusing', new NotSupportedNativelyError('model.pkl: sklearn.cross_decomposition.PLSRegression is not supported natively'));
    register('test_bridge4', 'python', 'python');
    const dir = modelDir({ test_bridge4: {}, test_refusing: {} });
    const warnings: string[] = [];
    const p = await loadPredictor(dir, { onWarning: (m) => warnings.push(m) });
    expect(p.flavor).toBe('test_bridge4');
    expect(await p.predict(null)).toMatchObject({ label: 'python' });
    expect(warnings).toEqual([
      "WARNING: model.pkl: sklearn.cross_decomposition.PLSRegression is not supported natively (flavor 'test_refusing'); loading the model with the Python bridge instead",
    ]);
    expect(await planRuntime(dir)).toEqual({
      flavor: 'test_bridge4',
      runtime: 'python',
      reason: 'model.pkl: sklearn.cross_decomposition.PLSRegression is not supported natively',
    });
  });

  it('with runtime native, the refusal reaches the caller with the reason and how to score the model', async () => {
    registerRefusing('test_refusing2', new NotSupportedNativelyError('layer Foo is not supported natively'));
    register('python_function_like', 'python', 'python');
    const dir = modelDir({ python_function: {}, test_refusing2: {} });
    const err = await loadPredictor(dir, { runtime: 'native', onWarning: () => expect.fail('no warning') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotSupportedNativelyError);
    expect((err as MlflowError).errorCode).toBe('NOT_IMPLEMENTED');
    expect((err as Error).message).toBe('layer Foo is not supported natively; use --runtime python (or auto) to load it with the Python bridge');
    await expect(planRuntime(dir, { runtime: 'native' })).rejects.toThrow('layer Foo is not supported natively');
  });

  it('any other error (a corrupt file) ends the load: the bridge is never asked', async () => {
    registerRefusing('test_corrupt', new MlflowError('model.pkl (byte 17): the pickle ends without a STOP opcode', 'INVALID_PARAMETER_VALUE'));
    register('test_bridge5', 'python', 'python');
    const dir = modelDir({ test_bridge5: {}, test_corrupt: {} });
    await expect(loadPredictor(dir, { onWarning: () => expect.fail('no warning') })).rejects.toThrow('model.pkl (byte 17): the pickle ends without a STOP opcode');
    await expect(planRuntime(dir)).rejects.toThrow('byte 17');
  });

  it('describes a native model as native, and a forced flavor as asked for', async () => {
    register('test_native2', 'native', 'native');
    register('test_bridge6', 'python', 'python');
    const dir = modelDir({ test_bridge6: {}, test_native2: {} });
    expect(await planRuntime(dir)).toEqual({ flavor: 'test_native2', runtime: 'native', reason: 'the test_native2 flavor loads natively' });
    expect(await planRuntime(dir, { runtime: 'python' })).toMatchObject({ flavor: 'test_bridge6', runtime: 'python' });
    expect(await planRuntime(dir, { flavor: 'test_bridge6' })).toEqual({ flavor: 'test_bridge6', runtime: 'python', reason: "flavor 'test_bridge6' was asked for" });
  });
});

describe('js_function loader errors', () => {
  it('refuses a loader_module that climbs out of the code directory', async () => {
    const dir = modelDir({ js_function: { loader_module: '../../etc/passwd', code: 'code' } });
    mkdirSync(join(dir, 'code'));
    await expect(loadPredictor(dir)).rejects.toThrow(/flavors.js_function.loader_module/);
  });

  it('imports a package named by loader_module from the node_modules next to the model', async () => {
    const dir = modelDir({ js_function: { loader_module: 'echo-loader' } });
    mkdirSync(join(dir, 'node_modules', 'echo-loader'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'echo-loader', 'package.json'), '{"name": "echo-loader", "main": "index.mjs"}');
    writeFileSync(
      join(dir, 'node_modules', 'echo-loader', 'index.mjs'),
      'export function loadModel(dataPath) { return { predict: (input) => ({ dataPath, input }) }; }\n',
    );
    const p = await loadPredictor(dir);
    expect(await p.predict([1, 2])).toEqual({ dataPath: dir, input: [1, 2] });
  });

  it('refuses a loader_module that is neither a code file nor a package name', async () => {
    const dir = modelDir({ js_function: { loader_module: './loader.mjs' } });
    await expect(loadPredictor(dir)).rejects.toThrow(/is neither a file in the model's code directory \(none\) nor a package name/);
  });

  it('refuses a loader without loadModel', async () => {
    const dir = modelDir({ js_function: { loader_module: 'empty', code: 'code' } });
    mkdirSync(join(dir, 'code'));
    writeFileSync(join(dir, 'code', 'empty.mjs'), 'export const x = 1;\n');
    await expect(loadPredictor(dir)).rejects.toThrow(/does not export a function loadModel/);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { EXPERIMENT_ID, RUN_V1, copyFixtureStore } from '../store/fixture-store.js';

/** Runs `mlflow-ts <args>` in this process and returns what it printed. */
async function runCli(args: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    const program = buildProgram().exitOverride();
    await program.parseAsync(['node', 'mlflow-ts', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('mlflow-ts models describe', () => {
  const saved = process.env.MLFLOW_TRACKING_URI;
  let root: string;
  beforeEach(() => {
    root = copyFixtureStore();
    process.env.MLFLOW_TRACKING_URI = root;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.MLFLOW_TRACKING_URI;
    else process.env.MLFLOW_TRACKING_URI = saved;
  });

  it('prints flavors, signature, input example and environment for people', async () => {
    const text = await runCli(['models', 'describe', '-m', 'models:/iris@champion']);
    const modelDir = path.join(root, EXPERIMENT_ID, RUN_V1, 'artifacts', 'model');
    expect(text).toContain('Model: models:/iris@champion\n');
    expect(text).toContain(`Local path: ${modelDir}\n`);
    expect(text).toContain(`Run ID: ${RUN_V1}\n`);
    expect(text).toContain('MLflow version: 2.22.1\n');
    expect(text).toContain('Flavors:\n  python_function\n');
    expect(text).toContain('    loader_module: mlflow.sklearn\n');
    expect(text).toContain('  sklearn\n');
    expect(text).toContain('    sklearn_version: 1.2.1\n');
    expect(text).toContain('  Inputs:\n    sepal_length: double\n    sepal_width: double\n    petal_length: double\n    petal_width: double\n');
    expect(text).toContain('  Outputs:\n    [0]: tensor int64 (-1)\n');
    expect(text).toContain('Input example:\n  type dataframe, pandas orient split\n  {"columns":["sepal_length","sepal_width","petal_length","petal_width"],"data":[[5.1,3.5,1.4,0.2],');
    expect(text).toContain('Environment:\n  Python: 3.11.2\n  Build dependencies: pip==23.0.1, setuptools==66.1.1, wheel==0.38.4\n');
    expect(text).toContain('  Requirements:\n    mlflow==2.22.1\n    cloudpickle==2.2.0\n');
    expect(text).toContain('    scikit-learn==1.2.1\n');
    expect(text).toContain('\nRuntime:\n  native, flavor sklearn: the sklearn flavor loads natively\n');
  });

  it.each([
    ['models:/iris@champion', RUN_V1],
    ['models:/iris/1', RUN_V1],
    ['models:/iris/Staging', '51344f7940d24547a69f9d5811e8ae1e'],
    ['models:/iris/latest', '51344f7940d24547a69f9d5811e8ae1e'],
    [`runs:/${RUN_V1}/model`, RUN_V1],
  ])('--json describes %s', async (uri, runId) => {
    const d = JSON.parse(await runCli(['models', 'describe', '-m', uri, '--json']));
    expect(d.model_uri).toBe(uri);
    expect(d.run_id).toBe(runId);
    expect(d.artifact_path).toBe('model');
    expect(Object.keys(d.flavors).sort()).toEqual(['python_function', 'sklearn']);
    expect(d.flavors.sklearn.serialization_format).toBe('cloudpickle');
    expect(d.signature.inputs).toEqual(
      ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'].map((name) => ({ type: 'double', name, required: true })),
    );
    expect(d.signature.outputs).toEqual([{ type: 'tensor', 'tensor-spec': { dtype: 'int64', shape: [-1] } }]);
    expect(d.signature.params).toBeNull();
    expect(d.input_example.type).toBe('dataframe');
    expect(d.input_example.example.columns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(d.input_example.serving_input.dataframe_split.data).toHaveLength(3);
    expect(d.environment.python).toBe('3.11.2');
    expect(d.environment.requirements).toContain('scikit-learn==1.2.1');
  });

  it('says what a bare model directory lacks', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-bare-'));
    writeFileSync(path.join(dir, 'MLmodel'), 'flavors:\n  python_function:\n    loader_module: my_module\n');
    const text = await runCli(['models', 'describe', '-m', dir]);
    expect(text).toContain('Flavors:\n  python_function\n    loader_module: my_module\n');
    expect(text).toContain('Signature:\n  (none)\n');
    expect(text).toContain('Input example:\n  (none)\n');
    expect(text).toContain('Environment:\n  (none recorded)\n');
    const d = JSON.parse(await runCli(['models', 'describe', '-m', `file://${dir}`, '--json']));
    expect(d).toMatchObject({ signature: null, input_example: null, environment: null, local_path: dir });
  });

  it('fails with a clear error for a missing version', async () => {
    await expect(runCli(['models', 'describe', '-m', 'models:/iris/9'])).rejects.toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Model Version (name=iris, version=9) not found',
    });
  });
});

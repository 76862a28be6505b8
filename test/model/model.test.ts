import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { Model, ModelSignature, Schema, TensorSpec } from '../../src/model/index.js';
import { MLMODEL_DIR, MODELS_DIR, mlmodelFixtures } from './helpers.js';

const fixture = (name: string): string => path.join(MLMODEL_DIR, name);
const yaml11 = (text: string): unknown => parseYaml(text, { version: '1.1' });

/** The dict MLflow would get back, with signatures parsed (old files spell their JSON differently). */
function values(model: Model): Record<string, unknown> {
  const d = model.toDict();
  const sig = model.signature;
  if (sig) d.signature = { inputs: sig.inputs?.toDict() ?? null, outputs: sig.outputs?.toDict() ?? null, params: sig.params?.toDict() ?? null };
  return d;
}

describe('Model: every MLmodel file in the fixtures', () => {
  const files = mlmodelFixtures();

  it('finds all 25 fixture files', () => {
    expect(files.length).toBe(25);
  });

  for (const file of files) {
    it(`loads and round-trips ${path.basename(file)}`, async () => {
      const m = await Model.load(file);
      expect(Object.keys(m.flavors).length).toBeGreaterThan(0);
      const again = Model.fromYaml(m.toYaml(), 'again');
      expect(values(again)).toEqual(values(m));
      // Every key of the original file survives, with the same value (signatures compared parsed).
      const original = yaml11(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const written = yaml11(m.toYaml()) as Record<string, unknown>;
      expect(Object.keys(written).sort()).toEqual(Object.keys(original).sort());
      for (const key of Object.keys(original)) {
        if (key === 'signature') continue;
        expect(written[key], key).toEqual(original[key]);
      }
    });
  }

  it('writes MLflow 2.22.1 files byte for byte', () => {
    const f = files.filter((x) => path.basename(x).startsWith('mlflow-2.22.1'));
    expect(f.length).toBe(8);
    for (const file of f) {
      const text = readFileSync(file, 'utf8');
      expect(Model.fromYaml(text, file).toYaml()).toBe(text);
    }
  });
});

describe('Model fields', () => {
  it('reads every field of a 2.22.1 model', async () => {
    const m = await Model.load(path.join(MODELS_DIR, 'iris_logreg'));
    expect(m.mlflowVersion).toBe('2.22.1');
    expect(m.modelUuid).toBe('f5ae7a3593b5491880208fee23df05d2');
    expect(m.modelSizeBytes).toBe(1487);
    expect(m.utcTimeCreated).toBe('2026-11-26 16:53:20.447840');
    expect(m.createdAt()?.toISOString()).toBe('2026-11-26T16:53:20.447Z');
    expect(m.prompts).toBeNull();
    expect(m.isSignatureFromTypeHint).toBe(false);
    expect(m.typeHintFromExample).toBe(false);
    expect(m.savedInputExampleInfo).toEqual({
      artifact_path: 'input_example.json',
      pandas_orient: 'split',
      serving_input_path: 'serving_input_example.json',
      type: 'dataframe',
    });
    expect(m.flavors.sklearn.pickled_model).toBe('model.pkl');
    expect(m.getInputSchema()?.inputNames()).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    const out = m.getOutputSchema()!.inputs[0] as TensorSpec;
    expect([out.dtype, out.shape]).toEqual(['int64', [-1]]);
    expect(m.getParamsSchema()).toBeUndefined();
  });

  it('reads the 2.12 langchain model: resources, databricks_runtime, artifact_path, run_id, object signature', async () => {
    const m = await Model.load(fixture('mlflow__upstream_head__tests__resources__example_mlflow_2.12_langchain_model__MLmodel'));
    expect(m.artifactPath).toBe('chain');
    expect(m.databricksRuntime).toBe('14.3');
    expect(m.runId).toBe('84552a129bfb45faa87f5fb3f05eb9cf');
    expect((m.resources as { api_version: string }).api_version).toBe('1');
    expect(m.savedInputExampleInfo?.type).toBe('json_object');
    expect(m.getInputSchema()?.toJson()).toBe(
      '[{"type": "array", "items": {"type": "object", "properties": {"content": {"type": "string", "required": true}, "role": {"type": "string", "required": true}}}, "name": "messages", "required": true}]',
    );
  });

  it('reads 2018 files: time_created as a float, r_function, python_function.data', async () => {
    const r = await Model.load(fixture('mlflow__r_examples_2018__R__mlflow__inst__examples__r__lm__model__MLmodel'));
    expect(r.flavors.r_function).toEqual({ version: '0.1.0', model: 'r_model.bin' });
    expect(r.extra.time_created).toBe(1533765900);
    expect(r.createdAt()?.toISOString()).toBe('2018-08-08T22:05:00.000Z');
    expect(r.mlflowVersion).toBeUndefined();
    const py = await Model.load(fixture('mlflow__r_examples_2018__R__mlflow__inst__examples__python__sklearn__model__MLmodel'));
    expect(py.flavors.python_function.data).toBe('model.pkl');
  });

  it('reads 2018 shapes given as text: time_created string, env as a plain path, mleap input_schema', () => {
    const m = Model.fromYaml(
      "time_created: '2018-06-12 17:30:01.123'\nflavors:\n  python_function:\n    env: conda.yaml\n    loader_module: mlflow.sklearn\n  mleap:\n    input_schema: mleap/schema.json\n    mleap_version: 0.8.1\n    model_data: mleap/model\n",
      'old',
    );
    expect(m.createdAt()?.toISOString()).toBe('2018-06-12T17:30:01.123Z');
    expect(m.flavors.python_function.env).toBe('conda.yaml');
    expect(m.flavors.mleap.input_schema).toBe('mleap/schema.json');
    expect((yaml11(m.toYaml()) as Record<string, unknown>).time_created).toBe('2018-06-12 17:30:01.123');
  });

  it('keeps unknown keys (the Java fixtures\' input_example and metadata) through a round trip', async () => {
    const m = await Model.load(fixture('mlflow__java_scoring__mlflow__java__scoring__src__test__resources__org__mlflow__models__sample_model_root__MLmodel.with.metadata'));
    expect(m.extra.input_example).toEqual({ type: 'dataframe', format: 'split', artifact_path: 'input_example.json' });
    expect(m.metadata).toEqual({ metadata_key: 'metadata_value', stateful: true, accuracy: 0.978, other: null });
    const back = yaml11(m.toYaml()) as Record<string, unknown>;
    expect(back.input_example).toEqual(m.extra.input_example);
    // The unnamed output column written as {"name": null, ...} by MLflow 1.x reads as unnamed.
    expect(m.getOutputSchema()?.hasInputNames()).toBe(false);
    const fresh = Model.fromYaml('constructor: 1\nflavors: {f: {}}\nfuture_field: {a: [1, 2]}\nsignature: null\n', 'x');
    expect(yaml11(fresh.toYaml())).toEqual({ constructor: 1, flavors: { f: {} }, future_field: { a: [1, 2] }, signature: null });
  });

  it('reads 3.x fields: model_id, env_vars, auth_policy, prompts', () => {
    const text = [
      'artifact_path: null',
      'auth_policy:',
      '  system_auth_policy:',
      '    resources: {}',
      'env_vars:',
      '- OPENAI_API_KEY',
      'flavors:',
      '  python_function:',
      '    loader_module: mlflow.pyfunc.model',
      'mlflow_version: 3.1.0',
      'model_id: m-0123456789abcdef',
      'prompts:',
      '- prompts:/qa/1',
      '',
    ].join('\n');
    const m = Model.fromYaml(text, 'v3');
    expect(m.modelId).toBe('m-0123456789abcdef');
    expect(m.envVars).toEqual(['OPENAI_API_KEY']);
    expect(m.authPolicy).toEqual({ system_auth_policy: { resources: {} } });
    expect(m.prompts).toEqual(['prompts:/qa/1']);
    expect(m.artifactPath).toBeUndefined();
    expect(m.toYaml()).toBe(text);
  });

  it('a new Model is stamped as MLflow 2.22.1 stamps one', () => {
    const m = new Model().addFlavor('f', { a: 1 });
    m.signature = new ModelSignature(new Schema([new TensorSpec('float64', [-1, 4])]));
    expect(m.mlflowVersion).toBe('2.22.1');
    // uuid.uuid4().hex: version nibble 4, variant bits 10xx, in every one of many draws.
    for (let i = 0; i < 200; i++) expect(new Model().modelUuid).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(m.utcTimeCreated).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    const d = yaml11(m.toYaml()) as Record<string, unknown>;
    expect(d.prompts).toBeNull();
    expect(d.is_signature_from_type_hint).toBe(false);
    expect(d.type_hint_from_example).toBe(false);
    expect(Object.keys(d)).toEqual([...Object.keys(d)].sort());
  });

  it('loads from a directory, an MLmodel path and a file:// URI', async () => {
    const dir = path.join(MODELS_DIR, 'iris_logreg_numpy');
    for (const uri of [dir, path.join(dir, 'MLmodel'), `file://${dir}`]) {
      expect((await Model.load(uri)).modelUuid).toBe('ec8d35fb530f4f46a10e36511efe5150');
    }
  });
});

describe('Model errors name the file and the field', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'mlflow-ts-model-'));
  const write = (name: string, text: string): string => {
    const dir = path.join(tmp, name);
    const file = path.join(dir, 'MLmodel');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    return dir;
  };

  const expectError = async (dir: string, ...parts: string[]): Promise<void> => {
    const err = await Model.load(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MlflowError);
    for (const p of parts) expect((err as Error).message).toContain(p);
  };

  it('malformed YAML', async () => {
    const dir = write('bad-yaml', 'flavors:\n  sklearn: [unclosed\n');
    await expectError(dir, path.join(dir, 'MLmodel'), 'malformed YAML at line 3, column 1', 'sufficiently indented');
  });

  it('hostile YAML: deep nesting is refused without exhausting the stack or memory', async () => {
    const n = 100_000;
    await expectError(write('deep', `flavors: ${'['.repeat(n)}${']'.repeat(n)}\n`), 'nested deeper than 500 levels');
    await expectError(write('deep-ok-count', `flavors: ${'['.repeat(400)}${']'.repeat(400)}\n`), "'flavors' must be a mapping");
  });

  it('no flavors', async () => {
    await expectError(write('no-flavors', 'run_id: abc\n'), 'MLmodel', "'flavors' is missing");
    await expectError(write('empty-flavors', 'flavors: {}\n'), "'flavors' is empty");
    await expectError(write('list-flavors', 'flavors: [a]\n'), "'flavors' must be a mapping");
    await expectError(write('top-list', '- a\n'), 'expected a YAML mapping');
  });

  it('a broken signature JSON', async () => {
    const dir = write('bad-sig', "flavors: {f: {}}\nsignature:\n  inputs: '[{\"type\": \"double\", '\n");
    await expectError(dir, path.join(dir, 'MLmodel'), 'signature.inputs', 'invalid JSON');
  });

  it('an unknown column type', async () => {
    const dir = write('bad-type', "flavors: {f: {}}\nsignature:\n  inputs: '[{\"type\": \"double\", \"name\": \"a\"}, {\"type\": \"decimal\", \"name\": \"b\"}]'\n");
    await expectError(dir, path.join(dir, 'MLmodel'), 'signature.inputs[1]', "Unsupported type 'decimal'");
  });

  it('a missing MLmodel', async () => {
    await expectError(tmp, 'Could not find an "MLmodel" configuration file');
    await expectError(path.join(tmp, 'nope'), 'does not exist');
  });

  it('an unregistered URI scheme', async () => {
    await expectError('s3://bucket/model', "scheme 's3:' is not registered");
  });
});

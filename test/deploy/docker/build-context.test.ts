import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTIONAL_PACKAGE_GROUPS } from '../../../src/optional-packages.js';
import {
  buildImage,
  checkImageName,
  DEPLOY_ONLY_PACKAGES,
  detectContainerTool,
  FLAVOR_PACKAGES,
  generateBuildContext,
  MODEL_STORE_PACKAGES,
  packagesToOmit,
  productionPackageDirs,
  renderEntrypoint,
} from '../../../src/deploy/docker/index.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const EXAMPLE = path.join(ROOT, 'examples/iris-js');
const SKLEARN = path.join(ROOT, 'examples/iris-sklearn');
let tmp: string;
let app: string;

/** A minimal built mlflow-ts install: the context copies dist/, bin/ and production node_modules/. */
async function fakeApp(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'dist/cli'), { recursive: true });
  await mkdir(path.join(dir, 'dist/bundle'), { recursive: true });
  await writeFile(path.join(dir, 'dist/bundle/cli.js'), 'export {};\n');
  await writeFile(path.join(dir, 'dist/cli/main.js'), 'export {};\n');
  await writeFile(path.join(dir, 'dist/cli/main.js.map'), '{}');
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await writeFile(path.join(dir, 'bin/mlflow-ts.js'), '');
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'mlflow-ts', dependencies: { dep: '1' }, peerDependencies: { '@aws-sdk/client-s3': '3', '@aws-sdk/client-sagemaker': '3', '@tensorflow/tfjs-core': '4' }, peerDependenciesMeta: { '@tensorflow/tfjs-core': { optional: true } }, devDependencies: { devdep: '1' } }));
  const pkg = async (name: string, json: object, files: Record<string, string> = {}) => {
    const d = path.join(dir, 'node_modules', name);
    await mkdir(d, { recursive: true });
    await writeFile(path.join(d, 'package.json'), JSON.stringify({ name, ...json }));
    for (const [f, text] of Object.entries(files)) await writeFile(path.join(d, f), text);
  };
  await pkg('dep', { main: 'index.js', dependencies: { sub: '1', exp: '1' } }, { 'index.js': '', 'bundle.js': '', 'bundle.min.js': '', 'README.md': '' });
  // sub's index.js loads twin.js, the unminified twin of a browser bundle: it must stay
  await pkg('sub', {}, { 'index.js': "module.exports = require('./twin');", 'twin.js': '', 'twin.min.js': '', 'index.d.ts': '' });
  // an `exports` target stays even when it looks like a bundle's twin
  await pkg('exp', { exports: { '.': { require: './cjs/entry.js' } } });
  await mkdir(path.join(dir, 'node_modules/exp/cjs'));
  for (const f of ['entry.js', 'entry.min.js']) await writeFile(path.join(dir, 'node_modules/exp/cjs', f), '');
  await pkg('devdep', {}, { 'index.js': '' });
  await pkg('@aws-sdk/client-s3', {}, { 'index.js': '' });
  await pkg('@aws-sdk/client-sagemaker', {}, { 'index.js': '' });
  await pkg('@tensorflow/tfjs-core', { dependencies: { 'tfjs-only': '1' } }, { 'index.js': '' });
  await pkg('tfjs-only', {}, { 'index.js': '' });
  await mkdir(path.join(dir, 'node_modules/dep/src'));
  await writeFile(path.join(dir, 'node_modules/dep/src/index.ts'), '');
}

/** A model only the Python bridge can score: python_function with a loader module. */
async function pythonModel(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'MLmodel'),
    'flavors:\n  python_function:\n    loader_module: my_loader\n    python_version: 3.11.2\n    env:\n      virtualenv: python_env.yaml\nmlflow_version: 2.22.1\n',
  );
  await writeFile(path.join(dir, 'requirements.txt'), 'mlflow==2.22.1\nnumpy==1.24.2');
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-context-'));
  app = path.join(tmp, 'app');
  await fakeApp(app);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('models generate-dockerfile', () => {
  it('lays out a context for a natively scored model: no python, model at /opt/ml/model, non-root, port 8080', async () => {
    const out = path.join(tmp, 'native');
    const ctx = await generateBuildContext({ modelUri: EXAMPLE, outputDir: out, baseImage: 'example/node:20', appDir: app });
    expect(ctx.python).toBe(false);
    const dockerfile = await readFile(path.join(out, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM example\/node:20$/m);
    expect(dockerfile).not.toMatch(/python3|apt-get/);
    expect(dockerfile).toMatch(/^COPY model_dir\/ \/opt\/ml\/model\/$/m);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/opt\/mlflow-ts\/entrypoint.sh"\]$/m);
    expect(existsSync(path.join(out, 'model_dir/MLmodel'))).toBe(true);
    expect((await stat(path.join(out, 'mlflow-ts/entrypoint.sh'))).mode & 0o111).toBeTruthy();
    // production dependencies only, without deploy SDKs, maps, declarations, docs or browser bundles
    const nm = path.join(out, 'mlflow-ts/node_modules');
    expect(existsSync(path.join(nm, 'dep/index.js'))).toBe(true);
    expect(existsSync(path.join(nm, 'sub/index.js'))).toBe(true);
    expect(existsSync(path.join(nm, 'sub/twin.js'))).toBe(true);
    expect(existsSync(path.join(nm, 'exp/cjs/entry.js'))).toBe(true);
    // nor the packages of flavors the model does not have (tfjs, with its own dependencies)
    // nor the model stores' SDKs: the image serves its own model (model-store-packages.test.ts)
    for (const gone of ['devdep', '@aws-sdk/client-s3', '@aws-sdk/client-sagemaker', '@tensorflow/tfjs-core', 'tfjs-only', 'dep/bundle.js', 'dep/bundle.min.js', 'dep/README.md', 'sub/index.d.ts', 'dep/src/index.ts', 'sub/twin.min.js', 'exp/cjs/entry.min.js']) {
      expect(existsSync(path.join(nm, gone)), gone).toBe(false);
    }
    expect(existsSync(path.join(out, 'mlflow-ts/dist/cli/main.js.map'))).toBe(false);
  });

  it('gives a Python-bridge model Debian python3 and its requirements', async () => {
    const model = path.join(tmp, 'py-model');
    await pythonModel(model);
    const out = path.join(tmp, 'python');
    const ctx = await generateBuildContext({ modelUri: model, outputDir: out, appDir: app });
    expect(ctx.python).toBe(true);
    const dockerfile = await readFile(path.join(out, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toContain('apt-get install -y --no-install-recommends python3 python3-numpy python3-pandas python3-pip');
    expect(dockerfile).toContain('COPY model_dir/requirements.txt /tmp/requirements.txt');
    expect(dockerfile).toContain('RUN python3 -m pip install --no-cache-dir --break-system-packages -r /tmp/requirements.txt');
    // Python comes before the app and the model, so their layers change without reinstalling it.
    expect(dockerfile.indexOf('apt-get install')).toBeLessThan(dockerfile.indexOf('COPY mlflow-ts/'));
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
  });

  it('forces the bridge for an MLflow 2.22.1 sklearn model whose only flavor is python_function', async () => {
    const model = path.join(tmp, 'sk-pyfunc');
    await cp(SKLEARN, model, { recursive: true });
    const mlmodel = await readFile(path.join(model, 'MLmodel'), 'utf8');
    // drop the sklearn section: MLflow's loader_module mlflow.sklearn is then all there is
    await writeFile(path.join(model, 'MLmodel'), mlmodel.replace(/^ {2}sklearn:\n(?: {4}.*\n)+/m, ''));
    const out = path.join(tmp, 'sk-pyfunc-ctx');
    const ctx = await generateBuildContext({ modelUri: model, outputDir: out, appDir: app });
    expect(ctx.python).toBe(true);
    const dockerfile = await readFile(path.join(out, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('COPY model_dir/requirements.txt /tmp/requirements.txt');
    expect(await readFile(path.join(out, 'model_dir/requirements.txt'), 'utf8')).toContain('scikit-learn==1.2.1');
  });

  it('a bridge model without requirements.txt gets no pip', async () => {
    const model = path.join(tmp, 'py-noreq');
    await pythonModel(model);
    await rm(path.join(model, 'requirements.txt'));
    const out = path.join(tmp, 'py-noreq-ctx');
    await generateBuildContext({ modelUri: model, outputDir: out, appDir: app });
    const dockerfile = await readFile(path.join(out, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('apt-get install -y --no-install-recommends python3 python3-numpy python3-pandas \\\n');
    expect(dockerfile).not.toContain('pip');
  });

  it('without a model, expects one mounted at /opt/ml/model', async () => {
    const out = path.join(tmp, 'no-model');
    await generateBuildContext({ outputDir: out, appDir: app });
    const dockerfile = await readFile(path.join(out, 'Dockerfile'), 'utf8');
    expect(dockerfile).not.toContain('COPY model_dir');
    expect(existsSync(path.join(out, 'model_dir'))).toBe(false);
    // any model may be mounted, so every flavor's packages stay
    expect(existsSync(path.join(out, 'mlflow-ts/node_modules/@tensorflow/tfjs-core/index.js'))).toBe(true);
    expect(existsSync(path.join(out, 'mlflow-ts/node_modules/tfjs-only/index.js'))).toBe(true);
  });

  it('keeps a flavor\'s packages only for models with that flavor', () => {
    // beside the deploy-only packages and, with a model, the model stores' SDKs
    const omitted = (flavors?: string[]) => packagesToOmit(flavors).filter((p) => !DEPLOY_ONLY_PACKAGES.includes(p) && !MODEL_STORE_PACKAGES.includes(p));
    expect(omitted(['python_function', 'sklearn'])).toEqual(Object.keys(FLAVOR_PACKAGES));
    expect(omitted(['js_function'])).toEqual(Object.keys(FLAVOR_PACKAGES));
    expect(omitted(['python_function', 'keras'])).toEqual(['onnxruntime-node']);
    expect(omitted(['tfjs'])).toEqual(['h5wasm', 'onnxruntime-node']);
    expect(omitted(['onnx'])).toEqual([...Object.keys(OPTIONAL_PACKAGE_GROUPS.tfjs.packages), 'h5wasm']);
    expect(omitted(undefined)).toEqual([]);
    expect(packagesToOmit(['sklearn'])).toEqual(expect.arrayContaining([...DEPLOY_ONLY_PACKAGES]));
  });

  it('refuses a model that does not exist, and a non-empty output directory, writing nothing', async () => {
    const out = path.join(tmp, 'bad');
    await expect(generateBuildContext({ modelUri: path.join(tmp, 'nope'), outputDir: out, appDir: app })).rejects.toThrow(/does not exist/);
    expect(existsSync(out)).toBe(false);
    await expect(generateBuildContext({ modelUri: EXAMPLE, outputDir: path.join(tmp, 'native'), appDir: app })).rejects.toThrow(/is not empty/);
  });

  it('the entrypoint maps `serve` to models serve on 0.0.0.0:8080 and execs node (SIGTERM reaches it)', () => {
    expect(renderEntrypoint()).toContain('exec node /opt/mlflow-ts/bin/mlflow-ts.js models serve -m "$model_dir" -h 0.0.0.0 -p 8080 --env-manager local "$@"');
  });

  it('the entrypoint serves with one worker per core unless MLFLOW_MODELS_WORKERS says otherwise', () => {
    const line = renderEntrypoint().split('\n').find((l) => l.includes('export MLFLOW_MODELS_WORKERS')) as string;
    const run = (env: NodeJS.ProcessEnv): string =>
      execFileSync('sh', ['-c', `${line}; echo "$MLFLOW_MODELS_WORKERS"`], { env: { PATH: process.env.PATH, ...env } }).toString().trim();
    expect(run({})).toBe(String(os.availableParallelism()));
    expect(run({ MLFLOW_MODELS_WORKERS: '3' })).toBe('3');
  });
});

describe('production dependencies of this repository', () => {
  it('include runtime packages and leave out dev and deploy-only ones', async () => {
    const dirs = (await productionPackageDirs(ROOT)).map((d) => path.relative(path.join(ROOT, 'node_modules'), d));
    expect(dirs).toContain('commander');
    expect(dirs).toContain('yaml');
    expect(dirs).not.toContain('vitest');
    expect(dirs).not.toContain('@aws-sdk/client-sagemaker');
  });
});

describe('image names and the container tool', () => {
  it.each(['mlflow-pyfunc', 'localhost/iris:1', '123456789012.dkr.ecr.us-east-1.amazonaws.com/model:v1', 'registry:5000/a/b'])('accepts %s', (name) => {
    expect(checkImageName(name)).toBe(name);
  });
  it.each(['', 'Bad Name', 'UPPER', 'a//b', 'name:'])('refuses %j', (name) => {
    expect(() => checkImageName(name)).toThrow(/Invalid image name/);
  });
  it('refuses an invalid image name before building anything', async () => {
    await expect(buildImage({ modelUri: EXAMPLE, imageName: 'Not Valid', tool: { name: 'podman', globalArgs: [], limitArgs: [] } })).rejects.toThrow(/Invalid image name 'Not Valid'/);
  });
  it('MLFLOW_TS_CONTAINER_TOOL must name a known tool', async () => {
    await expect(detectContainerTool({ ...process.env, MLFLOW_TS_CONTAINER_TOOL: 'lxc' })).rejects.toThrow(/expected docker, podman or buildah/);
  });
  it('finds no tool on an empty PATH and says which it looked for', async () => {
    await expect(detectContainerTool({ PATH: '' })).rejects.toThrow(/neither podman nor buildah/);
  });
});

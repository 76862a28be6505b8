import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBuildContext } from '../../../src/deploy/docker/index.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const SKLEARN = path.join(ROOT, 'examples/iris-sklearn');

// Issue #16: from an npm install, mlflow-ts's dependencies are hoisted beside it, not under it.
// Pack the tarball as npm publishes it, install it into an empty project from npm's cache (these
// machines reach the registry, but the cache already holds every package after `npm ci`), and
// build an image's context from there; the packaged app must then run on its own.
describe('an npm-installed mlflow-ts', () => {
  let tmp: string;
  let installed: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-npm-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: ROOT, maxBuffer: 1 << 24 });
    const tarball = path.join(tmp, stdout.trim().split('\n').at(-1)!);
    const project = path.join(tmp, 'project');
    await run('mkdir', ['-p', project]);
    await writeFile(path.join(project, 'package.json'), '{"name": "consumer", "version": "1.0.0", "private": true}\n');
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev', tarball], { cwd: project, maxBuffer: 1 << 24 });
    installed = path.join(project, 'node_modules', 'mlflow-ts');
  }, 600_000);
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('ships dist/ with declarations, LICENSE, and no source maps to missing sources', async () => {
    expect(existsSync(path.join(installed, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'dist', 'index.d.ts'))).toBe(true);
    expect(await readFile(path.join(installed, 'LICENSE'), 'utf8')).toContain('Apache License');
    expect(existsSync(path.join(installed, 'dist', 'index.js.map'))).toBe(false);
  });

  it('builds an image context whose app runs on its own, with the hoisted dependencies', async () => {
    const out = path.join(tmp, 'context');
    await generateBuildContext({ modelUri: SKLEARN, outputDir: out, appDir: installed });
    const app = path.join(out, 'mlflow-ts');
    expect(existsSync(path.join(app, 'node_modules', 'commander', 'package.json'))).toBe(true);
    const input = path.join(tmp, 'input.json');
    await writeFile(input, await readFile(path.join(SKLEARN, 'serving_input_example.json')));
    const { stdout } = await run(process.execPath, [path.join(app, 'bin', 'mlflow-ts.js'), 'models', 'predict', '-m', path.join(out, 'model_dir'), '-i', input, '-t', 'json'], {
      cwd: os.tmpdir(),
    });
    expect(JSON.parse(stdout)).toEqual({ predictions: [0, 0, 0] });
  }, 300_000);

  it('installs without the optional onnxruntime-node, and an onnx model then says what to install', async () => {
    expect(existsSync(path.join(tmp, 'project', 'node_modules', 'mlflow-ts', 'dist', 'index.js'))).toBe(true);
    const model = path.join(tmp, 'onnx-model');
    await cp(path.join(ROOT, 'test/fixtures/onnx-graphs/two_inputs'), model, { recursive: true });
    await writeFile(path.join(model, 'MLmodel'), 'flavors:\n  onnx:\n    data: model.onnx\n    onnx_version: 1.17.0\nmlflow_version: 2.22.1\n');
    expect(existsSync(path.join(tmp, 'project', 'node_modules', 'onnxruntime-node'))).toBe(false);
    expect(existsSync(path.join(tmp, 'project', 'node_modules', '@tensorflow'))).toBe(false);
    const err = await run(process.execPath, [path.join(installed, 'bin', 'mlflow-ts.js'), 'models', 'describe', '-m', model, '--runtime', 'native'], { cwd: os.tmpdir() })
      .then(() => undefined, (e: { stderr?: string; stdout?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`);
    expect(err).toContain('npm install --ignore-scripts onnxruntime-node');
  }, 120_000);

  it('runs from its bundles, whose entry points share one module graph (a Frame from mlflow-ts/arrow is a mlflow-ts Frame)', async () => {
    const project = path.join(tmp, 'project');
    await writeFile(
      path.join(project, 'check.mjs'),
      [
        "import { Frame, frameFromColumns } from 'mlflow-ts';",
        "import { frameFromArrow, frameToArrow } from 'mlflow-ts/arrow';",
        'const back = frameFromArrow(frameToArrow(frameFromColumns({ a: [1, 2] })));',
        "console.log(JSON.stringify({ shared: back instanceof Frame, rows: back.numRows, entry: import.meta.resolve('mlflow-ts') }));",
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ shared: true, rows: 2, entry: expect.stringContaining('/node_modules/mlflow-ts/dist/bundle/index.js') });
  });

  it('a failed build leaves no half-written folder', async () => {
    const out = path.join(tmp, 'failed');
    await expect(generateBuildContext({ modelUri: SKLEARN, outputDir: out, appDir: path.join(tmp, 'project') })).rejects.toThrow();
    expect(existsSync(out)).toBe(false);
  });
});

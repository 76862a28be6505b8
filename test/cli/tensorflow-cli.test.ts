// The TensorFlow SavedModel fixtures through the real CLI: `models predict` and `models serve` of
// MLflow model directories wrapping them. Expected values: shared/fixtures/tensorflow/EXPECTED.md
// (the tfjs-node tests' own assertions; y = x/2 + 2 and x/2 + 3 for tensorflow-serving's models).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { MlflowError } from '../../src/errors.js';
import { copyWritable } from '../flavors/tensorflow/copy-writable.js';
import { tf1EstimatorMlmodel } from '../flavors/tensorflow/tf1-mlmodel.js';
import { send } from '../serve/http-client.js';

const MODELS = fileURLToPath(new URL('../fixtures/tensorflow/models', import.meta.url));
const cli = fileURLToPath(new URL('./run-cli.ts', import.meta.url));

interface Case {
  /** A fixture model directory, or one written by the test (see SIGNATURE_VARIANTS). */
  model: string;
  /** What `models serve` gets. */
  request: string;
  /** What `models predict` gets, when not the same JSON request. */
  predictInput?: { type: 'csv'; body: string };
  predictions: string;
}

const CASES: Case[] = [
  { model: 'times_three_float', request: '{"inputs": {"x": [1, 2, 3]}}', predictInput: { type: 'csv', body: 'x\n1\n2\n3\n' }, predictions: '[3.0, 6.0, 9.0]' },
  { model: 'times_two_int', request: '{"inputs": [1, 2, 3]}', predictions: '[2, 4, 6]' },
  { model: 'uint8_multiply', request: '{"inputs": 3}', predictions: '18' },
  { model: 'int64_multiply', request: '{"inputs": [3, 4]}', predictions: '[18, 24]' },
  { model: 'module_with_multiple_signatures', request: '{"inputs": [1, 2, 3]}', predictions: '[3.0, 6.0, 9.0]' },
  { model: 'module_with_multiple_signatures@timestwo', request: '{"inputs": [1, 2, 3]}', predictions: '[2.0, 4.0, 6.0]' },
  { model: 'model_single_input_multi_output', request: '{"inputs": [1, 2, 3]}', predictions: '{"output_0": [2, 4, 6], "output_1": [1, 2, 3]}' },
  { model: 'model_multi_output', request: '{"inputs": {"x": [1, 2, 3], "y": [1, 2, 3]}}', predictions: '{"output_0": [2, 4, 6], "output_1": [1, 2, 3]}' },
  { model: 'half_plus_two_cpu', request: '{"inputs": [[1], [2], [3]]}', predictions: '[[2.5], [3.0], [3.5]]' },
  { model: 'half_plus_two_cpu@regress_x2_to_y3', request: '{"inputs": [[1], [2], [3]]}', predictions: '[[3.5], [4.0], [4.5]]' },
  { model: 'half_plus_three', request: '{"inputs": [[1], [2], [3]]}', predictions: '[[3.5], [4.0], [4.5]]' },
  { model: 'half_plus_two_tf2_cpu', request: '{"inputs": [1, 2, 3]}', predictions: '[2.5, 3.0, 3.5]' },
  { model: 'half_plus_two_tf2_cpu@regress_x2_to_y3', request: '{"inputs": [1, 2, 3]}', predictions: '[3.5, 4.0, 4.5]' },
];

/** The tf.Example-taking signatures, which need ParseExample / ParseExampleV2. */
const REFUSED = [
  { model: 'half_plus_two_tf2_cpu@regress_x_to_y', op: 'ParseExampleV2' },
  { model: 'half_plus_two_cpu@regress_x_to_y', op: 'ParseExample' },
];

let tmp = '';
let cacheDir = '';
const savedCacheEnv = process.env.MLFLOW_TS_CACHE_DIR;

async function modelDir(name: string): Promise<string> {
  const [fixture, signature] = name.split('@');
  if (!signature) return join(MODELS, fixture);
  const dir = join(tmp, 'models', name.replace('@', '-'));
  const savedModelDir = fixture.startsWith('half_plus') ? 'tfmodel' : 'tf2model';
  await copyWritable(join(MODELS, fixture, savedModelDir), join(dir, savedModelDir));
  // `<fixture>@<signature>`: the fixture's SavedModel in an MLmodel that names that signature.
  await writeFile(join(dir, 'MLmodel'), tf1EstimatorMlmodel(savedModelDir, signature));
  return dir;
}

const dirs = new Map<string, string>();

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tf-cli-'));
  cacheDir = join(tmp, 'cache');
  // The converted-graph cache goes to this test's folder, not the user's ~/.cache.
  process.env.MLFLOW_TS_CACHE_DIR = cacheDir;
  for (const c of [...CASES, ...REFUSED]) dirs.set(c.model, await modelDir(c.model));
});
afterAll(async () => {
  if (savedCacheEnv === undefined) delete process.env.MLFLOW_TS_CACHE_DIR;
  else process.env.MLFLOW_TS_CACHE_DIR = savedCacheEnv;
  await rm(tmp, { recursive: true, force: true });
});

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

function run(args: string[], stdin = ''): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { ...process.env, MLFLOW_TS_CACHE_DIR: cacheDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  child.stdin?.end(stdin);
  return { child, stdout: () => Buffer.concat(out).toString('utf8'), stderr: () => Buffer.concat(err).toString('utf8') };
}

/** Starts `models serve` on a free port; resolves with the port once it listens. */
function startServe(model: string): Promise<{ child: ChildProcess; port: number }> {
  const { child, stderr } = run(['models', 'serve', '-m', model, '-p', '0', '-h', '127.0.0.1']);
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', () => {
      const port = /"msg":"scoring server listening"/.test(stderr()) ? /"port":(\d+)/.exec(stderr())?.[1] : undefined;
      if (port) resolve({ child, port: Number(port) });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr()}`)));
  });
}

describe('mlflow-ts models predict: TensorFlow SavedModels', () => {
  it.each(CASES)('$model -> $predictions', async (c) => {
    const input = join(tmp, `${c.model}.in`);
    const output = join(tmp, `${c.model}.json`);
    await writeFile(input, c.predictInput?.body ?? c.request);
    await buildProgram().parseAsync([
      'node', 'mlflow-ts', 'models', 'predict', '-m', dirs.get(c.model) as string, '-i', input, '-o', output, '-t', c.predictInput?.type ?? 'json',
    ]);
    expect(await readFile(output, 'utf8')).toBe(`{"predictions": ${c.predictions}}`);
  });

  it.each(REFUSED)('$model is refused, naming $op', async (c) => {
    const input = join(tmp, 'refused.json');
    await writeFile(input, '{"inputs": [1]}');
    const result = buildProgram().parseAsync(['node', 'mlflow-ts', 'models', 'predict', '-m', dirs.get(c.model) as string, '-i', input, '-t', 'json']);
    await expect(result).rejects.toThrow(new RegExp(`'regress_x_to_y' uses TensorFlow ops that cannot run natively in JS: ${c.op}\\. Use --runtime python`));
    await expect(result).rejects.toBeInstanceOf(MlflowError);
  });

  it('in a process of its own, stdin to stdout, as a user runs it', async () => {
    const p = run(['models', 'predict', '-m', dirs.get('half_plus_two_tf2_cpu') as string, '-t', 'json'], '{"inputs": [1, 2, 3]}');
    expect(await exitOf(p.child)).toBe(0);
    expect(p.stdout()).toBe('{"predictions": [2.5, 3.0, 3.5]}');
  }, 120_000);
});

describe('mlflow-ts models serve: TensorFlow SavedModels', () => {
  it('answers every case exactly, three servers at a time', async () => {
    const queue = [...CASES];
    const answers = new Map<string, { status: number; body: string }>();
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const { child, port } = await startServe(dirs.get(c.model) as string);
        try {
          const a = await send(port, 'POST', '/invocations', { contentType: 'application/json', body: c.request });
          answers.set(c.model, { status: a.status, body: a.body });
        } finally {
          const exited = exitOf(child);
          child.kill('SIGTERM');
          await exited;
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    for (const c of CASES) expect(answers.get(c.model), c.model).toEqual({ status: 200, body: `{"predictions": ${c.predictions}}` });
    // One converted graph per case, shared by every process that loaded it.
    expect((await readdir(join(cacheDir, 'tf-graphs'))).filter((n) => n.endsWith('.tfgraph'))).toHaveLength(CASES.length);
  }, 300_000);

  it.each(REFUSED)('does not start on $model, naming $op', async (c) => {
    const p = run(['models', 'serve', '-m', dirs.get(c.model) as string, '-p', '0']);
    expect(await exitOf(p.child)).not.toBe(0);
    expect(p.stderr()).toContain(`'regress_x_to_y' uses TensorFlow ops that cannot run natively in JS: ${c.op}.`);
  }, 120_000);
});

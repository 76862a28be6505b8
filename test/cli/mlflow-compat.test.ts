import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { cli } from './start-serve.js';

const SKLEARN = fileURLToPath(new URL('../../examples/iris-sklearn', import.meta.url));
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
afterEach(() => vi.restoreAllMocks());

/** The CLI in a process of its own: status and stderr. */
function run(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** Runs the command tree in this process, capturing stdout and stderr. */
async function inProcess(args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  await buildProgram().parseAsync(['node', 'mlflow-ts', ...args]);
  return { out, err };
}

describe('usage errors exit 2 with click\'s messages', () => {
  it.each([
    [['models', 'serve', '-m', 'x', '--no-such-flag'], "Usage: mlflow-ts models serve [options]\nTry 'mlflow-ts models serve --help' for help.\n\nError: No such option: --no-such-flag\n"],
    [['models', 'predict'], "Error: Missing option '-m' / '--model-uri'.\n"],
    [['models', 'predict', '-m', 'x', '-t', 'xml'], "Error: Invalid value for '-t' / '--content-type': 'xml' is not one of 'json', 'csv', 'parquet', 'jsonl', 'arrow'.\n"],
    [['models', 'frobnicate'], "Error: No such command 'frobnicate'.\n"],
    [['models', 'update-pip-requirements', '-m', 'x'], "Error: Missing argument 'OPERATION'.\n"],
    [['models', 'update-pip-requirements', '-m', SKLEARN, 'add', 'numpy=>1'], "Error: Invalid requirement: 'numpy=>1': '=>1' is not a version specifier\n"],
    [['deployments', 'predict', '-t', 'sagemaker', '-I', 'in.json'], 'Error: Must specify exactly one of --name or --endpoint.\n'],
    [['models', 'serve', '-m', 'x', '-p'], "Error: Option '--port' requires an argument.\n"],
  ])('%j', (args, message) => {
    const r = run(args);
    expect(r.stderr.endsWith(message), r.stderr).toBe(true);
    expect(r.status).toBe(2);
  }, 60_000);

  it('--help still exits 0, and an error from the command itself exits 1', () => {
    expect(run(['models', 'serve', '--help']).status).toBe(0);
    const r = run(['models', 'serve', '-m', '/no/such/model', '--enable-mlserver']);
    expect(r.stderr).toBe(
      "WARNING: --enable-mlserver is ignored by mlflow-ts: the Open Inference Protocol (V2) routes are always served here, beside MLflow's\n" +
        "mlflow-ts: Model path '/no/such/model' does not exist\n",
    );
    expect(r.status).toBe(1);
  }, 60_000);
});

describe('MLflow options without meaning here', () => {
  it('ignored ones warn one line each, saying why, and the command runs', async () => {
    const { out, err } = await inProcess(['sagemaker', 'build-and-push-container', '--no-build', '--no-push', '--env-manager', 'conda', '--mlflow-home', '/src/mlflow']);
    expect(err.split('\n').filter((l) => l !== '')).toEqual([
      "WARNING: --env-manager is ignored by mlflow-ts: the image installs the model's requirements.txt into the image's own Python at build time, and only when the model needs the Python bridge",
      'WARNING: --mlflow-home is ignored by mlflow-ts: the image runs mlflow-ts, not MLflow',
    ]);
    // MLflow's answer to --no-build --no-push.
    expect(out).toBe('skipping both build and push, have nothing to do!\n');
  });

  it('refused ones fail before the command does anything', async () => {
    await expect(inProcess(['models', 'build-docker', '-m', '/no/such/model', '--enable-mlserver'])).rejects.toThrow(
      /^--enable-mlserver is not supported by mlflow-ts: the image serves with mlflow-ts's own server/,
    );
  });
});

describe('deployments explain and the endpoint commands', () => {
  it('are accepted, and refused by targets without them, by name', async () => {
    const input = path.join(await mkdtemp(path.join(tmpdir(), 'explain-')), 'in.json');
    dirs.push(path.dirname(input));
    await expect(inProcess(['deployments', 'explain', '-t', 'sagemaker:/eu-west-1', '--name', 'app', '-I', input])).rejects.toThrow(
      /^Computing model explanations is not yet supported for this deployment target$/,
    );
    for (const args of [
      ['create-endpoint', '--endpoint', 'e', '-C', 'a=1'],
      ['update-endpoint', '--endpoint', 'e'],
      ['delete-endpoint', '--endpoint', 'e'],
      ['get-endpoint', '--endpoint', 'e'],
      ['list-endpoints'],
    ]) {
      for (const target of ['sagemaker', 'azureml:/sub/rg/ws']) {
        await expect(inProcess(['deployments', ...args, '-t', target]), args[0]).rejects.toThrow(
          new RegExp(`^The '${target.split(':')[0]}' deployment target has no endpoints of its own: \\\`deployments ${args[0]}\\\` is not supported there$`),
        );
      }
    }
  });

  it('a -C key given twice is an error, as MLflow\'s "Repeated parameter"', async () => {
    await expect(inProcess(['deployments', 'delete', '-t', 'sagemaker', '--name', 'app', '-C', 'archive=True', '-C', 'archive=False'])).rejects.toThrow(
      "Repeated parameter: 'archive'",
    );
  });
});

describe('defaults as MLflow', () => {
  const program = buildProgram();
  const find = (p: string): Command => p.split(' ').reduce((c, n) => c.commands.find((x) => x.name() === n) as Command, program);
  const opt = (p: string, flag: string): Option => find(p).options.find((o) => o.long === flag) as Option;

  it('serve, predict and prepare-env build the same environment by default: virtualenv', () => {
    for (const p of ['models serve', 'models predict', 'models prepare-env']) expect(opt(p, '--env-manager').defaultValue, p).toBe('virtualenv');
  });

  it("SageMaker's commands default to us-west-2, transform filters to $ and join to None", () => {
    for (const p of ['sagemaker push-model', 'sagemaker deploy-transform-job', 'sagemaker terminate-transform-job']) {
      expect(opt(p, '--region-name').defaultValue, p).toBe('us-west-2');
    }
    expect(find('sagemaker terminate-transform-job').options.find((o) => o.short === '-r')?.long).toBe('--region-name');
    expect(opt('sagemaker deploy-transform-job', '--input-filter').defaultValue).toBe('$');
    expect(opt('sagemaker deploy-transform-job', '--output-filter').defaultValue).toBe('$');
    expect(opt('sagemaker deploy-transform-job', '--join-resource').defaultValue).toBe('None');
    expect(opt('sagemaker push-model', '--execution-role-arn').defaultValue).toBeUndefined();
    expect(opt('sagemaker push-model', '--image-url').defaultValue).toBeUndefined();
  });
});

describe('models update-pip-requirements', () => {
  async function copyModel(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-reqs-'));
    dirs.push(dir);
    await cp(SKLEARN, dir, { recursive: true });
    return dir;
  }

  // Expected files: MLflow's update_model_requirements over this model's files, with requirement
  // strings as packaging 26.2's str(Requirement) writes them and conda.yaml as PyYAML's dump.
  it('add overwrites a package in place and appends new ones, in requirements.txt and conda.yaml', async () => {
    const dir = await copyModel();
    const { err } = await inProcess(['models', 'update-pip-requirements', '-m', dir, 'add', 'Scikit-Learn >= 1.0 , < 2', 'pandas[performance,aws]==2.0.0', "tzdata; python_version<'3.9'"]);
    expect(err).toBe(`Successfully updated the requirements for the model at ${dir}!\n`);
    const reqs = [
      'mlflow==2.22.1', 'cloudpickle==2.2.0', 'joblib==1.2.0', 'lz4==4.0.2', 'packaging==23.0', 'psutil==5.9.4', 'pyyaml==6.0',
      'scikit-learn<2,>=1.0', 'scipy==1.10.1', 'threadpoolctl==3.1.0', 'typing-extensions==4.4.0', 'pandas[aws,performance]==2.0.0', 'tzdata; python_version < "3.9"',
    ];
    expect(await readFile(path.join(dir, 'requirements.txt'), 'utf8')).toBe(reqs.join('\n'));
    expect(await readFile(path.join(dir, 'conda.yaml'), 'utf8')).toBe(
      `channels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip<=23.0.1\n- pip:\n${reqs.map((r) => `  - ${r}\n`).join('')}name: mlflow-env\n`,
    );
    // python_env.yaml reads requirements.txt; MLflow leaves it alone.
    expect(await readFile(path.join(dir, 'python_env.yaml'), 'utf8')).toBe(await readFile(path.join(SKLEARN, 'python_env.yaml'), 'utf8'));
  });

  it('remove drops by name whatever the version, and warns about names not there', async () => {
    const dir = await copyModel();
    const { err } = await inProcess(['models', 'update-pip-requirements', '-m', dir, 'remove', 'lz4>=9', 'torch']);
    expect(err).toContain('WARNING: "torch" not found in requirements, ignoring\n');
    const text = await readFile(path.join(dir, 'requirements.txt'), 'utf8');
    expect(text.split('\n')).not.toContain('lz4==4.0.2');
    expect(text.split('\n')).toHaveLength(10);
    expect(await readFile(path.join(dir, 'conda.yaml'), 'utf8')).not.toContain('lz4');
  });

  it('refuses models:/ URIs as MLflow does', async () => {
    await expect(inProcess(['models', 'update-pip-requirements', '-m', 'models:/iris/1', 'add', 'numpy'])).rejects.toThrow(
      'Failed to set requirements on "models:/iris/1". Model URIs with the `models:/` scheme are not supported.',
    );
  });
});

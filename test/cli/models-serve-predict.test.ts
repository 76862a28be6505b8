import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { send } from '../serve/http-client.js';
import { cli, exitOf, startServe } from './start-serve.js';

const model = fileURLToPath(new URL('../fixtures/serve/iris-strict', import.meta.url));

describe('models serve', () => {
  it('serves until SIGTERM, reading the timeout from MLflow\'s env var', async () => {
    const { child, ports } = await startServe(['models', 'serve', '-m', model, '-p', '0', '-h', '127.0.0.1'], {
      MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT: '30',
    });
    expect((await send(ports[0], 'GET', '/ping')).status).toBe(200);
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);

  it('pyfunc serve -w 2 runs two workers on one port', async () => {
    const { child, ports } = await startServe(['pyfunc', 'serve', '-m', model, '-p', '0', '-w', '2'], {}, 2);
    expect(ports[0]).toBe(ports[1]);
    const answer = await send(ports[0], 'POST', '/invocations', {
      contentType: 'text/csv',
      body: 'sepal_length,sepal_width,petal_length,petal_width\n7.7,3.0,6.1,2.3\n',
    });
    expect(answer.body).toBe('{"predictions": [2]}');
    // One scrape, whichever worker answers it, counts the requests of both.
    for (let i = 0; i < 19; i++) await send(ports[0], 'GET', '/ping');
    const metrics = (await send(ports[0], 'GET', '/metrics')).body;
    expect(metrics).toContain('mlflow_ts_requests_total{model="iris-strict",route="/ping",status="200"} 19');
    expect(metrics).toContain('mlflow_ts_requests_total{model="iris-strict",route="/invocations",status="200"} 1');
    expect(metrics).toMatch(/^mlflow_ts_model_load_seconds\{model="iris-strict"\} \d/m);
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});

describe('models serve shutdown while busy (issue #18)', () => {
  it('answers every request whose bytes arrived before SIGTERM, then exits 0', async () => {
    const rf = fileURLToPath(new URL('../fixtures/python_function/models/iris_rf', import.meta.url));
    const { child, ports } = await startServe(['models', 'serve', '-m', rf, '-p', '0', '--runtime', 'native']);
    const columns = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
    const body = (rows: number) => JSON.stringify({ dataframe_split: { columns, data: Array.from({ length: rows }, (_, i) => [5 + (i % 3), 3.5, 1.4 + (i % 5), 0.2]) } });
    const big = body(20_000);
    const small = body(1);
    let written = 0;
    let allWritten: () => void = () => undefined;
    const everyByteSent = new Promise<void>((resolve) => (allWritten = resolve));
    const onSent = (): void => {
      if (++written === 120) allWritten();
    };
    const sent = [
      ...Array.from({ length: 30 }, () => send(ports[0], 'POST', '/invocations', { contentType: 'application/json', body: big, onSent })),
      ...Array.from({ length: 90 }, () => send(ports[0], 'POST', '/invocations', { contentType: 'application/json', body: small, onSent })),
    ].map((p) => p.then((a) => a.status, (e: Error) => e.message));
    // The signal comes once every request's bytes have left this process (on a loaded machine a
    // fixed wait could signal before some were even sent), while the big ones are being scored.
    await everyByteSent;
    const exited = exitOf(child);
    child.kill('SIGTERM');
    const statuses = await Promise.all(sent);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await exited).toBe(0);
  }, 120_000);
});

describe('models predict', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-predict-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([['models'], ['pyfunc']])('%s predict -t csv writes MLflow\'s predictions to -o', async (group) => {
    const input = join(dir, 'in.csv');
    const output = join(dir, `${group}.json`);
    await writeFile(input, 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n7.7,3.0,6.1,2.3\n');
    await buildProgram().parseAsync(['node', 'mlflow-ts', group, 'predict', '-m', model, '-i', input, '-o', output, '-t', 'csv']);
    expect(await readFile(output, 'utf8')).toBe('{"predictions": [0, 2]}');
  });

  it("writes MLflow's JSON whatever -o is called; csv only with --output-format", async () => {
    const input = join(dir, 'in2.csv');
    const output = join(dir, 'out.csv');
    await writeFile(input, 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.2,2.9,4.3,1.3\n');
    const args = ['node', 'mlflow-ts', 'models', 'predict', '-m', model, '-i', input, '-o', output, '-t', 'csv'];
    await buildProgram().parseAsync(args);
    // mlflow models predict -o preds.csv writes this same JSON text (json.dump, no newline).
    expect(await readFile(output, 'utf8')).toBe('{"predictions": [0, 1]}');
    await buildProgram().parseAsync([...args, '--output-format', 'csv']);
    expect(await readFile(output, 'utf8')).toBe('predictions\n0\n1\n');
  });

  it("takes MLflow's environment flags: they shape the bridge's environment, which a native model does not use", async () => {
    const input = join(dir, 'in3.csv');
    await writeFile(input, 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');
    const out = join(dir, 'x.json');
    const base = ['node', 'mlflow-ts', 'models', 'predict', '-m', model, '-i', input, '-o', out, '-t', 'csv'];
    await buildProgram().parseAsync([...base, '--install-mlflow', '-r', 'scikit-learn==1.2.1', '--env', 'A_VAR=a=b']);
    expect(await readFile(out, 'utf8')).toBe('{"predictions": [0]}');
    expect(process.env.A_VAR).toBe('a=b');
    delete process.env.A_VAR;
    // As MLflow: overrides need an environment to install into.
    await expect(buildProgram().parseAsync([...base, '--env-manager', 'local', '-r', 'scikit-learn==1.2.1'])).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('--pip-requirements-override (-r) is not supported with --env-manager local'),
    });
  });

  it('reads stdin and writes stdout when -i and -o are absent', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'models', 'predict', '-m', model, '-t', 'json'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stdin?.end('{"inputs": {"sepal_length": [7.7], "sepal_width": [3.0], "petal_length": [6.1], "petal_width": [2.3]}}');
    expect(await exitOf(child)).toBe(0);
    expect(Buffer.concat(out).toString('utf8')).toBe('{"predictions": [2]}');
  }, 120_000);
});

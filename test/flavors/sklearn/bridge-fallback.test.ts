import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { NotSupportedNativelyError } from '../../../src/errors.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { exitOf, startServe } from '../../cli/start-serve.js';
import { send } from '../../serve/http-client.js';
import { pythonReady, PYTHON, skipReason } from '../python_function/python-available.js';

/**
 * MLflow sklearn models holding estimators mlflow-ts does not score natively (made by
 * test/fixtures/sklearn/bridge/make.py with scikit-learn 1.2.1): with the default runtime they
 * are served through the Python bridge, after one warning line.
 */
const BRIDGE = join(import.meta.dirname, '../../fixtures/sklearn/bridge');
const expected = JSON.parse(readFileSync(join(BRIDGE, 'expected.json'), 'utf8')) as Record<string, { predictions: unknown }>;
const tmp = mkdtempSync(join(tmpdir(), 'mlflow-ts-sklearn-bridge-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `mlflow-ts <args>` in this process; returns what it wrote to stdout and stderr. */
async function runCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const text = (chunk: string | Uint8Array): string => (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += text(c)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += text(c)), true));
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'mlflow-ts', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}

const PLS = join(BRIDGE, 'pls_regression_diabetes');
const PLS_REASON = `${join(PLS, 'model.pkl')}: sklearn.cross_decomposition._pls.PLSRegression is not supported natively`;

describe('an sklearn model the native reader refuses', () => {
  it('--runtime native fails with the reason and how to score the model', async () => {
    const err = await loadPredictor(PLS, { runtime: 'native' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotSupportedNativelyError);
    expect((err as Error).message).toBe(`${PLS_REASON}; use --runtime python (or auto) to load it with the Python bridge`);
  });

  it('models describe says it will get the Python bridge, and why', async () => {
    const { stdout } = await runCli(['models', 'describe', '-m', PLS]);
    expect(stdout).toContain(`\nRuntime:\n  python (the Python bridge), flavor python_function: ${PLS_REASON}\n`);
  });

  it('a corrupt pickle is refused with the file and byte offset, never handed to the bridge', async () => {
    const dir = join(tmp, 'corrupt');
    cpSync(PLS, dir, { recursive: true });
    const pkl = readFileSync(join(dir, 'model.pkl'));
    writeFileSync(join(dir, 'model.pkl'), pkl.subarray(0, pkl.length >> 1));
    const warnings: string[] = [];
    const err = await loadPredictor(dir, { onWarning: (m) => warnings.push(m) }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(NotSupportedNativelyError);
    expect((err as Error).message).toMatch(new RegExp(`^${join(dir, 'model.pkl')} \\(byte \\d+\\): `));
    expect(warnings).toEqual([]);
  });
});

describe.skipIf(!pythonReady)(`the Python bridge takes it with --runtime auto ${skipReason}`, () => {
  it.each(['pls_regression_diabetes', 'gaussian_process_regressor_diabetes'])(
    '`models serve` on %s answers as MLflow would, after one warning line',
    async (name) => {
      const dir = join(BRIDGE, name);
      const { child, ports, otherLines } = await startServe(['models', 'serve', '-m', dir, '-p', '0', '-h', '127.0.0.1', '--env-manager', 'local'], { MLFLOW_TS_PYTHON: PYTHON });
      try {
        expect(otherLines).toHaveLength(1);
        expect(otherLines[0]).toMatch(/^WARNING: .*model\.pkl: sklearn\.[a-z_.]+\.[A-Za-z]+ is not supported natively \(flavor 'sklearn'\); loading the model with the Python bridge instead$/);
        const answer = await send(ports[0], 'POST', '/invocations', {
          contentType: 'application/json',
          body: readFileSync(join(dir, 'serving_input_example.json'), 'utf8'),
        });
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body)).toEqual({ predictions: expected[name].predictions });
      } finally {
        const exited = exitOf(child);
        child.kill('SIGTERM');
        await exited;
      }
    },
    120_000,
  );
});

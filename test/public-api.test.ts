import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

/**
 * Issue #16: a consumer with `strict` and `skipLibCheck: false` compiles against the package's
 * declarations, with none of the optional packages installed (so no tfjs, onnxruntime or AWS SDK
 * type may be named by the main entry's declarations). The declarations are emitted from src/
 * into a temporary node_modules/mlflow-ts laid out as the tarball is (package.json + dist/).
 */
describe('the public API, as a strict TypeScript consumer sees it', () => {
  let tmp: string;
  let project: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-api-'));
    project = path.join(tmp, 'consumer');
    const pkg = path.join(project, 'node_modules', 'mlflow-ts');
    await mkdir(pkg, { recursive: true });
    await cp(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
    await run(process.execPath, [TSC, '-p', path.join(ROOT, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', path.join(pkg, 'dist')], { cwd: ROOT, maxBuffer: 1 << 24 });
    // Only what a core install has: @types/node, no optional package.
    await mkdir(path.join(project, 'node_modules', '@types'), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules/@types/node'), path.join(project, 'node_modules/@types/node'));
    for (const dep of ['apache-arrow', 'hyparquet', 'hyparquet-writer', 'pino', 'prom-client', 'commander', 'yaml', 'undici-types', 'flatbuffers', '@types/command-line-usage', '@types/command-line-args', '@swc', 'tslib']) {
      await symlink(path.join(ROOT, 'node_modules', dep), path.join(project, 'node_modules', dep)).catch(() => undefined);
    }
    await writeFile(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, skipLibCheck: false, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023'], types: ['node'], noEmit: true },
        files: ['consumer.ts'],
      }),
    );
    await writeFile(path.join(project, 'package.json'), '{"name": "consumer", "type": "module", "private": true}\n');
  }, 300_000);
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('compiles with strict and skipLibCheck false; predict, errors, Frame and Tensor helpers are typed', async () => {
    await writeFile(
      path.join(project, 'consumer.ts'),
      `import { loadPredictor, frameFromRecords, makeTensor, isFrame, isTensor, MlflowError, NotSupportedNativelyError, type Prediction, type Predictor, type Tensor } from 'mlflow-ts';
import { saveModel } from 'mlflow-ts/flavors/sklearn';

export async function score(uri: string): Promise<number> {
  await using p: Predictor = await loadPredictor(uri);
  const ac = new AbortController();
  const out: Prediction = await p.predict(frameFromRecords([{ x: 1 }]), undefined, { signal: ac.signal });
  const t: Tensor = makeTensor({ dtype: 'float64', shape: [1, 1], data: new Float64Array([1]) });
  await p.predict(t);
  await p.predict({ a: t });
  await p.predict([{ x: 1 }]);
  if (isFrame(out)) return out.numRows;
  if (isTensor(out)) return out.shape[0];
  return typeof saveModel === 'function' ? 0 : -1;
}

export function code(e: unknown): string | undefined {
  return e instanceof MlflowError && !(e instanceof NotSupportedNativelyError) ? e.errorCode : undefined;
}
`,
    );
    const result = await run(process.execPath, [TSC, '-p', project], { cwd: project }).then(
      () => '',
      (e: { stdout?: string }) => e.stdout ?? String(e),
    );
    expect(result).toBe('');
  }, 300_000);

  it("the main entry's declarations name no optional package and export no internals", async () => {
    const index = await readFile(path.join(project, 'node_modules/mlflow-ts/dist/index.d.ts'), 'utf8');
    for (const internal of ['pyFloatRepr', 'isoformat', 'parseYaml11', 'stringifyYaml11', 'pyJsonDumps', 'resolveInside']) expect(index).not.toContain(internal);
    const { stdout } = await run(process.execPath, [TSC, '-p', project, '--listFiles'], { cwd: project, maxBuffer: 1 << 24 }).catch((e: { stdout: string }) => e);
    expect(stdout).not.toMatch(/@tensorflow|onnxruntime|@aws-sdk|h5wasm/);
  }, 300_000);
});

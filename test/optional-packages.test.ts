import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { OPTIONAL_PACKAGE_GROUPS, importOptional, installCommand } from '../src/optional-packages.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const HIDE = path.join(ROOT, 'test/fixtures/optional-packages/hide-packages.mjs');
const KERAS_H5 = path.join(ROOT, 'test/fixtures/tensorflow/real/mlflow/keras1x_dense_mlp');
const SAVED_MODEL = path.join(ROOT, 'test/fixtures/tensorflow/real/mlflow/tensorflow_tf2_module');
const SKLEARN = path.join(ROOT, 'examples/iris-sklearn');

/**
 * Runs `body` (ESM, with `lib` bound to mlflow-ts's src/index.ts) in a fresh Node where the
 * packages `hide` cannot be resolved, as in an install without them, and returns what it prints.
 */
async function withoutPackages(hide: readonly string[], body: string): Promise<string> {
  const program = `const lib = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/index.ts')).href)});\n${body}`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(HIDE).href, '--input-type=module', '-e', program], {
    cwd: ROOT,
    env: { ...process.env, MLFLOW_TS_TEST_HIDE: hide.join(',') },
  });
  return stdout.trim();
}

const loadError = (model: string): string =>
  `try { await lib.loadPredictor(${JSON.stringify(model)}, { runtime: 'native' }); console.log('loaded'); }\n` +
  'catch (e) { console.log(JSON.stringify({ code: e.errorCode, message: e.message })); }';

// A package may be in several groups (@aws-sdk/client-s3: s3 and sagemaker).
const every = [...new Set(Object.values(OPTIONAL_PACKAGE_GROUPS).flatMap((g) => Object.keys(g.packages)))];

describe('optional packages', () => {
  it('package.json lists every group package as an optional peer (same range) and a dev dependency', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    for (const g of Object.values(OPTIONAL_PACKAGE_GROUPS)) {
      for (const [name, range] of Object.entries(g.packages)) {
        expect(pkg.peerDependencies[name], name).toBe(range);
        expect(pkg.peerDependenciesMeta[name], name).toEqual({ optional: true });
        expect(pkg.devDependencies[name], name).toBe(range);
        expect(pkg.dependencies[name], name).toBeUndefined();
      }
    }
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual([...every].sort());
  });

  it('installCommand names every package of the group with its range', () => {
    expect(installCommand('onnx')).toBe('npm install --ignore-scripts onnxruntime-node@^1.31.1');
    expect(installCommand('tfjs')).toBe(
      'npm install @tensorflow/tfjs-core@^4.22.0 @tensorflow/tfjs-converter@^4.22.0 @tensorflow/tfjs-layers@^4.22.0 @tensorflow/tfjs-backend-cpu@^4.22.0 @tensorflow/tfjs-backend-wasm@^4.22.0',
    );
  });

  it("reads the package name from Node's own module-not-found error; other errors pass through", async () => {
    // A real ERR_MODULE_NOT_FOUND for a package outside every group passes through unchanged...
    const err = await importOptional(() => import('mlflow-ts-no-such-package' as string)).catch((e: unknown) => e as Error & { code?: string });
    expect(err.code).toBe('ERR_MODULE_NOT_FOUND');
    expect(err.message).toContain("Cannot find package 'mlflow-ts-no-such-package'");
    // ...and the same message for a group's package becomes the install hint.
    const cause = Object.assign(new Error(err.message.replace('mlflow-ts-no-such-package', 'h5wasm')), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(importOptional(() => Promise.reject(cause))).rejects.toMatchObject({
      errorCode: 'NOT_IMPLEMENTED',
      message: expect.stringContaining('`npm install h5wasm@^0.10.3`') as string,
    });
    await expect(importOptional(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('mlflow-ts loads and scores sklearn without any optional package', async () => {
    const out = await withoutPackages(every, `const p = await lib.loadPredictor(${JSON.stringify(SKLEARN)});\n` +
        "const x = lib.frameFromRecords([{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);\n" +
        'console.log(lib.predictionsToJson(await p.predict(x)));\nawait p.close();');
    expect(JSON.parse(out)).toEqual({ predictions: [0] });
  }, 60_000);

  it('a Keras .h5 model without tfjs names the npm install that brings tfjs, NOT_IMPLEMENTED', async () => {
    const out = JSON.parse(await withoutPackages(['@tensorflow/tfjs-core'], loadError(KERAS_H5))) as { code: string; message: string };
    expect(out.code).toBe('NOT_IMPLEMENTED');
    expect(out.message).toContain("need the optional package '@tensorflow/tfjs-core', which is not installed");
    expect(out.message).toContain(`\`${installCommand('tfjs')}\``);
  }, 60_000);

  it('a Keras .h5 model without h5wasm names `npm install h5wasm`', async () => {
    const out = JSON.parse(await withoutPackages(['h5wasm'], loadError(KERAS_H5))) as { code: string; message: string };
    expect(out.message).toContain('`npm install h5wasm@^0.10.3`');
  }, 60_000);

  it('a SavedModel without the tfjs converter names the tfjs install', async () => {
    const out = JSON.parse(await withoutPackages(['@tensorflow/tfjs-converter'], loadError(SAVED_MODEL))) as { code: string; message: string };
    expect(out.message).toContain(`'@tensorflow/tfjs-converter', which is not installed: \`${installCommand('tfjs')}\``);
  }, 60_000);

  it('sagemaker deploy code without the AWS SDK names its install', async () => {
    const out = await withoutPackages(
      ['@aws-sdk/client-sagemaker'],
      `const { importSdk } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/deploy/sagemaker/aws-clients.ts')).href)});\n` +
        "try { await importSdk('@aws-sdk/client-sagemaker'); } catch (e) { console.log(e.message); }",
    );
    expect(out).toContain(`\`${installCommand('sagemaker')}\``);
  }, 60_000);

  it.each([
    ['s3', '@aws-sdk/client-s3', 's3-artifact-repository.ts', "new mod.S3ArtifactRepository('s3://bucket/model')", 's3:// artifacts (Amazon S3 and S3-compatible stores)'],
    ['gcs', '@google-cloud/storage', 'gcs-artifact-repository.ts', "new mod.GcsArtifactRepository('gs://bucket/model')", 'gs:// artifacts (Google Cloud Storage)'],
    ['azure', '@azure/storage-blob', 'azure-blob-artifact-repository.ts', "new mod.AzureBlobArtifactRepository('wasbs://c@acct.blob.core.windows.net/model')", 'wasbs:// artifacts (Azure Blob Storage) and Azure ML deployments'],
  ] as const)('a %s artifact without %s names the group\'s install, INVALID_STATE', async (group, pkg, file, repo, usedBy) => {
    const out = await withoutPackages(
      [pkg],
      `const mod = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/store', file)).href)});\n` +
        `try { await ${repo}.listArtifacts(); } catch (e) { console.log(JSON.stringify({ code: e.errorCode, message: e.message })); }`,
    );
    expect(JSON.parse(out)).toEqual({
      code: 'INVALID_STATE',
      message: `${usedBy} need the optional package '${pkg}', which is not installed: \`${installCommand(group)}\` brings it`,
    });
  }, 60_000);
});

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_ONLY_PACKAGES, generateBuildContext, packagesToOmit } from '../../../src/deploy/docker/index.js';
import { MODEL_STORE_PACKAGES } from '../../../src/deploy/docker/app-package.js';
import { FakeS3Server } from '../../store/fake-s3-server.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const SKLEARN = path.join(ROOT, 'examples/iris-sklearn');

/**
 * An image built without a model is given its model URI when it runs, so the packages model URIs
 * load (s3://, gs://, wasbs://) stay in it. Until issue #16's session 8, @aws-sdk/client-s3 and
 * @azure/identity were left out as deploy-only: an s3:// model could not load in such an image.
 * An image built with its model serves it from its own disk and leaves them out (13 MB).
 */
describe('an image built without a model keeps the model stores\' SDKs', () => {
  it('omits the model store packages only when the image holds its model', () => {
    expect(MODEL_STORE_PACKAGES).toEqual(expect.arrayContaining(['@aws-sdk/client-s3', '@google-cloud/storage', '@azure/storage-blob', '@azure/identity']));
    for (const name of MODEL_STORE_PACKAGES) expect(packagesToOmit(undefined)).not.toContain(name);
    for (const flavors of [['sklearn'], ['python_function'], ['tfjs']]) {
      for (const name of MODEL_STORE_PACKAGES) expect(packagesToOmit(flavors)).toContain(name);
    }
    expect(DEPLOY_ONLY_PACKAGES).toEqual(expect.arrayContaining(['@aws-sdk/client-sagemaker', '@aws-sdk/client-ecr']));
  });

  describe('the packed app scores an s3:// model given when it runs', () => {
    const s3 = new FakeS3Server();
    let tmp: string;
    let endpoint: string;
    beforeAll(async () => {
      if (!existsSync(path.join(ROOT, 'dist/bundle/cli.js'))) throw new Error('dist/bundle is missing: run `npm run build` first');
      tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-store-pkgs-'));
      endpoint = await s3.start();
      for (const f of await readdir(SKLEARN)) s3.put('models', `iris/${f}`, await readFile(path.join(SKLEARN, f)));
    });
    afterAll(async () => {
      await s3.stop();
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it('from the image context built without a model', async () => {
      const out = path.join(tmp, 'context');
      await generateBuildContext({ outputDir: out, appDir: ROOT });
      const app = path.join(out, 'mlflow-ts');
      expect(existsSync(path.join(app, 'node_modules/@aws-sdk/client-s3/package.json'))).toBe(true);
      const input = path.join(tmp, 'input.json');
      await writeFile(input, await readFile(path.join(SKLEARN, 'serving_input_example.json')));
      const { stdout } = await run(process.execPath, [path.join(app, 'bin/mlflow-ts.js'), 'models', 'predict', '-m', 's3://models/iris', '-i', input, '-t', 'json'], {
        cwd: os.tmpdir(),
        env: {
          PATH: process.env.PATH,
          HOME: tmp,
          MLFLOW_S3_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: 'AKIAMLFLOWTSTEST',
          AWS_SECRET_ACCESS_KEY: 'test-secret',
          AWS_DEFAULT_REGION: 'eu-west-3',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: '/nonexistent/mlflow-ts/aws-config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/mlflow-ts/aws-credentials',
        },
      });
      expect(JSON.parse(stdout)).toEqual({ predictions: [0, 0, 0] });
      expect(s3.requests.some((r) => r.method === 'GET' && r.path.includes('iris/model.pkl'))).toBe(true);
    }, 300_000);
  });
});

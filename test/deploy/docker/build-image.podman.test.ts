import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, detectContainerTool, formatBytes, imageSize, type ContainerTool } from '../../../src/deploy/docker/index.js';
import { runChecked, runCommand } from '../../../src/deploy/run-command.js';
import { runLocal } from '../../../src/deploy/sagemaker/index.js';
import { isTensor, makeTensor } from '../../../src/frame/tensor.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { containerTestSkipReason, ensureNodeBaseImage, TEST_BASE_IMAGE } from './node-base-image.js';
import { freePort, waitForUrl } from './wait-for-url.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const EXAMPLE = path.join(ROOT, 'examples/iris-js');
const SKLEARN = path.join(ROOT, 'examples/iris-sklearn');
const IMAGE = 'localhost/mlflow-ts-test-iris:latest';
const SKLEARN_IMAGE = 'localhost/mlflow-ts-test-iris-sklearn:latest';
const PYTHON_IMAGE = 'localhost/mlflow-ts-test-pyfunc:latest';
/** A Keras 2 HDF5 MLP (dl4j's test resources, see test/fixtures/tensorflow/README.md). */
const KERAS = path.join(ROOT, 'test/fixtures/tensorflow/models/keras_mlp');
const KERAS_IMAGE = 'localhost/mlflow-ts-test-keras:latest';
const CONTAINER = `mlflow-ts-test-iris-${process.pid}`;
/**
 * A request and the answer MLflow 2.22.1's own scoring server gave for the same model
 * (examples/iris-sklearn is its `iris_logreg`; see test/fixtures/deploy/README.md).
 */
const SKLEARN_REQUEST = {
  dataframe_split: {
    index: [10, 11, 12],
    columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    data: [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3]],
  },
};
const SKLEARN_ANSWER = { predictions: [0, 1, 2] };
/**
 * A custom python_function model (its own loader_module, no native flavor): only the Python
 * bridge scores it. Its requirements (numpy, pandas) are what Debian's python3 packages in the
 * image already satisfy, so pip installs them without reaching PyPI, which these machines cannot.
 */
async function writePyfuncModel(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'code'), { recursive: true });
  await mkdir(path.join(dir, 'data'));
  await writeFile(
    path.join(dir, 'code', 'weighted_sum.py'),
    [
      'import os',
      'import numpy as np',
      '',
      'class WeightedSum:',
      '    def __init__(self, data_path):',
      '        self.weights = np.loadtxt(os.path.join(data_path, "weights.txt"))',
      '',
      '    def predict(self, data):',
      '        return data.to_numpy(dtype=np.float64) @ self.weights',
      '',
      'def _load_pyfunc(data_path):',
      '    return WeightedSum(data_path)',
      '',
    ].join('\n'),
  );
  await writeFile(path.join(dir, 'data', 'weights.txt'), '10 1\n');
  await writeFile(path.join(dir, 'requirements.txt'), 'numpy\npandas\n');
  await writeFile(
    path.join(dir, 'MLmodel'),
    'flavors:\n  python_function:\n    code: code\n    data: data\n    loader_module: weighted_sum\n    python_version: 3.11.2\nmlflow_version: 2.22.1\n',
  );
}

/** What an image may add to its base for a natively scored model: the app, its dependencies and the model. */
const MAX_APP_LAYER_BYTES = 30e6;

const tool: ContainerTool | undefined = await detectContainerTool().catch(() => undefined);
const skipReason = await containerTestSkipReason(tool);
if (skipReason) console.warn(`skipping the container image test: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('models build-docker with podman', () => {
  const t = tool as ContainerTool;
  const podman = (args: string[]) => runCommand(t.name, [...t.globalArgs, ...args]);
  let baseSize = 0;
  let tmp: string | undefined;

  beforeAll(async () => {
    // The image packs dist/: `npm test` builds it first; a bare vitest run builds it here.
    if (!existsSync(path.join(ROOT, 'dist/bundle/cli.js'))) {
      await runCommand('npm', ['run', 'build'], { cwd: ROOT });
    }
    await ensureNodeBaseImage(t);
    baseSize = await imageSize(t, TEST_BASE_IMAGE);
  }, 480_000);

  afterAll(async () => {
    if (skipReason) return;
    await podman(['rm', '-f', CONTAINER]);
    await podman(['rm', '-f', `${CONTAINER}-local`]);
    await podman(['rm', '-f', `${CONTAINER}-sklearn`]);
    await podman(['rm', '-f', `${CONTAINER}-python`]);
    await podman(['rm', '-f', `${CONTAINER}-keras`]);
    await podman(['rmi', '-f', IMAGE, SKLEARN_IMAGE, PYTHON_IMAGE, KERAS_IMAGE]);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** Runs the image as SageMaker would (`serve`), checks /ping, makes one prediction, then stops it with SIGTERM. */
  async function serveAndStop(image: string, name: string, body: string): Promise<unknown> {
    const port = await freePort();
    await runChecked('podman run', t.name, [...t.globalArgs, 'run', '-d', ...t.limitArgs, '--name', name, '-p', `127.0.0.1:${port}:8080`, image, 'serve']);
    const ping = await waitForUrl(`http://127.0.0.1:${port}/ping`, Date.now() + 60_000);
    expect(ping.status).toBe(200);

    const res = await fetch(`http://127.0.0.1:${port}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const answer: unknown = await res.json();

    // `podman stop` sends SIGTERM and waits; a server that ignored it would be killed after 20 s.
    await runChecked('podman stop', t.name, [...t.globalArgs, 'stop', '-t', '20', name]);
    const state = await podman(['inspect', '--format', '{{.State.ExitCode}} {{.State.OOMKilled}}', name]);
    // Exit code 0: node handled SIGTERM and closed the server (a SIGKILL after the timeout gives 137).
    expect(state.stdout.trim()).toBe('0 false');
    const logs = await podman(['logs', name]);
    expect(logs.stdout + logs.stderr).toContain('scoring server stopped');
    return answer;
  }

  it('builds examples/iris-js, serves /ping and /invocations, and stops cleanly on SIGTERM', async () => {
    const built = await buildImage({ modelUri: EXAMPLE, imageName: IMAGE, baseImage: TEST_BASE_IMAGE, tool: t });
    console.log(`image ${IMAGE}: ${formatBytes(built.sizeBytes)} (${built.sizeBytes} bytes)`);
    expect(built.python).toBe(false);
    expect(built.sizeBytes - baseSize).toBeLessThan(MAX_APP_LAYER_BYTES);

    const user = await runChecked('inspect', t.name, [...t.globalArgs, 'image', 'inspect', '--format', '{{.Config.User}}', IMAGE]);
    expect(user.stdout.trim()).not.toMatch(/^(|root|0(:0)?)$/);

    expect(await serveAndStop(IMAGE, CONTAINER, await readFile(path.join(EXAMPLE, 'serving_input_example.json'), 'utf8'))).toEqual({ predictions: [0, 2] });
  }, 300_000);

  it('builds a natively scored MLflow 2.22.1 sklearn model without Python or tfjs, and predicts as MLflow does', async () => {
    const built = await buildImage({ modelUri: SKLEARN, imageName: SKLEARN_IMAGE, baseImage: TEST_BASE_IMAGE, tool: t });
    console.log(`image ${SKLEARN_IMAGE}: ${formatBytes(built.sizeBytes)} (${built.sizeBytes} bytes; base ${formatBytes(baseSize)})`);
    expect(built.python).toBe(false);
    expect(built.sizeBytes - baseSize).toBeLessThan(MAX_APP_LAYER_BYTES);
    const inImage = await podman(['run', '--rm', ...t.limitArgs, '--entrypoint', 'sh', SKLEARN_IMAGE, '-c', 'command -v python3; ls /opt/mlflow-ts/node_modules/@tensorflow; ls /opt/ml/model']);
    expect(inImage.stdout).not.toContain('python3');
    expect(inImage.stdout + inImage.stderr).toContain('No such file');
    expect(inImage.stdout).toContain('model.pkl');

    expect(await serveAndStop(SKLEARN_IMAGE, `${CONTAINER}-sklearn`, JSON.stringify(SKLEARN_REQUEST))).toEqual(SKLEARN_ANSWER);
  }, 300_000);

  it('gives a Python-bridge model python3 and its requirements (apt from Debian\'s mirror, then pip), and scores it', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-pyfunc-image-'));
    const model = path.join(tmp, 'model');
    await writePyfuncModel(model);
    const built = await buildImage({ modelUri: model, imageName: PYTHON_IMAGE, baseImage: TEST_BASE_IMAGE, tool: t });
    console.log(`image ${PYTHON_IMAGE}: ${formatBytes(built.sizeBytes)} (${built.sizeBytes} bytes; base ${formatBytes(baseSize)})`);
    expect(built.python).toBe(true);
    const body = JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2], [3, 4]] } });
    expect(await serveAndStop(PYTHON_IMAGE, `${CONTAINER}-python`, body)).toEqual({ predictions: [12, 34] });
  }, 600_000);

  it('packs tfjs and h5wasm for a Keras model (tensorflow flavor), and predicts as mlflow-ts does in process', async () => {
    const built = await buildImage({ modelUri: KERAS, imageName: KERAS_IMAGE, baseImage: TEST_BASE_IMAGE, tool: t });
    console.log(`image ${KERAS_IMAGE}: ${formatBytes(built.sizeBytes)} (${built.sizeBytes} bytes; base ${formatBytes(baseSize)})`);
    expect(built.python).toBe(false);
    const rows = [[0.1, 0.2, 0.3, 0.4], [5.1, 3.5, 1.4, 0.2]];
    const got = (await serveAndStop(KERAS_IMAGE, `${CONTAINER}-keras`, JSON.stringify({ inputs: rows }))) as { predictions: number[][] };
    // The flavor's own tests hold it to Keras's recorded outputs; here the image must agree with it.
    const predictor = await loadPredictor(KERAS);
    try {
      const want = await predictor.predict(makeTensor({ dtype: 'float32', shape: [2, 4], data: Float32Array.from(rows.flat()) }));
      if (!isTensor(want)) throw new Error('expected a tensor');
      expect(got.predictions).toHaveLength(2);
      got.predictions.flat().forEach((v, i) => expect(v).toBeCloseTo(Number(want.data[i]), 6));
    } finally {
      await predictor.close();
    }
  }, 300_000);

  it('sagemaker run-local serves a model mounted at /opt/ml/model and returns when the container stops', async () => {
    const port = await freePort();
    const name = `${CONTAINER}-local`;
    const running = runLocal({ modelUri: EXAMPLE, port, image: IMAGE, tool: t, containerName: name });
    await waitForUrl(`http://127.0.0.1:${port}/ping`, Date.now() + 60_000);
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: await readFile(path.join(EXAMPLE, 'serving_input_example.json'), 'utf8'),
    });
    expect(await res.json()).toEqual({ predictions: [0, 2] });
    await runChecked('podman stop', t.name, [...t.globalArgs, 'stop', '-t', '20', name]);
    await expect(running).resolves.toBeUndefined();
  }, 120_000);
});

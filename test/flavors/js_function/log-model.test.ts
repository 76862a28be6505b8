import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Frame } from '../../../src/frame/frame.js';
import type { Tensor } from '../../../src/frame/tensor.js';
import { logModel } from '../../../src/flavors/js_function/index.js';
import { Model } from '../../../src/model/index.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { MlflowClient } from '../../../src/store/index.js';

const EXAMPLE = join(import.meta.dirname, '../../../examples/iris-js');

describe('js_function logModel', () => {
  it('logs to a file store run and loads back through runs:/ and models:/', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mlflow-ts-js-log-'));
    process.env.MLFLOW_TRACKING_URI = root;
    const client = new MlflowClient(root);
    const run = await client.createRun({ experimentId: await client.getOrCreateExperiment('js-function') });
    const info = await logModel({
      runId: run.info.runId,
      artifactPath: 'model',
      loaderModule: 'iris_loader.mjs',
      code: join(EXAMPLE, 'code', 'iris_loader.mjs'),
      data: join(EXAMPLE, 'data'),
      signature: (await Model.load(EXAMPLE)).signature,
      registeredModelName: 'iris-js',
      client,
    });
    expect(info.modelUri).toBe(`runs:/${run.info.runId}/model`);
    const input = new Frame(
      ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'].map((name, j) => ({
        name,
        data: { kind: 'number', dtype: 'float64', values: Float64Array.of([7.7, 3.0, 6.1, 2.3][j]) },
      })),
    );
    for (const uri of [info.modelUri, 'models:/iris-js/1']) {
      const p = await loadPredictor(uri);
      expect(p.flavor).toBe('js_function');
      expect(p.metadata.runId).toBe(run.info.runId);
      expect(Array.from(((await p.predict(input)) as Tensor).data as Float64Array)).toEqual([2]);
    }
  });
});

// Issue #11 item 2: named tensors to a TensorFlow SavedModel served as MLflow 2.22.1's _TF2Wrapper
// serves it (model_type tf1-estimator): a dict of every output back, each output of shape [n, 1]
// flattened (ravel), others as lists. Requests and MLflow's answers as data.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger, type ScoringServer } from '../../src/serve/index.js';
import { copyWritable } from '../flavors/tensorflow/copy-writable.js';
import { tf1EstimatorMlmodel } from '../flavors/tensorflow/tf1-mlmodel.js';
import { send } from './http-client.js';

const MODELS = fileURLToPath(new URL('../fixtures/tensorflow/models', import.meta.url));

interface Probe {
  /** fixture / SavedModel folder in it / signature inputs (MLmodel JSON). */
  model: { fixture: string; savedModelDir: string; inputs: string };
  request: string;
  status: number;
  response: unknown;
  source: string;
}

const PROBES: Probe[] = [
  {
    model: { fixture: 'times_three_float', savedModelDir: 'tf2model', inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}, "name": "x"}]' },
    request: '{"inputs": {"x": [1.0, 2.0, 3.0]}}',
    status: 200,
    response: { predictions: { output_0: [3.0, 6.0, 9.0] } },
    source: 'issue #11 (MLflow 2.22.1 server)',
  },
  {
    // One named input: a bare list is that input (parse_tf_serving_input), so a dict again.
    model: { fixture: 'times_three_float', savedModelDir: 'tf2model', inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}, "name": "x"}]' },
    request: '{"inputs": [1.0, 2.0, 3.0]}',
    status: 200,
    response: { predictions: { output_0: [3.0, 6.0, 9.0] } },
    source: "MLflow 2.22.1's _cast_schema_type and _TF2Wrapper.predict",
  },
  {
    // half_plus_two's y has shape [n, 1]: every row holds one element, so it is raveled.
    model: { fixture: 'half_plus_two_cpu', savedModelDir: 'tfmodel', inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}, "name": "x"}]' },
    request: '{"inputs": {"x": [[1.0], [2.0], [3.0]]}}',
    status: 200,
    response: { predictions: { y: [2.5, 3.0, 3.5] } },
    source: "MLflow 2.22.1's _TF2Wrapper.predict (ravel when len(shape) != 1 and every row has one element)",
  },
];

describe('named tensors to a tf1-estimator SavedModel get a dict of outputs, as MLflow answers', () => {
  let tmp = '';
  const servers: ScoringServer[] = [];
  const saved = process.env.MLFLOW_TS_CACHE_DIR;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tf-protocol-'));
    process.env.MLFLOW_TS_CACHE_DIR = join(tmp, 'cache');
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    if (saved === undefined) delete process.env.MLFLOW_TS_CACHE_DIR;
    else process.env.MLFLOW_TS_CACHE_DIR = saved;
    await rm(tmp, { recursive: true, force: true });
  });

  it.each(PROBES.map((p, i) => [`${p.model.fixture}: ${p.request}`, p, i] as const))('%s', async (_name, p, i) => {
    const dir = join(tmp, `model-${i}`);
    await copyWritable(join(MODELS, p.model.fixture, p.model.savedModelDir), join(dir, p.model.savedModelDir));
    await writeFile(join(dir, 'MLmodel'), tf1EstimatorMlmodel(p.model.savedModelDir, 'serving_default', p.model.inputs));
    const server = createScoringServer(await loadPredictor(dir, { runtime: 'native' }), { logger: createServeLogger('silent') });
    servers.push(server);
    const { port } = await server.listen(0);
    const answer = await send(port, 'POST', '/invocations', { contentType: 'application/json', body: p.request });
    expect(answer.status, answer.body).toBe(p.status);
    expect(JSON.parse(answer.body)).toEqual(p.response);
  });
});

// Replays every probe MLflow 2.22.1's scoring server answered (test/fixtures/serve/protocol) and
// checks that mlflow-ts answers with the same status, content type, error_code and predictions.
// Deliberate difference: a POST with no Content-Type gets 415 (MLflow: 500).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger, type ScoringServer } from '../../src/serve/index.js';
import { errorCodeOf, send } from './http-client.js';
import { readTranscript, type Probe } from './transcript.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/serve/${p}`, import.meta.url));

function expectedStatus(p: Probe): number {
  return p.method === 'POST' && p.path === '/invocations' && p.contentType === undefined ? 415 : p.status;
}

async function replay(port: number, p: Probe): Promise<void> {
  const answer = await send(port, p.method, p.path, {
    contentType: p.contentType,
    body: p.method === 'POST' ? p.body : undefined,
  });
  const status = expectedStatus(p);
  expect(answer.status, p.name).toBe(status);
  if (status === p.status) {
    // uvicorn sends text/plain as "text/plain; charset=utf-8"; we send exactly that.
    expect(answer.contentType, p.name).toBe(p.responseContentType);
  }
  if (status >= 400 && p.response.startsWith('{') && errorCodeOf(p.response)) {
    expect(errorCodeOf(answer.body), p.name).toBe(errorCodeOf(p.response));
  } else if (status === 200 && p.path === '/invocations') {
    expect(JSON.parse(answer.body), p.name).toEqual(JSON.parse(p.response));
  } else if (status === 200 || status === 404 || status === 405) {
    expect(answer.body, p.name).toBe(p.response === '' ? '\n' : p.response);
  }
}

const mlflowModel = (p: string): string => fileURLToPath(new URL(`../fixtures/sklearn/mlflow-2.22.1/${p}`, import.meta.url));

describe.each([
  { transcript: 'protocol/iris_logreg.md', model: fixture('iris-strict'), served: 'a js_function model with its signature' },
  { transcript: 'protocol/iris_logreg_numpy.md', model: fixture('iris-tensor'), served: 'a js_function model with its signature' },
  // The very models MLflow served when it answered, scored by the native sklearn flavor.
  { transcript: 'protocol/iris_logreg.md', model: mlflowModel('iris_logreg'), served: 'MLflow\'s iris_logreg, natively' },
  { transcript: 'protocol/iris_logreg_numpy.md', model: mlflowModel('iris_logreg_numpy'), served: 'MLflow\'s iris_logreg_numpy, natively' },
])('$transcript against $served', ({ transcript, model }) => {
  let server: ScoringServer;
  let port: number;
  const probes = readTranscript(fixture(transcript));

  beforeAll(async () => {
    // The sklearn models must not fall back to the bridge; a js_function model runs its own code,
    // which runtime native refuses.
    const predictor = await loadPredictor(model, { runtime: model.includes('mlflow-2.22.1') ? 'native' : 'auto' });
    server = createScoringServer(predictor, { logger: createServeLogger('silent') });
    port = (await server.listen(0)).port;
  });
  afterAll(() => server.close());

  it('holds every probe of the transcript', () => {
    expect(probes.length).toBeGreaterThanOrEqual(transcript.includes('numpy') ? 10 : 49);
  });

  it.each(probes.map((p) => [p.name, p] as const))('%s', async (_name, p) => {
    await replay(port, p);
  });
});

describe('error messages', () => {
  it('never quote the request data back', async () => {
    const predictor = await loadPredictor(fixture('iris-strict'));
    const server = createScoringServer(predictor, { logger: createServeLogger('silent') });
    const { port } = await server.listen(0);
    try {
      const secret = 'SECRET-VALUE-1234';
      for (const body of [
        `{"dataframe_split": {"columns": ["a"], "data": [["${secret}"]]`,
        `{"dataframe_split": {"columns": ["sepal_length","sepal_width","petal_length","petal_width"], "data": [["${secret}",3.5,1.4,0.2]]}}`,
      ]) {
        const answer = await send(port, 'POST', '/invocations', { contentType: 'application/json', body });
        expect(answer.status).toBe(400);
        expect(answer.body).not.toContain(secret);
      }
    } finally {
      await server.close();
    }
  });
});

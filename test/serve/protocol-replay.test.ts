// Replays every probe MLflow 2.22.1's scoring server answered (test/fixtures/serve/protocol) and
// checks that mlflow-ts answers with the same status, content type, error_code and predictions.
// Deliberate difference: a POST with no Content-Type gets 415 (MLflow: 500).
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
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

/**
 * Issue #11's requests (fixtures/serve/issue-11/probes.json, made by make_fixture.py there): what
 * MLflow 2.22.1 answers them, status, error_code and predictions, from issue #11's report and from
 * scikit-learn itself run through MLflow's parsing steps. Served natively.
 */
interface IssueProbe {
  model: 'pipeline_none_nan' | 'iris_logreg' | 'iris_logreg_numpy';
  item: number;
  name: string;
  content_type: string;
  body?: string;
  body_base64?: string;
  status: number;
  error_code?: string;
  predictions?: unknown;
}

const issueProbes = JSON.parse(readFileSync(fixture('issue-11/probes.json'), 'utf8')) as IssueProbe[];
const ISSUE_MODELS = {
  pipeline_none_nan: fixture('issue-11/pipeline_none_nan'),
  iris_logreg: mlflowModel('iris_logreg'),
  iris_logreg_numpy: mlflowModel('iris_logreg_numpy'),
};

/** Probabilities agree to 1e-12 relative (sklearn's own outputs, recomputed in JS). */
function expectClose(actual: unknown, expected: unknown, name: string): void {
  if (typeof expected === 'number' && !Number.isInteger(expected)) {
    expect(typeof actual, name).toBe('number');
    expect(Math.abs((actual as number) - expected), name).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual) && actual.length, name).toBe(expected.length);
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, name));
  } else {
    expect(actual, name).toEqual(expected);
  }
}

describe.each(Object.keys(ISSUE_MODELS) as (keyof typeof ISSUE_MODELS)[])('issue #11 probes against %s, natively', (model) => {
  let server: ScoringServer;
  let port: number;
  const probes = issueProbes.filter((p) => p.model === model);

  beforeAll(async () => {
    const predictor = await loadPredictor(ISSUE_MODELS[model], { runtime: 'native' });
    expect(predictor.flavor).toBe('sklearn');
    server = createScoringServer(predictor, { logger: createServeLogger('silent') });
    port = (await server.listen(0)).port;
  });
  afterAll(() => server.close());

  it.each(probes.map((p) => [`item ${p.item}: ${p.name}`, p] as const))('%s', async (_name, p) => {
    const body = p.body_base64 === undefined ? p.body : Buffer.from(p.body_base64, 'base64');
    const answer = await send(port, 'POST', '/invocations', { contentType: p.content_type, body });
    expect(answer.status, answer.body).toBe(p.status);
    if (p.status === 200) {
      expectClose((JSON.parse(answer.body) as { predictions: unknown }).predictions, p.predictions, p.name);
    } else {
      expect(errorCodeOf(answer.body), answer.body).toBe(p.error_code);
    }
  });
});

describe('when the model itself raises', () => {
  it("answers MLflow's generic BAD_REQUEST and logs the estimator's reason on the server", async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const server = createScoringServer(await loadPredictor(mlflowModel('iris_logreg'), { runtime: 'native' }), { logger });
    const { port } = await server.listen(0);
    try {
      const body = '{"dataframe_split": {"columns": ["sepal_length","sepal_width","petal_length","petal_width"], "data": [[NaN, 3.5, 1.4, 0.2]]}}';
      const answer = await send(port, 'POST', '/invocations', { contentType: 'application/json', body });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({
        error_code: 'BAD_REQUEST',
        message: 'Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.',
      });
      expect(lines.join('')).toContain('Input X contains NaN. LogisticRegression does not accept missing values encoded as NaN natively.');
    } finally {
      await server.close();
    }
  });
});

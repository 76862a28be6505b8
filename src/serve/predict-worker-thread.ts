// A `models predict --workers` thread: loads the model as the main thread did (the directory its
// URI resolved to, the flavor it chose), then scores each table batch it is sent, or the ranges
// of a CSV file it takes in turn, as batchPredict scores one in its own thread. It imports only
// what that takes: not the URI schemes (store/), nor any flavor but the model's.
import { parentPort, workerData } from 'node:worker_threads';
import { MlflowError, type ErrorCode } from '../errors.js';
import { readCsvRange } from '../frame/batch-read.js';
import { castToSchema, schemaReading } from '../pyfunc/cast-to-schema.js';
import { loadFlavorPredictor } from '../pyfunc/load-flavor.js';
import type { Predictor } from '../pyfunc/predictor.js';
import { frameFromMessage, frameToMessage, toBatchOutput } from './batch-output.js';
import type { FromWorker, ToWorker, WorkerSetup } from './predict-workers.js';
import { RangeClaims } from './range-claims.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;

function errorOf(err: unknown): { message: string; code: ErrorCode | null } {
  return { message: err instanceof Error ? err.message : String(err), code: err instanceof MlflowError ? err.errorCode : null };
}

type Output = Extract<FromWorker, { kind: 'done' }>['output'];

async function predictOutput(predictor: Predictor, batch: Parameters<typeof castToSchema>[0]): Promise<Output> {
  const out = toBatchOutput(await predictor.predict(castToSchema(batch, predictor.metadata.getInputSchema())), setup.json);
  return 'json' in out ? out : { frame: frameToMessage(out.frame) };
}

/** Takes ranges of the CSV file until none is left, reading and scoring each. */
async function scoreRanges(predictor: Predictor, m: Extract<ToWorker, { kind: 'ranges' }>): Promise<void> {
  const reading = schemaReading(predictor.metadata.getInputSchema());
  const claims = new RangeClaims(m.ranges.length, m.ahead, m.claims);
  for (let index = await claims.next(); index !== undefined; index = await claims.next()) {
    let batch;
    try {
      batch = await readCsvRange(setup.csvPath!, m.ranges[index], m.layout, reading);
    } catch (err) {
      port.postMessage({ kind: 'range', index, readError: errorOf(err) } satisfies FromWorker);
      continue;
    }
    let reply: FromWorker;
    try {
      reply = { kind: 'range', index, output: await predictOutput(predictor, batch) };
    } catch (err) {
      reply = { kind: 'range', index, predictError: errorOf(err) };
    }
    port.postMessage(reply);
  }
}

try {
  const predictor = await loadFlavorPredictor(setup.modelDir, setup.flavor, setup.options);
  port.on('message', (m: ToWorker) => {
    if (m.kind === 'ranges') {
      void scoreRanges(predictor, m);
      return;
    }
    void (async () => {
      let reply: FromWorker;
      try {
        reply = { kind: 'done', id: m.id, output: await predictOutput(predictor, frameFromMessage(m.batch)) };
      } catch (err) {
        reply = { kind: 'error', id: m.id, error: errorOf(err) };
      }
      port.postMessage(reply);
    })();
  });
  port.postMessage({ kind: 'ready' } satisfies FromWorker);
} catch (err) {
  port.postMessage({ kind: 'failed', error: errorOf(err) } satisfies FromWorker);
}

// A `models predict --workers` thread: loads the model as the main thread did (the directory its
// URI resolved to, the flavor it chose), then scores each table batch it is sent, as batchPredict
// scores one in its own thread. It imports only what that takes: not the URI schemes (store/), nor
// any flavor but the model's.
import { parentPort, workerData } from 'node:worker_threads';
import { MlflowError, type ErrorCode } from '../errors.js';
import { readCsvRange } from '../frame/batch-read.js';
import type { Frame } from '../frame/frame.js';
import { castToSchema, schemaReading } from '../pyfunc/cast-to-schema.js';
import { loadFlavorPredictor } from '../pyfunc/load-flavor.js';
import { frameFromMessage, frameToMessage, toBatchOutput } from './batch-output.js';
import type { FromWorker, ToWorker, WorkerSetup } from './predict-workers.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;

function errorOf(err: unknown): { message: string; code: ErrorCode | null } {
  return { message: err instanceof Error ? err.message : String(err), code: err instanceof MlflowError ? err.errorCode : null };
}

try {
  const predictor = await loadFlavorPredictor(setup.modelDir, setup.flavor, setup.options);
  const reading = schemaReading(predictor.metadata.getInputSchema());
  port.on('message', (m: ToWorker) => {
    void (async () => {
      let reply: FromWorker;
      let batch: Frame;
      try {
        batch = 'batch' in m ? frameFromMessage(m.batch) : await readCsvRange(setup.csvPath!, m.range, m.layout, reading);
      } catch (err) {
        port.postMessage({ kind: 'readError', id: m.id, error: errorOf(err) } satisfies FromWorker);
        return;
      }
      try {
        const output = await predictor.predict(castToSchema(batch, predictor.metadata.getInputSchema()));
        const out = toBatchOutput(output, setup.json);
        reply = { kind: 'done', id: m.id, output: 'json' in out ? out : { frame: frameToMessage(out.frame) } };
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

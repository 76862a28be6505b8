import type { Worker } from 'node:worker_threads';
import { MlflowError, type ErrorCode } from '../errors.js';
import type { LoadOptions } from '../flavors/flavor.js';
import type { CsvLayout } from '../frame/csv-columns.js';
import type { CsvRange } from '../frame/csv-split.js';
import type { Frame } from '../frame/index.js';
import { frameFromMessage, frameToMessage, type BatchOutput, type FrameMessage } from './batch-output.js';
import { startThread } from './start-thread.js';

/** How a worker thread loads the model: with the options the main thread loaded it with. */
export interface WorkerModel {
  options: Pick<LoadOptions, 'runtime' | 'envManager'>;
}

/** What a thread is started with (its workerData). */
export interface WorkerSetup extends WorkerModel {
  /** The local directory the main thread loaded the model from (its URI resolved). */
  modelDir: string;
  /** The flavor the main thread's predictor has: the thread loads that one. */
  flavor: string;
  /** Predictions as JSON text, else as a table. */
  json: boolean;
  /** The CSV file whose ranges (splitCsvFile's) the threads read themselves. */
  csvPath?: string;
}

type ErrorMessage = { message: string; code: ErrorCode | null };

export type ToWorker = { id: number; batch: FrameMessage } | { id: number; range: CsvRange; layout: CsvLayout };
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'failed'; error: ErrorMessage }
  | { kind: 'done'; id: number; output: { json: string } | { frame: FrameMessage } }
  | { kind: 'error'; id: number; error: ErrorMessage }
  /** The thread could not read the batch's rows (a CSV range) from the file. */
  | { kind: 'readError'; id: number; error: ErrorMessage };

/** A CSV range's outcome: its predictions, or why its rows could not be read, or scored. */
export type RangeResult = { output: BatchOutput } | { readError: Error } | { predictError: Error };

interface Pending {
  resolve: (out: RangeResult) => void;
  reject: (err: Error) => void;
}

/** The error a thread reported, as the main thread would have thrown it. */
function rebuild(e: ErrorMessage): Error {
  return e.code === null ? new Error(e.message) : new MlflowError(e.message, e.code);
}

/** One thread and the batches it is scoring. */
class Thread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  private failure: Error | undefined;

  constructor(setup: WorkerSetup) {
    this.worker = startThread(import.meta.url, 'predict-worker-thread', setup);
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m.kind === 'ready') resolve();
        else if (m.kind === 'failed') reject(rebuild(m.error));
        else this.settle(m);
      });
      // an uncaught error in the thread, or its end, fails what it was doing
      this.worker.on('error', (err) => this.fail(err, reject));
      this.worker.on('exit', (code) => this.fail(new MlflowError(`A models predict worker thread exited (code ${code})`, 'INTERNAL_ERROR'), reject));
    });
    this.ready.catch(() => undefined);
  }

  /** The outcome of a message; rejects only when the thread fails. */
  send(message: ToWorker): Promise<RangeResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  private settle(m: Extract<FromWorker, { id: number }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.kind === 'error') p.resolve({ predictError: rebuild(m.error) });
    else if (m.kind === 'readError') p.resolve({ readError: rebuild(m.error) });
    else p.resolve({ output: 'json' in m.output ? m.output : { frame: frameFromMessage(m.output.frame) } });
  }

  private fail(err: Error, rejectReady: (err: Error) => void): void {
    this.failure ??= err;
    rejectReady(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/**
 * `models predict --workers N`: N worker threads, each with its own copy of the model, scoring
 * table batches. `score` hands a batch to the thread with the fewest batches waiting; the caller
 * awaits the results in its own order.
 */
export class PredictWorkers {
  private nextId = 0;
  private readonly threads: Thread[];
  /** Resolves once every thread has loaded the model; rejects with the first load failure. */
  readonly ready: Promise<void>;

  /** Starts `count` threads; `close` stops them, loaded or not. */
  constructor(count: number, private readonly setup: WorkerSetup) {
    this.threads = Array.from({ length: count }, () => new Thread(setup));
    this.ready = Promise.all(this.threads.map((t) => t.ready)).then(() => undefined);
    this.ready.catch(() => undefined);
  }

  score(batch: Frame): Promise<BatchOutput> {
    return this.send({ id: this.nextId++, batch: frameToMessage(batch) }).then((r) => {
      if ('output' in r) return r.output;
      throw 'readError' in r ? r.readError : r.predictError;
    });
  }

  /** Reads and scores a range of the CSV file the threads were set up with (its rows laid out as `layout`). */
  scoreRange(range: CsvRange, layout: CsvLayout): Promise<RangeResult> {
    return this.send({ id: this.nextId++, range, layout });
  }

  /** Whether these threads load the model `setup` names, reading the same CSV file and answering in the same form. */
  serves(setup: WorkerSetup): boolean {
    const own = this.setup;
    return own.modelDir === setup.modelDir && own.flavor === setup.flavor && own.json === setup.json && own.csvPath === setup.csvPath &&
      own.options.runtime === setup.options.runtime && own.options.envManager === setup.options.envManager;
  }

  get count(): number {
    return this.threads.length;
  }

  /** Batches sent and not yet answered, on the least busy thread. */
  fewestPending(): number {
    return Math.min(...this.threads.map((t) => t.pending.size));
  }

  private send(message: ToWorker): Promise<RangeResult> {
    let best = this.threads[0];
    for (const t of this.threads) if (t.pending.size < best.pending.size) best = t;
    return best.send(message);
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

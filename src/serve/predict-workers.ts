import type { Worker } from 'node:worker_threads';
import { MlflowError, type ErrorCode } from '../errors.js';
import type { LoadOptions } from '../flavors/flavor.js';
import type { CsvLayout } from '../frame/csv-columns.js';
import type { CsvRange } from '../frame/csv-split.js';
import type { Frame } from '../frame/index.js';
import { frameFromMessage, frameToMessage, type BatchOutput, type FrameMessage } from './batch-output.js';
import type { RangeClaims } from './range-claims.js';
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

export type ToWorker =
  | { kind: 'batch'; id: number; batch: FrameMessage }
  /** The ranges (splitCsvFile's) of the CSV file the thread was set up with: it takes them one by one from `claims` (RangeClaims' buffer). */
  | { kind: 'ranges'; ranges: CsvRange[]; layout: CsvLayout; claims: SharedArrayBuffer; ahead: number };
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'failed'; error: ErrorMessage }
  | { kind: 'done'; id: number; output: OutputMessage }
  | { kind: 'error'; id: number; error: ErrorMessage }
  /** Range `index`'s predictions, or why its rows could not be read (from the file) or scored. */
  | { kind: 'range'; index: number; output: OutputMessage }
  | { kind: 'range'; index: number; readError: ErrorMessage }
  | { kind: 'range'; index: number; predictError: ErrorMessage };

type OutputMessage = { json: string } | { frame: FrameMessage };

/** A CSV range's outcome: its predictions, or why its rows could not be read, or scored. */
export type RangeResult = { output: BatchOutput } | { readError: Error } | { predictError: Error };

interface Pending {
  resolve: (out: BatchOutput) => void;
  reject: (err: Error) => void;
}

/** The error a thread reported, as the main thread would have thrown it. */
function rebuild(e: ErrorMessage): Error {
  return e.code === null ? new Error(e.message) : new MlflowError(e.message, e.code);
}

function outputOf(m: OutputMessage): BatchOutput {
  return 'json' in m ? m : { frame: frameFromMessage(m.frame) };
}

/** One thread and the batches it is scoring. */
class Thread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  private failure: Error | undefined;
  /** Where the outcomes of the ranges it takes go, and its failure (claimRanges). */
  onRange?: (index: number, result: RangeResult) => void;
  onFailure?: (err: Error) => void;

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

  /** The predictions of a batch; rejects when the thread fails. */
  send(message: Extract<ToWorker, { kind: 'batch' }>): Promise<BatchOutput> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  private settle(m: Extract<FromWorker, { kind: 'done' | 'error' | 'range' }>): void {
    if (m.kind === 'range') {
      const result = 'output' in m ? { output: outputOf(m.output) } : 'readError' in m ? { readError: rebuild(m.readError) } : { predictError: rebuild(m.predictError) };
      this.onRange?.(m.index, result);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.kind === 'error') p.reject(rebuild(m.error));
    else p.resolve(outputOf(m.output));
  }

  private fail(err: Error, rejectReady: (err: Error) => void): void {
    this.failure ??= err;
    rejectReady(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.onFailure?.(err);
  }
}

/**
 * `models predict --workers N`: N worker threads, each with its own copy of the model, scoring
 * table batches. `score` hands a batch to the thread with the fewest batches waiting; the caller
 * awaits the results in its own order. For a CSV file, `claimRanges` lets the threads take its
 * ranges themselves.
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
    let best = this.threads[0];
    for (const t of this.threads) if (t.pending.size < best.pending.size) best = t;
    return best.send({ kind: 'batch', id: this.nextId++, batch: frameToMessage(batch) });
  }

  /**
   * Has every thread, once it has loaded the model, read and score ranges of the CSV file it was
   * set up with (its rows laid out as `layout`), each taken from `claims` when the thread is free.
   * Each outcome goes to `onResult` with the range's index; a thread's failure (to load, or its
   * end) to `onFailure`, after which the ranges it took have no outcome.
   */
  claimRanges(
    ranges: CsvRange[], layout: CsvLayout, claims: RangeClaims, onResult: (index: number, result: RangeResult) => void, onFailure: (err: Error) => void,
  ): void {
    this.ready.catch(onFailure);
    for (const t of this.threads) {
      t.onRange = onResult;
      t.onFailure = onFailure;
      t.worker.postMessage({ kind: 'ranges', ranges, layout, claims: claims.buffer, ahead: claims.ahead } satisfies ToWorker);
    }
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

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

import { MlflowError } from '../../errors.js';
import type { Params, PredictInput, PredictOutput } from '../flavor.js';
import { PythonWorker, replyError, type WorkerSpec } from './python-worker.js';
import { BodyWriter, decodeValue, encodeMessage, encodeValue, type WireValue } from './wire.js';

export interface PoolOptions extends WorkerSpec {
  size: number;
  /** Longest a predict may run in a worker before the worker is killed and replaced. */
  requestTimeoutMs: number;
}

interface Waiter {
  resolve(w: PythonWorker): void;
  reject(e: unknown): void;
}

/**
 * A fixed number of Python workers, each holding the model once. A request takes an idle worker
 * or waits for one; a worker that dies (crash, kill, timeout) is replaced in the background.
 */
export class WorkerPool {
  private readonly workers = new Set<PythonWorker>();
  private readonly idle: PythonWorker[] = [];
  private readonly waiters: Waiter[] = [];
  private starting = 0;
  private closed = false;
  private died = 0;

  private constructor(private readonly options: PoolOptions) {}

  /** Starts every worker; the first load error rejects (and stops the others). */
  static async start(options: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    const results = await Promise.allSettled(Array.from({ length: options.size }, () => PythonWorker.start(options)));
    const failed = results.find((r) => r.status === 'rejected');
    for (const r of results) if (r.status === 'fulfilled') pool.adopt(r.value);
    if (failed) {
      await pool.close();
      throw failed.reason;
    }
    return pool;
  }

  /** pids of the live workers (tests and diagnostics). */
  get pids(): number[] {
    return [...this.workers].map((w) => w.pid).filter((p): p is number => p !== undefined);
  }

  /** Workers that died while the pool served (crash, kill, timeout, abort) and were replaced. */
  get restarts(): number {
    return this.died;
  }

  /** `signal` aborts the call: the worker scoring it is killed (and replaced), the call rejects with the signal's reason. */
  async predict(input: PredictInput, params?: Params, signal?: AbortSignal): Promise<PredictOutput> {
    const body = new BodyWriter();
    // Encoded before a worker is taken: a large input takes many event-loop turns to encode.
    const message = await encodeMessage({ op: 'predict', input: await encodeValue(input, body), params: params ?? null }, body);
    const deadline = Date.now() + this.options.requestTimeoutMs;
    const worker = await this.acquire();
    if (signal?.aborted) {
      this.release(worker);
      throw signal.reason;
    }
    const left = deadline - Date.now();
    let reply;
    try {
      // A request whose client already got its 504 while it queued must not run after all.
      if (left <= 0) {
        throw new MlflowError(
          `The request waited longer than its ${this.options.requestTimeoutMs / 1000} s timeout for a Python worker`,
          'DEADLINE_EXCEEDED',
        );
      }
      reply = await worker.request(message, left, 'predicting', signal);
    } finally {
      this.release(worker);
    }
    if (reply.header.ok !== true) throw replyError(reply.header);
    return decodeValue(reply.header.output as WireValue, reply.body);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new MlflowError('The model was closed', 'TEMPORARILY_UNAVAILABLE'));
    await Promise.all([...this.workers].map((w) => w.stop()));
  }

  private acquire(): Promise<PythonWorker> {
    if (this.closed) return Promise.reject(new MlflowError('The model was closed', 'TEMPORARILY_UNAVAILABLE'));
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    this.refill();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(w: PythonWorker): void {
    if (!w.alive || this.closed) return;
    const next = this.waiters.shift();
    if (next) next.resolve(w);
    else this.idle.push(w);
  }

  private adopt(w: PythonWorker): void {
    this.workers.add(w);
    w.onceExit(() => {
      if (!this.closed) this.died++;
      this.workers.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      this.refill();
    });
    this.release(w);
  }

  /** Starts replacements up to the pool size. */
  private refill(): void {
    while (!this.closed && this.workers.size + this.starting < this.options.size) {
      this.starting++;
      PythonWorker.start(this.options).then(
        (w) => {
          this.starting--;
          if (this.closed) void w.stop();
          else this.adopt(w);
        },
        (e: unknown) => {
          this.starting--;
          (this.options.onStderr ?? ((l) => process.stderr.write(`[mlflow-ts] ${l}\n`)))(
            `replacing a Python worker failed: ${(e as Error).message}`, undefined);
          if (this.workers.size === 0 && this.starting === 0) {
            const err = new MlflowError(`No Python worker is available: ${(e as Error).message}`, 'TEMPORARILY_UNAVAILABLE');
            for (const w of this.waiters.splice(0)) w.reject(err);
          }
        },
      );
    }
  }
}

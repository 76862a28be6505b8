import { concatFrames, concatTensors, isFrame, isTensor, sliceFrame, sliceTensor, type Frame, type Tensor } from '../frame/index.js';
import type { PredictOptions, Predictor } from '../pyfunc/index.js';
import type { BatchingConfig } from './serve-config.js';

interface Waiting {
  readonly input: Frame | Tensor;
  readonly rows: number;
  resolve(output: unknown): void;
  reject(err: unknown): void;
}

/** What a batching predictor did, for metrics. */
export type BatchObserver = (requests: number, rows: number) => void;

/**
 * Adaptive batching: table (or single-tensor) requests without params that arrive within `maxWaitMs` of each other
 * are scored as one table of at most `maxBatchSize` rows, and the prediction is split back by
 * rows. Anything that cannot be batched exactly goes alone: other input kinds, params, tables
 * with other columns, or a prediction without one row per input row. When a batch fails, each
 * request is scored alone, so one bad request never fails the others.
 */
export function batchingPredictor(inner: Predictor, config: BatchingConfig, observe?: BatchObserver): Predictor {
  let queue: Waiting[] = [];
  let queuedRows = 0;
  let timer: NodeJS.Timeout | undefined;

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const taken = queue;
    queue = [];
    queuedRows = 0;
    for (const batch of splitByRows(taken, config.maxBatchSize)) void run(batch);
  }

  async function run(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return settle(batch[0], () => inner.predict(batch[0].input));
    const joined = join(batch.map((w) => w.input));
    if (joined) {
      try {
        const output = await inner.predict(joined);
        const rows = batch.map((w) => w.rows);
        const parts = splitOutput(output, rows);
        if (parts) {
          observe?.(batch.length, rows.reduce((a, b) => a + b, 0));
          batch.forEach((w, i) => w.resolve(parts[i]));
          return;
        }
      } catch {
        // Scored one by one below: each request gets its own answer or its own error.
      }
    }
    await Promise.all(batch.map((w) => settle(w, () => inner.predict(w.input))));
  }

  async function close(): Promise<void> {
    flush();
    await inner.close();
  }

  return {
    metadata: inner.metadata,
    flavor: inner.flavor,
    modelDir: inner.modelDir,
    kind: inner.kind,
    workerRestarts: inner.workerRestarts,
    predict(input: unknown, params?: unknown, options?: PredictOptions) {
      const rows = isFrame(input) ? input.numRows : isTensor(input) ? (input.shape[0] ?? 0) : 0;
      // A request that can be aborted is scored alone: a batch cannot drop one member's work.
      if (params !== undefined || options?.signal !== undefined || rows === 0 || rows >= config.maxBatchSize) {
        return inner.predict(input, params, options);
      }
      const batchable = input as Frame | Tensor;
      return new Promise((resolve, reject) => {
        queue.push({ input: batchable, rows, resolve, reject });
        queuedRows += rows;
        if (queuedRows >= config.maxBatchSize) flush();
        else timer ??= setTimeout(flush, config.maxWaitMs);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  } as Predictor;
}

async function settle(w: Waiting, f: () => Promise<unknown>): Promise<void> {
  try {
    w.resolve(await f());
  } catch (err) {
    w.reject(err);
  }
}

/** Consecutive groups of at most `max` rows (each request stays whole). */
function splitByRows(items: Waiting[], max: number): Waiting[][] {
  const out: Waiting[][] = [];
  let current: Waiting[] = [];
  let rows = 0;
  for (const w of items) {
    if (current.length > 0 && rows + w.rows > max) {
      out.push(current);
      current = [];
      rows = 0;
    }
    current.push(w);
    rows += w.rows;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** One input of all the requests' inputs, when they are all tables or all tensors that stack. */
function join(inputs: (Frame | Tensor)[]): Frame | Tensor | undefined {
  if (inputs.every(isFrame)) return concatFrames(inputs);
  if (inputs.every(isTensor)) return concatTensors(inputs);
  return undefined;
}

/** The prediction cut back into one part per request, or undefined when it has no row axis. */
function splitOutput(output: unknown, rows: readonly number[]): unknown[] | undefined {
  const total = rows.reduce((a, b) => a + b, 0);
  const cut = <T>(slice: (start: number, end: number) => T): T[] => {
    let at = 0;
    return rows.map((n) => slice(at, (at += n)));
  };
  if (isFrame(output)) return output.numRows === total ? cut((s, e) => sliceFrame(output, s, e)) : undefined;
  if (isTensor(output)) {
    if (output.shape.length === 0 || output.shape[0] !== total) return undefined;
    return cut((s, e) => sliceTensor(output, s, e));
  }
  if (Array.isArray(output)) return output.length === total ? cut((s, e) => output.slice(s, e)) : undefined;
  if (typeof output === 'object' && output !== null && !ArrayBuffer.isView(output)) {
    // Named tensors (a multi-output model): each is cut the same way.
    const entries = Object.entries(output);
    if (entries.length === 0 || !entries.every(([, v]) => isTensor(v))) return undefined;
    const split = entries.map(([k, v]) => [k, splitOutput(v, rows)] as const);
    if (split.some(([, parts]) => parts === undefined)) return undefined;
    return rows.map((_, i) => Object.fromEntries(split.map(([k, parts]) => [k, (parts as unknown[])[i]])));
  }
  if (ArrayBuffer.isView(output) && !(output instanceof DataView)) {
    const arr = output as unknown as { length: number; slice(s: number, e: number): unknown };
    return arr.length === total ? cut((s, e) => arr.slice(s, e)) : undefined;
  }
  return undefined;
}

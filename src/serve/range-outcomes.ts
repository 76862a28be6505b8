import type { CsvSplit } from '../frame/csv-split.js';
import type { PredictWorkers, RangeResult } from './predict-workers.js';
import { RangeClaims } from './range-claims.js';

/** How far past the batches written a thread may take one, per thread: the batches in flight. */
const AHEAD_PER_THREAD = 5;

/**
 * A cut CSV file being scored by ranges (`models predict`): who takes which range (RangeClaims,
 * shared with the threads), and the outcomes the worker threads report, kept until written. Made
 * as soon as the file is cut, which may be before this thread has loaded the model: the threads
 * then start on the ranges while it loads.
 */
export class RangeOutcomes {
  readonly claims: RangeClaims;
  /** Each range's outcome, dropped once it is written, so memory follows the ranges in flight. */
  readonly results: (RangeResult | undefined)[] = [];
  /** Whether range k was scored in a worker thread (its error is then looked at again here). */
  readonly inThread: boolean[] = [];
  /** A thread's failure (to load the model, or its end): the ranges it took have no outcome. */
  failure: Error | undefined;
  private wake: (() => void) | undefined;

  /** Ranges for this thread and `pool`'s threads, which start taking them at once. */
  constructor(readonly split: CsvSplit, readonly pool: PredictWorkers | undefined) {
    const threads = 1 + (pool?.count ?? 0);
    this.claims = new RangeClaims(split.ranges.length, AHEAD_PER_THREAD * threads);
    pool?.claimRanges(split.ranges, split.layout, this.claims, (k, result) => {
      this.results[k] = result;
      this.inThread[k] = true;
      this.wake?.();
    }, (err) => {
      this.failure ??= err;
      this.wake?.();
    });
  }

  /** Resolves at the threads' next outcome or failure. */
  async next(): Promise<void> {
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
  }
}

const NEXT = 0;
const WRITTEN = 1;

/**
 * Who scores which batch of a cut CSV file (`models predict --workers`): a counter in memory that
 * the main thread and the worker threads share, from which each takes the next batch when it is
 * free. Handing batches out from the main thread left a thread idle while the main thread scored
 * (it hands out nothing meanwhile) or, with a queue per thread, the main thread idle at the end
 * while a thread worked through its queue. Beside it, the count of batches written: no thread
 * takes a batch `ahead` or more past it, so memory follows the batches in flight.
 */
export class RangeClaims {
  private readonly slots: Int32Array;

  /** New claims, or (in a worker thread) the ones whose `buffer` the main thread sent. */
  constructor(
    readonly total: number,
    readonly ahead: number,
    readonly buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT),
  ) {
    this.slots = new Int32Array(buffer);
  }

  /** Takes the next batch if there is one within `ahead` of the writes. */
  claim(): number | undefined {
    const s = this.slots;
    const limit = Math.min(this.total, Atomics.load(s, WRITTEN) + this.ahead);
    for (;;) {
      const k = Atomics.load(s, NEXT);
      if (k >= limit) return undefined;
      if (Atomics.compareExchange(s, NEXT, k, k + 1) === k) return k;
    }
  }

  /** Whether every batch is taken. */
  get allTaken(): boolean {
    return Atomics.load(this.slots, NEXT) >= this.total;
  }

  /** The first `count` batches are written: a thread waiting for room may take more. */
  written(count: number): void {
    Atomics.store(this.slots, WRITTEN, count);
    Atomics.notify(this.slots, WRITTEN);
  }

  /** For a worker thread: the next batch, once there is room for it; undefined when all are taken. */
  async next(): Promise<number | undefined> {
    for (;;) {
      const written = Atomics.load(this.slots, WRITTEN);
      const k = this.claim();
      if (k !== undefined) return k;
      if (this.allTaken) return undefined;
      // not blocking (Atomics.wait): the thread stays able to end when told to
      const wait = Atomics.waitAsync(this.slots, WRITTEN, written);
      if (wait.async) await wait.value;
    }
  }
}

/** Where a LogBatch hands its lines: pino's own destination (sonic-boom) has these three. */
export interface LineSink {
  write(text: string): unknown;
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
}

/**
 * Gathers log lines and hands them to `sink` as one string per `minChars` (or whatever came
 * within `flushMs`), for a sink that writes synchronously. An asynchronous write costs ~30 µs of
 * CPU on the thread pool's hand-offs and a synchronous one a few µs, so one write per line (or
 * sonic-boom's own minLength batching, which measures its pending string on every write and so
 * flattens it) cost more CPU than scoring a row; here a line costs an array push. The lines
 * still gathered when the process exits are written then.
 */
export class LogBatch {
  private lines: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly drainNow = (): void => this.drain();

  constructor(
    private readonly sink: LineSink,
    private readonly minChars: number,
    private readonly flushMs: number,
  ) {
    const ref = new WeakRef(this);
    alive.add(ref);
    forgotten.register(this, ref);
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', drainAll);
    }
  }

  write(line: string): boolean {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= this.minChars) this.drain();
    else if (this.timer === undefined) this.timer = setTimeout(this.drainNow, this.flushMs).unref();
    return true;
  }

  /** Hands the gathered lines to the sink; `cb` once the sink has written them. */
  flush(cb?: (err?: Error) => void): void {
    this.drain();
    this.sink.flush(cb);
  }

  flushSync(): void {
    this.drain();
    this.sink.flushSync();
  }

  drain(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.sink.write(text);
  }
}

const alive = new Set<WeakRef<LogBatch>>();
const forgotten = new FinalizationRegistry<WeakRef<LogBatch>>((ref) => alive.delete(ref));
let exitHooked = false;

function drainAll(): void {
  for (const ref of alive) {
    try {
      ref.deref()?.drain();
    } catch {
      // A destination already closed has nothing more to take.
    }
  }
}

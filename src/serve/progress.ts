/** Reports how many rows a batch prediction has scored. */
export type ProgressReporter = (rowsDone: number) => void;

/**
 * A one-line progress display on stderr, redrawn at most every 200 ms; nothing at all when
 * stderr is not a terminal, so logs and pipes stay clean.
 */
export function stderrProgress(label: string): { report: ProgressReporter; done(): void } {
  const stream = process.stderr;
  if (!stream.isTTY) return { report: () => {}, done: () => {} };
  const started = Date.now();
  let last = 0;
  let rows = 0;
  const draw = (): void => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    stream.write(`\r${label}: ${rows.toLocaleString('en-US')} rows (${Math.round(rows / seconds).toLocaleString('en-US')} rows/s)\x1b[K`);
  };
  return {
    report(rowsDone) {
      rows = rowsDone;
      const now = Date.now();
      if (now - last >= 200) {
        last = now;
        draw();
      }
    },
    done() {
      draw();
      stream.write('\n');
    },
  };
}

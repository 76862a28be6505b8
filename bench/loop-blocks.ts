// How long one synchronous step holds a process's event loop, in wall time and in the main
// thread's own CPU time. A timer due every millisecond sees each step as a gap between two of its
// runs; the main thread's CPU time over the gap (from /proc's schedstat, in nanoseconds) is what
// the step costs whatever else runs on the machine: on a loaded machine the wall time of a gap
// stretches with the time the thread waited for a core, its CPU time does not.
import { appendFileSync, readFileSync } from 'node:fs';

/** Gaps longer than this are logged (BENCH_LOOP_LOG) with their start and end. */
const LOG_ABOVE_MS = 20;

export interface LoopBlocks {
  /** The longest gap since the last call, in wall ms and in main-thread CPU ms (the largest of each, not one gap's). */
  take(): { wallMs: number; cpuMs: number };
}

/** The main thread's CPU time so far, in ns (Linux). */
function threadCpuNs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ')[0]);
}

/**
 * Starts watching. `logFile`: each gap over LOG_ABOVE_MS is appended as `start end wallMs cpuMs`
 * (start and end in µs of the monotonic clock, as a V8 CPU profile's timestamps), to find the
 * step in a --cpu-prof profile.
 */
export function watchLoopBlocks(logFile?: string): LoopBlocks {
  let lastWall = process.hrtime.bigint();
  let lastCpu = threadCpuNs();
  let wallMax = 0;
  let cpuMax = 0;
  setInterval(() => {
    const wall = process.hrtime.bigint();
    const cpu = threadCpuNs();
    const wallMs = Number(wall - lastWall) / 1e6;
    const cpuMs = (cpu - lastCpu) / 1e6;
    wallMax = Math.max(wallMax, wallMs);
    cpuMax = Math.max(cpuMax, cpuMs);
    if (logFile && wallMs > LOG_ABOVE_MS) appendFileSync(logFile, `${lastWall / 1000n} ${wall / 1000n} ${wallMs.toFixed(1)} ${cpuMs.toFixed(1)}\n`);
    lastWall = wall;
    lastCpu = threadCpuNs();
  }, 1).unref();
  return {
    take() {
      const out = { wallMs: wallMax, cpuMs: cpuMax };
      wallMax = 0;
      cpuMax = 0;
      return out;
    },
  };
}

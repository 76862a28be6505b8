// Issue #18 item 3's measure: the slowest /ping answer while a request is in flight, and the
// bound it must stay under (100 ms, stretched on an oversubscribed machine; see event-loop.test.ts).
import { availableParallelism, loadavg } from 'node:os';
import { expect } from 'vitest';
import { send } from './http-client.js';

export const PING_MS = 100;

/** The slowest /ping answer while `request` is in flight (or for `request`'s length of time), polling every 20 ms. */
export async function slowestPing(port: number, request: () => Promise<unknown>): Promise<number> {
  let done = false;
  let slowest = 0;
  const poll = (async () => {
    while (!done) {
      const t = performance.now();
      expect((await send(port, 'GET', '/ping')).status).toBe(200);
      slowest = Math.max(slowest, performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  // The first /ping goes out before the request does.
  await new Promise((r) => setTimeout(r, 5));
  try {
    await request();
  } finally {
    done = true;
    await poll;
  }
  return slowest;
}

/** `pingMs`, stretched by how oversubscribed the machine is right now. */
const pingBound = (pingMs: number): number => pingMs * Math.max(1, loadavg()[0] / availableParallelism());

/**
 * Sends `request` while polling /ping, up to three times, and expects the slowest /ping of the
 * best attempt under its bound: `pingMs` (100 ms, issue #18's goal), or that times load average /
 * cores, or that above the slowest /ping of an equally long window with nothing in flight,
 * whichever is largest.
 */
export async function expectPingWithinBound(port: number, what: string, request: () => Promise<unknown>, pingMs = PING_MS): Promise<void> {
  const attempt = async (): Promise<{ slowest: number; bound: number }> => {
    const before = pingBound(pingMs);
    const started = performance.now();
    const slowest = await slowestPing(port, request);
    const took = performance.now() - started;
    // The same length of time with nothing in flight: what the machine alone does to /ping.
    const control = await slowestPing(port, () => new Promise((r) => setTimeout(r, took)));
    return { slowest, bound: Math.max(before, pingBound(pingMs), control + pingMs) };
  };
  let result = await attempt();
  for (let tries = 1; tries < 3 && result.slowest > result.bound; tries++) {
    const again = await attempt();
    if (again.slowest / again.bound < result.slowest / result.bound) result = again;
  }
  expect(result.slowest, `${what}: /ping took ${result.slowest.toFixed(0)} ms (bound ${result.bound.toFixed(0)} ms)`).toBeLessThan(result.bound);
}

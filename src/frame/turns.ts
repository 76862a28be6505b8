import { setImmediate as nextTurn } from 'node:timers/promises';

/** Work done between two turns of the event loop while a large value is encoded or decoded. */
const TURN_MS = 5;

/**
 * Gives the event loop a turn whenever TURN_MS of work has passed since the last one, so that
 * encoding or decoding a large message (the Python bridge's requests and replies, a large answer's
 * JSON) leaves /ping, other requests and signals their turns. A small message never waits.
 */
export class Turns {
  private last = performance.now();

  async pass(): Promise<void> {
    if (performance.now() - this.last < TURN_MS) return;
    await nextTurn();
    this.last = performance.now();
  }
}

import { describe, expect, it } from 'vitest';
import { RangeClaims } from '../../src/serve/range-claims.js';

describe('RangeClaims', () => {
  it('hands each batch out once, in order, no further than `ahead` past the writes', () => {
    const claims = new RangeClaims(5, 2);
    expect([claims.claim(), claims.claim(), claims.claim()]).toEqual([0, 1, undefined]);
    claims.written(1);
    expect([claims.claim(), claims.claim()]).toEqual([2, undefined]);
    claims.written(5);
    expect([claims.claim(), claims.claim(), claims.claim()]).toEqual([3, 4, undefined]);
    expect(claims.allTaken).toBe(true);
  });

  it('shares its counts with a copy made from its buffer (a worker thread)', () => {
    const main = new RangeClaims(4, 4);
    const thread = new RangeClaims(4, 4, main.buffer);
    expect([main.claim(), thread.claim(), main.claim(), thread.claim(), main.claim()]).toEqual([0, 1, 2, 3, undefined]);
  });

  it('next() waits for room, then takes a batch; undefined once every batch is taken', async () => {
    const main = new RangeClaims(3, 1);
    const thread = new RangeClaims(3, 1, main.buffer);
    expect(await thread.next()).toBe(0);
    let taken: number | undefined | 'waiting' = 'waiting';
    const next = thread.next().then((k) => (taken = k));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(taken).toBe('waiting');
    main.written(1);
    await next;
    expect(taken).toBe(1);
    main.written(3);
    expect(await thread.next()).toBe(2);
    expect(await thread.next()).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { nextBlockRows } from '../../src/serve/predict-in-blocks.js';

describe('blocks of rows scored or written per event-loop turn', () => {
  it('sizes the next block for about 20 ms, at most twice the last (a block is not linear in its rows)', () => {
    expect(nextBlockRows(4096, 0.1)).toBe(8192);
    expect(nextBlockRows(10_000, 40)).toBe(5000);
    expect(nextBlockRows(10_000, 15)).toBe(13_333);
    expect(nextBlockRows(300, 1000)).toBe(256);
  });
});

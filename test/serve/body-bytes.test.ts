import { describe, expect, it } from 'vitest';
import { BodyBytes } from '../../src/serve/body-bytes.js';

const chunks = (sizes: number[]): Buffer[] => sizes.map((n, i) => Buffer.alloc(n, i + 1));

describe('a large request body gathered as it arrives (the event loop is not held by one copy at its end)', () => {
  it('copies chunks into a buffer of the declared size, its own memory (handed to the body thread without a copy)', async () => {
    const parts = chunks([65536, 65536, 1000]);
    const gathered = new BodyBytes(132072);
    for (const c of parts) gathered.add(c);
    const body = await gathered.bytes();
    expect(body.equals(Buffer.concat(parts))).toBe(true);
    expect([body.byteOffset, body.buffer.byteLength]).toEqual([0, 132072]);
  });

  it('joins the chunks of a body of no declared size, and of one longer than declared (a chunk per turn)', async () => {
    for (const declared of [NaN, 10, 0]) {
      const parts = chunks([7, 8, 9]);
      const gathered = new BodyBytes(declared);
      for (const c of parts) gathered.add(c);
      expect((await gathered.bytes()).equals(Buffer.concat(parts)), String(declared)).toBe(true);
      expect(gathered.size).toBe(24);
    }
    expect((await new BodyBytes(NaN).bytes()).length).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { stringifyInTurns } from '../../../src/flavors/python_function/turns.js';
import { seededRandom } from '../../seeded-random.js';

async function pieces(value: unknown): Promise<string> {
  let text = '';
  await stringifyInTurns(value, (p) => (text += p));
  return text;
}

describe('stringifyInTurns (the Python bridge writes a large request a slice per event-loop turn)', () => {
  it('writes exactly what JSON.stringify writes', async () => {
    const proto = JSON.parse('{"__proto__": [1, 2], "a": 1}') as unknown;
    const hand: unknown[] = [
      { op: 'predict', input: { type: 'json', value: Array.from({ length: 10_000 }, (_, i) => ({ k: `v${i}`, n: i % 3 ? i / 7 : null, u: undefined })) }, params: null },
      Array.from({ length: 5000 }, (_, i) => (i % 4 === 0 ? undefined : i % 4 === 1 ? 'é\u2028"\\' : i % 4 === 2 ? [i, [i, { x: NaN }]] : () => 1)),
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3], [], {}, { d: new Date(0), big: Array.from({ length: 3000 }, (_, i) => [i, `${i}`]) },
      Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i % 2 ? [i] : i])),
      proto, '\ud800', Infinity, null, true,
    ];
    for (const v of hand) expect(await pieces(v)).toBe(JSON.stringify(v));
    // Seeded random nests of lists and objects, long and short.
    const random = seededRandom(18);
    const make = (depth: number): unknown => {
      const r = random();
      if (depth > 4 || (depth > 0 && r < 0.5)) return [1.5, -0, 'x', null, true, undefined][Math.floor(random() * 6)];
      // Long containers (sliced) only near the top, so a nest stays a few thousand values.
      const n = depth < 2 && random() < 0.3 ? 2049 + Math.floor(random() * 3000) : Math.floor(random() * 4);
      if (r < 0.65) return Array.from({ length: n }, () => make(depth + 1));
      return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, make(depth + 1)]));
    };
    for (let i = 0; i < 8; i++) {
      const v = make(0);
      expect(await pieces(v)).toBe(JSON.stringify(v));
    }
  }, 300_000);
});

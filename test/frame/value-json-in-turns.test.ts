import { describe, expect, it } from 'vitest';
import { Frame, makeTensor, valueToJson, valueToJsonInTurns } from '../../src/frame/index.js';
import { seededRandom } from '../seeded-random.js';

async function pieces(value: unknown): Promise<string> {
  let text = '';
  await valueToJsonInTurns(value, (p) => (text += p));
  return text;
}

describe('valueToJsonInTurns (a large JSON answer written a slice per event-loop turn)', () => {
  it('writes exactly what valueToJson writes', async () => {
    const tensor = makeTensor({ dtype: 'float64', shape: [3], data: new Float64Array([1, 0.5, NaN]) });
    const frame = new Frame([{ name: 'a', data: { kind: 'string', values: ['x', null] } }]);
    const hand: unknown[] = [
      { values: Array.from({ length: 5000 }, (_, i) => `s${i}é"\\`), lengths: Array.from({ length: 5000 }, (_, i) => i % 7) },
      [{ values: Array.from({ length: 3000 }, (_, i) => i / 3) }, { n: 3000, nested: { deep: Array.from({ length: 2100 }, (_, i) => [i, null]) } }],
      // Values valueToJson converts (tensors, frames, typed arrays, dates) beside lists, and an undefined it drops or keeps.
      { t: tensor, f: frame, typed: new Int32Array([1, 2]), d: new Date(0), list: Array.from({ length: 2500 }, (_, i) => (i % 2 ? tensor : i)) },
      { a: undefined, b: [1, 2], c: tensor }, { a: undefined, b: [1, 2] },
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3], [], {}, [[]], { k: {} }, JSON.parse('{"__proto__": [1, 2], "a": [3]}') as unknown,
      Array.from({ length: 4100 }, (_, i) => ({ k: i, v: [i] })), '\ud800', Infinity, null, true, 3,
    ];
    for (const v of hand) expect(await pieces(v)).toBe(valueToJson(v));
    const random = seededRandom(9);
    const make = (depth: number): unknown => {
      const r = random();
      if (depth > 5 || (depth > 0 && r < 0.5)) return [1.5, 2, -0, 'x', null, true, 1e-7][Math.floor(random() * 7)];
      // Long containers (sliced) only near the top, so a nest stays a few thousand values.
      const n = (depth === 0 && random() < 0.5) || (depth === 1 && random() < 0.02) ? 2049 + Math.floor(random() * 3000) : Math.floor(random() * 4);
      if (r < 0.65) return Array.from({ length: n }, () => make(depth + 1));
      return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, make(depth + 1)]));
    };
    for (let i = 0; i < 12; i++) {
      const v = make(0);
      expect(await pieces(v)).toBe(valueToJson(v));
    }
  }, 60_000);
});

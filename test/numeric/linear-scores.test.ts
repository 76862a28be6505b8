import { describe, expect, it } from 'vitest';
import { jsKernel, linearArgmax, linearScores, linearWeights, wasmKernel, type LinearWeights } from '../../src/numeric/linear-scores.js';
import { seededRandom } from '../seeded-random.js';

/** The first index where two arrays differ in their bits, or -1; -2 if null or of other lengths. */
function firstBitDifference(a: Float64Array | null, b: Float64Array): number {
  if (a === null || a.length !== b.length) return -2;
  const x = new BigUint64Array(a.buffer, a.byteOffset, a.length);
  const y = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Scores as the kernels promise to sum them: s = 0, s += x[j] * coef[t][j] in order, then + intercept. */
function reference(coef: Float64Array, intercept: Float64Array, x: Float64Array, rows: number, targets: number, features: number): Float64Array {
  const out = new Float64Array(rows * targets);
  for (let i = 0; i < rows; i++) {
    for (let t = 0; t < targets; t++) {
      let s = 0;
      for (let j = 0; j < features; j++) s += x[i * features + j] * coef[t * features + j];
      out[i * targets + t] = s + intercept[t];
    }
  }
  return out;
}

/** numpy's argmax (first maximum, first NaN wins), or score > 0 for one target. */
function referenceArgmax(scores: Float64Array, rows: number, targets: number): number[] {
  return Array.from({ length: rows }, (_, i) => {
    const row = Array.from(scores.subarray(i * targets, (i + 1) * targets));
    if (targets === 1) return row[0] > 0 ? 1 : 0;
    const nan = row.findIndex((v) => Number.isNaN(v));
    return nan >= 0 ? nan : row.indexOf(Math.max(...row));
  });
}

type Kernel = NonNullable<ReturnType<typeof wasmKernel>>;

/** A kernel's argmax labels as a Float64Array, or null where it refused the input. */
function argmaxOf(k: Kernel, m: LinearWeights, x: Float64Array, rows: number, table: Float64Array, finite: boolean): Float64Array | null {
  const out = new Float64Array(rows);
  return k.argmax(m, x, rows, table, out, finite) ? out : null;
}

function randomCase(seed: number, rows: number, targets: number, features: number) {
  const rnd = seededRandom(seed);
  // wide exponents, so that rounding differs with the summation order
  const value = (): number => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 8 - 4);
  const coef = Float64Array.from({ length: targets * features }, value);
  const intercept = Float64Array.from({ length: targets }, value);
  const x = Float64Array.from({ length: rows * features }, value);
  return { coef, intercept, x };
}

describe('linear score kernels', () => {
  const wasm = wasmKernel();

  it('this runtime runs the WebAssembly SIMD kernel', () => {
    expect(wasm).not.toBeNull();
  });

  // rows around the 4-row unroll and past a block (16,384 values); odd and even target counts
  const shapes = [
    [1, 1, 1], [3, 2, 5], [5, 3, 20], [7, 4, 3], [1001, 5, 33], [4099, 3, 20], [2, 7, 0], [9000, 1, 2], [130, 6, 200],
  ];
  for (const [rows, targets, features] of shapes) {
    it(`both kernels give the same bits as the reference sum (${rows} rows, ${targets} targets, ${features} features)`, () => {
      const { coef, intercept, x } = randomCase(rows * 31 + targets * 7 + features, rows, targets, features);
      const m = linearWeights(coef, targets, features, intercept);
      const want = reference(coef, intercept, x, rows, targets, features);
      expect(firstBitDifference(jsKernel.scores(m, x, rows, true), want)).toBe(-1);
      expect(firstBitDifference(wasm!.scores(m, x, rows, true), want)).toBe(-1);
      const table = Float64Array.from({ length: Math.max(2, targets) }, (_, t) => 10 + t);
      const labels = Float64Array.from(referenceArgmax(want, rows, targets), (t) => table[t]);
      expect(firstBitDifference(argmaxOf(jsKernel, m, x, rows, table, true), labels)).toBe(-1);
      expect(firstBitDifference(argmaxOf(wasm!, m, x, rows, table, true), labels)).toBe(-1);
      // the exported entry points take one of the two; labels go into any array holding them
      expect(firstBitDifference(linearScores(m, x, rows, true), want)).toBe(-1);
      const narrow = new Uint8Array(rows);
      expect(linearArgmax(m, x, rows, table, narrow, true)).toBe(true);
      expect(firstBitDifference(Float64Array.from(narrow), labels)).toBe(-1);
    });
  }

  it('argmax follows numpy on ties and NaN scores (the first maximum; the first NaN)', () => {
    // one feature of value 0: each score is its intercept
    const cases: [number[], number][] = [
      [[1, 1, 0], 0], [[0, 2, 2], 1], [[0, NaN, 5], 1], [[NaN, 9, NaN], 0], [[3, 1, NaN], 2], [[-1, -1, -1], 0],
    ];
    const table = new Float64Array([0, 1, 2]);
    for (const [scores, want] of cases) {
      const m = linearWeights(new Float64Array(3), 3, 1, new Float64Array(scores));
      expect(argmaxOf(jsKernel, m, new Float64Array(1), 1, table, false)![0], String(scores)).toBe(want);
      expect(argmaxOf(wasm!, m, new Float64Array(1), 1, table, false)![0], String(scores)).toBe(want);
    }
  });

  it('refuses NaN and infinity anywhere in the input when asked (null), and scores them when not', () => {
    const rows = 3000;
    const features = 7;
    const { coef, intercept, x } = randomCase(5, rows, 2, features);
    const m = linearWeights(coef, 2, features, intercept);
    const table = new Float64Array([0, 1]);
    // first value, inside the 4-value steps, in a tail, in a later block, the very last value
    for (const at of [0, 13, 4 * 7 * 585 + 2, 20_000, rows * features - 1]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const y = x.slice();
        y[at] = bad;
        for (const k of [jsKernel, wasm!]) {
          expect(k.scores(m, y, rows, true), `${bad} at ${at}`).toBeNull();
          expect(argmaxOf(k, m, y, rows, table, true), `${bad} at ${at}`).toBeNull();
          expect(k.scores(m, y, rows, false)).not.toBeNull();
        }
        expect(firstBitDifference(wasm!.scores(m, y, rows, false), jsKernel.scores(m, y, rows, false)!)).toBe(-1);
      }
    }
    expect(jsKernel.scores(m, x, rows, true)).not.toBeNull();
  });

  it('scores finite input whose sums overflow to infinity or NaN (the kernel then looks at x itself)', () => {
    // 1e300 * 1e300 overflows: finite x, infinite first score; the second target's weights make
    // inf - inf = NaN; the third target's weight is infinite
    const rows = 9;
    const features = 2;
    const coef = Float64Array.of(1e300, 1e300, 1e300, -1e300, Infinity, 0);
    const intercept = new Float64Array(3);
    const x = Float64Array.from({ length: rows * features }, (_, i) => (i % 3 === 0 ? 1e300 : 1));
    const m = linearWeights(coef, 3, features, intercept);
    const want = reference(coef, intercept, x, rows, 3, features);
    expect(want.some((v) => !Number.isFinite(v))).toBe(true);
    const table = Float64Array.of(0, 1, 2);
    const labels = Float64Array.from(referenceArgmax(want, rows, 3), (t) => table[t]);
    for (const k of [jsKernel, wasm!]) {
      expect(firstBitDifference(k.scores(m, x, rows, true), want)).toBe(-1);
      expect(firstBitDifference(argmaxOf(k, m, x, rows, table, true), labels)).toBe(-1);
    }
  });
});

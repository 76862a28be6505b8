/* numpy's float32 (and float64) reductions, in numpy's own order, so that a sum is numpy's bit for bit. */

const f = Math.fround;

/**
 * numpy's float32 sum of `n` values from `a[start]` on, as its add reduction computes one row
 * (pairwise_sum in numpy's loops_utils.h: eight running sums over blocks of up to 128 values,
 * halves above that), rounding every addition to float32, so that a float32 sum is bit for bit
 * numpy's. Starts from the reduction's initial 0.
 */
export function pairwiseSumF32(a: ArrayLike<number>, start: number, n: number): number {
  return Math.fround(0 + pairwise(a, start, n, f));
}

/** The same pairwise order for float64 values (numpy's double add reduction, e.g. np.mean). */
export function pairwiseSumF64(a: ArrayLike<number>, start: number, n: number): number {
  return 0 + pairwise(a, start, n, (v) => v);
}

function pairwise(a: ArrayLike<number>, start: number, n: number, r: (v: number) => number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = r(res + a[start + i]);
    return res;
  }
  if (n <= 128) {
    const s = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]].map(r);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) s[j] = r(s[j] + a[start + i + j]);
    let res = r(r(r(s[0] + s[1]) + r(s[2] + s[3])) + r(r(s[4] + s[5]) + r(s[6] + s[7])));
    for (; i < n; i++) res = r(res + a[start + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return r(pairwise(a, start, n2, r) + pairwise(a, start + n2, n - n2, r));
}

/**
 * numpy's np.einsum('ij,ij->i', X, X) for one float32 row of `n` values from `a[start]` on (what
 * scikit-learn's row_norms computes): einsum's contiguous sum of products runs in numpy's baseline
 * SIMD width, four float32 lanes (SSE; no fused multiply-add), blocks of 16 values folded into
 * the lane sums last vector first, then 4 at a time with zeros past the end, and the lanes added
 * as SSE3's two horizontal adds do: (l0 + l1) + (l2 + l3). Every product and sum is rounded to
 * float32, so the result is numpy's bit for bit.
 */
export function einsumRowSquaresF32(a: ArrayLike<number>, start: number, n: number): number {
  const lanes = [0, 0, 0, 0];
  const sq = (i: number): number => f(a[start + i] * a[start + i]);
  let i = 0;
  for (; n - i >= 16; i += 16) {
    for (let l = 0; l < 4; l++) {
      let acc = lanes[l];
      for (let v = 3; v >= 0; v--) acc = f(sq(i + 4 * v + l) + acc);
      lanes[l] = acc;
    }
  }
  for (; i < n; i += 4) {
    for (let l = 0; l < 4 && i + l < n; l++) lanes[l] = f(sq(i + l) + lanes[l]);
  }
  return f(0 + f(f(lanes[0] + lanes[1]) + f(lanes[2] + lanes[3])));
}

/**
 * One element of a float32 matrix product as OpenBLAS's sgemm kernels compute it: a fused
 * multiply-add per term in order (a float32 product is exact in float64; the sum rounded to
 * float32), over `n` values of `a` from `ao` and of `b` from `bo` (every `bStride`-th: a column of a row-major matrix). Not a documented order: a
 * kernel may split the sum, so the result is sgemm's often, within a few float32 ulps always.
 */
export function sgemmDotF32(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number, bStride = 1): number {
  let acc = 0;
  for (let j = 0; j < n; j++) acc = f(a[ao + j] * b[bo + j * bStride] + acc);
  return acc;
}

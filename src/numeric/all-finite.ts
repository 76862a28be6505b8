/**
 * Whether values[from..to) are all finite: v - v is 0 for a finite v and NaN for NaN and
 * +-Infinity, and NaN sticks through the sums. Two independent sums of two values each keep the
 * loop from waiting on one adder. The WebAssembly `finite` of linear-scores.wat sums the same way.
 */
export function allFinite(values: Float64Array, from = 0, to = values.length): boolean {
  let a = 0;
  let b = 0;
  const end = from + ((to - from) & ~3);
  let i = from;
  for (; i < end; i += 4) {
    a += (values[i] - values[i]) + (values[i + 1] - values[i + 1]);
    b += (values[i + 2] - values[i + 2]) + (values[i + 3] - values[i + 3]);
  }
  let s = a + b;
  for (; i < to; i++) s += values[i] - values[i];
  return s === 0;
}

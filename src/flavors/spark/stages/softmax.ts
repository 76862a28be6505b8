/** Spark's ml.impl.Utils.softmax, into `x`: exp(x - max) / sum, scaled by 1/sum; +∞ takes all. */
export function softmaxInto(raw: Float64Array, x: Float64Array): void {
  x.set(raw);
  let max = -Number.MAX_VALUE;
  for (let i = 0; i < x.length; i++) {
    if (x[i] === Infinity) {
      x.fill(0);
      x[i] = 1;
      return;
    }
    if (x[i] > max) max = x[i];
  }
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    x[i] = Math.exp(x[i] - max);
    sum += x[i];
  }
  const r = 1 / sum;
  for (let i = 0; i < x.length; i++) x[i] *= r;
}

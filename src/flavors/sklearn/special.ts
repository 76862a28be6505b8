/**
 * scipy.special functions the estimators need. digamma: the recurrence psi(x) = psi(x + 1) - 1/x
 * up to x >= 10, then the asymptotic series ln x - 1/(2x) - sum B_2n / (2n x^2n), accurate to a
 * few ulps there; reflection for x < 0 (poles at 0, -1, ... give NaN, as scipy's -inf/nan do).
 */
export function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x <= 0 && Number.isInteger(x)) return NaN;
  if (x < 0) return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  let acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  const x2 = 1 / (x * x);
  const series = x2 * (1 / 12 - x2 * (1 / 120 - x2 * (1 / 252 - x2 * (1 / 240 - x2 * (1 / 132 - x2 * (691 / 32760 - x2 / 12))))));
  return acc + Math.log(x) - 0.5 / x - series;
}

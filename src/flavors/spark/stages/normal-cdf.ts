/**
 * The standard normal CDF as Spark's GLM probit link computes it (breeze's Gaussian.cdf over
 * Apache Commons Math's Erf.erf, itself the regularized gamma function P(1/2, x²)): the same
 * series and continued fraction, so tail values round as Spark's do.
 */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

const LOG_GAMMA_HALF = 0.5723649429247001; // ln Γ(1/2) = ln √π
const EPS = 1e-15;
const MAX_ITER = 10000;

function erf(x: number): number {
  if (Math.abs(x) > 40) return x > 0 ? 1 : -1;
  const r = gammaP(x * x);
  return x < 0 ? -r : r;
}

/** P(1/2, x) */
function gammaP(x: number): number {
  const a = 0.5;
  if (x === 0) return 0;
  if (x >= a + 1) return 1 - gammaQ(x);
  let n = 0;
  let an = 1 / a;
  let sum = an;
  while (Math.abs(an / sum) > EPS && n < MAX_ITER && sum < Infinity) {
    n += 1;
    an *= x / (a + n);
    sum += an;
  }
  return sum === Infinity ? 1 : Math.exp(-x + a * Math.log(x) - LOG_GAMMA_HALF) * sum;
}

/** Q(1/2, x) by the continued fraction (modified Lentz), for x >= 1.5 */
function gammaQ(x: number): number {
  const a = 0.5;
  const small = 1e-50;
  const getA = (n: number): number => 2 * n + 1 - a + x;
  const getB = (n: number): number => n * (a - n);
  let hPrev = getA(0);
  if (Math.abs(hPrev) < small) hPrev = small;
  let dPrev = 0;
  let cPrev = hPrev;
  let hN = hPrev;
  for (let n = 1; n < MAX_ITER; n++) {
    const an = getA(n);
    const bn = getB(n);
    let dN = an + bn * dPrev;
    if (Math.abs(dN) < small) dN = small;
    let cN = an + bn / cPrev;
    if (Math.abs(cN) < small) cN = small;
    dN = 1 / dN;
    const delta = cN * dN;
    hN = hPrev * delta;
    if (Math.abs(delta - 1) < EPS) break;
    dPrev = dN;
    cPrev = cN;
    hPrev = hN;
  }
  return Math.exp(-x + a * Math.log(x) - LOG_GAMMA_HALF) * (1 / hN);
}

/**
 * The standard normal distribution as scipy.stats.norm computes it (cdf = ndtr, ppf = ndtri), to
 * double precision: the cdf from erf's power series near 0 and erfc's continued fraction in the
 * tails (so small tail probabilities keep their relative precision), the ppf by safeguarded
 * Newton steps on that cdf.
 */
const SQRT_PI = Math.sqrt(Math.PI);

/** erf(z) for |z| < 2 by the series 2/√π e^{-z²} Σ (2z²)^n z / (1·3·…·(2n+1)) (all terms positive). */
function erfSeries(z: number): number {
  const z2 = z * z;
  let term = z;
  let sum = z;
  for (let n = 1; n < 200; n++) {
    term *= (2 * z2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * Math.exp(-z2) * sum;
}

/** erfc(z) for z >= 1 by its continued fraction e^{-z²}/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))) (modified Lentz). */
function erfcFraction(z: number): number {
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let n = 1; n < 5000; n++) {
    const a = n / 2;
    d = z + a * d;
    if (d === 0) d = tiny;
    c = z + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-z * z) / SQRT_PI / f;
}

/** Φ(x), the standard normal cumulative distribution function. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const z = x / Math.SQRT2;
  if (Math.abs(z) < 2) return 0.5 + 0.5 * erfSeries(z);
  const tail = 0.5 * erfcFraction(Math.abs(z));
  return x < 0 ? tail : 1 - tail;
}

function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Φ⁻¹(p): -Infinity at 0, Infinity at 1, NaN outside [0, 1]. */
export function normalPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p > 0.5) return -lowerPpf(1 - p); // 1 - p is exact for p >= 0.5
  return lowerPpf(p);
}

/** Φ⁻¹(p) for 0 < p <= 0.5, by Newton steps kept inside a bracket that always holds the root. */
function lowerPpf(p: number): number {
  if (p === 0.5) return 0;
  let lo = -40;
  let hi = 0;
  // start from Abramowitz & Stegun 26.2.23 (error < 4.5e-4), which the Newton steps then refine
  const t = Math.sqrt(-2 * Math.log(p));
  let x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (let i = 0; i < 100; i++) {
    const f = normalCdf(x) - p;
    if (f === 0) return x;
    if (f > 0) hi = x;
    else lo = x;
    let next = x - f / normalPdf(x);
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-16 * Math.abs(x)) return next;
    x = next;
  }
  return x;
}

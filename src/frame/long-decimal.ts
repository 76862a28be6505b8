/**
 * The double nearest a decimal number of 16 to 19 significant digits ([+-]digits[.digits][e[+-]digits]),
 * read from bytes as Number() reads its text, without making the text: a float column written by
 * numpy or pandas holds such numbers (17 digits round-trip a double), and Number() on a string per
 * cell was a third of reading them. Beyond 2^53 the digits are not one exact double, so they are
 * kept as two (w = s + t exactly), scaled by one exact power of ten (10^0..10^22) in double-double
 * arithmetic (Dekker's exact products, no fused multiply-add needed) to within 2^-50 of a unit in
 * the last place, and rounded once. When that is too close to halfway between two doubles to tell
 * (or the number is outside what this covers: more than 19 digits, a power of ten beyond 10^22),
 * the answer is undefined and the caller asks Number().
 */

// the bytes of a decimal number's grammar (csvNumberRows reads the same)
export const ZERO = 0x30;
export const NINE = 0x39;
export const DOT = 0x2e;
export const PLUS = 0x2b;
export const MINUS = 0x2d;

/** 10^0 .. 10^22: every one an exact double, so one multiply or divide by it is correctly rounded. */
export const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Significant digits held exactly by one double (10^15 < 2^53). */
const HIGH_DIGITS = 15;
const MAX_DIGITS = 19;
/** 2^27 + 1: splits a double into two halves whose products are exact (Dekker). */
const SPLITTER = 134217729;

/** 2^-100: an absolute margin of |x| * 2^-100 is at least 2^-48 of x's unit in the last place. */
const MARGIN = 2 ** -100;

/** The exact product's low part: a * b = p + e exactly, with p = fl(a * b). */
function productError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * The double nearest a value known to lie within 2^-50 units in the last place of hi + lo
 * (|lo| at most a few units of hi's last place), or NaN when that cannot tell: hi + lo moved by
 * a margin above that error either way rounds the same (rounding is monotonic, so the value
 * between them does too), unless it is too close to halfway between two doubles.
 */
function roundedOrNaN(hi: number, lo: number): number {
  const margin = Math.abs(hi) * MARGIN;
  const below = hi + (lo - margin);
  return below === hi + (lo + margin) ? below : NaN;
}

/**
 * The cell bytes[start, end) as a double, exactly as Number() reads its text; undefined when this
 * cannot tell (Number() then decides). The cell must be of the grammar above (csvNumberRows has
 * checked it).
 */
export function longDecimal(bytes: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  let c = bytes[i];
  const negative = c === MINUS;
  if (c === MINUS || c === PLUS) c = bytes[++i];
  let high = 0;
  let low = 0;
  let digits = 0;
  let scale = 0;
  // leading zeros are not significant
  while (c === ZERO) c = bytes[++i];
  for (; c >= ZERO && c <= NINE; c = bytes[++i], digits++) {
    if (digits < HIGH_DIGITS) high = high * 10 + (c - ZERO);
    else if (digits < MAX_DIGITS) low = low * 10 + (c - ZERO);
  }
  if (c === DOT) {
    c = bytes[++i];
    if (digits === 0) {
      for (; c === ZERO; c = bytes[++i]) scale--;
    }
    for (; c >= ZERO && c <= NINE; c = bytes[++i], digits++, scale--) {
      if (digits < HIGH_DIGITS) high = high * 10 + (c - ZERO);
      else if (digits < MAX_DIGITS) low = low * 10 + (c - ZERO);
    }
  }
  if (digits > MAX_DIGITS) return undefined;
  if (i < end) {
    // (e|E)[+-]digits
    c = bytes[++i];
    const expNegative = c === MINUS;
    if (c === MINUS || c === PLUS) c = bytes[++i];
    let exp = 0;
    for (; i < end; c = bytes[++i]) {
      if (exp > 1e6) return undefined;
      exp = exp * 10 + (c - ZERO);
    }
    scale += expNegative ? -exp : exp;
  }
  if (digits <= HIGH_DIGITS || scale < -22 || scale > 22) return undefined;
  // w = high * 10^(digits - 15) + low = s + t exactly
  const scaleLow = POW10[digits - HIGH_DIGITS];
  const p = high * scaleLow;
  const m = productError(high, scaleLow, p) + low;
  const s = p + m;
  const t = p - s + m;
  let value: number;
  if (scale === 0) {
    // s + t is the number itself: one correctly rounded addition
    value = s + t;
  } else if (scale > 0) {
    const pow = POW10[scale];
    const h = s * pow;
    value = roundedOrNaN(h, productError(s, pow, h) + t * pow);
  } else {
    const pow = POW10[-scale];
    const q1 = s / pow;
    const h = q1 * pow;
    // what q1 leaves of s + t, divided in turn
    const rest = s - h - productError(q1, pow, h) + t;
    value = roundedOrNaN(q1, rest / pow);
  }
  if (Number.isNaN(value)) return undefined;
  return negative ? -value : value;
}

/**
 * A double as Java's Double.toString (what Spark's cast to string gives): "8.0" for integral
 * values, plain decimals in [1e-3, 1e7), else "d.dddE±n".
 */
export function javaDoubleToString(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mant, exp] = x.toExponential().split('e');
  return `${mant.includes('.') ? mant : `${mant}.0`}E${exp.startsWith('+') ? exp.slice(1) : exp}`;
}

/** A value cast to string as Spark casts numbers and booleans (StringIndexer's input). */
export function sparkNumberToString(x: number, integral: boolean): string {
  return integral ? String(x) : javaDoubleToString(x);
}

import { pyFloatRepr } from '../formats/python-json.js';

/**
 * Python's text forms of values, for messages that must read as MLflow's (which Python writes
 * with repr and str) and for numpy's str() of numbers.
 */

/** Python's repr() of a str (quotes chosen as Python chooses them). */
export function pythonStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\x7f') out += '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

/** Python's repr() of a list of str: ['a', 'b']. */
export function pythonStrListRepr(items: readonly string[]): string {
  return `[${items.map(pythonStrRepr).join(', ')}]`;
}

/** Python's repr() of a shape tuple: (2,) or (2, 3). */
export function pythonTupleRepr(items: readonly number[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** The Python type a JSON value decodes to, as `<class 'int'>` is printed. */
export function pythonTypeName(value: unknown, isFloat: boolean): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return isFloat || !Number.isInteger(value) ? 'float' : 'int';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/**
 * repr(float) as Python writes it (also what json.dumps writes for finite floats). The common
 * range is written by JavaScript itself, whose shortest round-trip digits equal Python's.
 */
export function floatRepr(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e-4 && a < 1e16) {
    return Number.isInteger(x) ? `${x}.0` : String(x);
  }
  return pyFloatRepr(x);
}

/** str() of a Python float: like repr, but nan and inf are lower case. */
export function floatStr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return floatRepr(x);
}

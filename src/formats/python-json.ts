import { MlflowError } from '../errors.js';

/**
 * JSON text exactly as Python's `json.dumps` writes it, because MLflow embeds such text in the
 * MLmodel file (signature schemas) and in input_example.json: `', '` and `': '` separators,
 * ASCII-only output (`\uXXXX` escapes), floats written as Python's `repr` (`3.0`, `1e-05`,
 * `1e+16`, `NaN`, `Infinity`).
 *
 * JavaScript has one number type, so a value that Python held as a float but that is integral
 * (3.0) must be marked with `PyFloat` to be written as `3.0`; a plain integral number is written
 * as an int.
 */
export class PyFloat {
  constructor(readonly value: number) {}
}

export interface PyJsonOptions {
  /** Python's `indent=`: pretty-print with this many spaces, separators `,` and `: `. */
  indent?: number;
}

export function pyJsonDumps(value: unknown, options: PyJsonOptions = {}): string {
  return write(value, options.indent, 0);
}

/** A float as Python's `repr(float)` writes it. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without digits gives the shortest round-trip digits, as Python's repr does.
  const [mant, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    const neg = mant.startsWith('-');
    const digits = mant.replace('-', '').replace('.', '');
    let text: string;
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1);
      text = `${intPart}.${frac === '' ? '0' : frac}`;
    } else {
      text = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
    return neg ? `-${text}` : text;
  }
  const sign = exp < 0 ? '-' : '+';
  const absExp = String(Math.abs(exp)).padStart(2, '0');
  return `${mant}e${sign}${absExp}`;
}

function writeNumber(x: number): string {
  if (Number.isInteger(x) && !Object.is(x, -0)) return String(BigInt(x));
  return pyFloatRepr(x);
}

function writeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function write(value: unknown, indent: number | undefined, level: number): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  if (typeof value === 'number') return writeNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return writeString(value);
  if (value instanceof Date) return writeString(value.toISOString());
  const nl = indent === undefined ? '' : `\n${' '.repeat(indent * (level + 1))}`;
  const close = indent === undefined ? '' : `\n${' '.repeat(indent * level)}`;
  const sep = indent === undefined ? ', ' : ',';
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>);
    if (items.length === 0) return '[]';
    return `[${nl}${items.map((v) => write(v, indent, level + 1)).join(sep + nl)}${close}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const parts = entries.map(([k, v]) => `${writeString(k)}: ${write(v, indent, level + 1)}`);
    return `{${nl}${parts.join(sep + nl)}${close}}`;
  }
  return writeString(String(value));
}

const PY_SPECIALS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/**
 * Parses JSON as Python's json.loads does, which also accepts the NaN, Infinity and -Infinity
 * that json.dumps writes. `source` names the file in errors.
 */
export function parsePyJson(text: string, source: string): unknown {
  // Swap the bare specials (outside strings) for marker strings, then map the markers back.
  const marker = `\u0000pyjson:`;
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    const word = ['-Infinity', 'Infinity', 'NaN'].find((w) => text.startsWith(w, i));
    if (word) {
      out += JSON.stringify(marker + word);
      i += word.length - 1;
      continue;
    }
    out += ch;
  }
  try {
    return JSON.parse(out, (_k, v: unknown) =>
      typeof v === 'string' && v.startsWith(marker) ? PY_SPECIALS[v.slice(marker.length)] : v,
    );
  } catch (e) {
    throw new MlflowError(`${source}: invalid JSON (${(e as Error).message})`, 'INVALID_PARAMETER_VALUE', { cause: e });
  }
}

import { pythonStrRepr } from './python-text.js';

/**
 * Which number literals of a JSON text were written as floats (`1.0`, `2e3`) although their value
 * is integral. JavaScript's numbers cannot tell `1` from `1.0`, Python's json can, and numpy and
 * pandas infer int64 or float64 from that difference.
 */
export interface FloatLiterals {
  has(container: object, key: string | number): boolean;
}

/** For values that did not come from a JSON text: an integral number is an int. */
export const NO_FLOAT_LITERALS: FloatLiterals = { has: () => false };

export interface ParsedJsonText {
  readonly value: unknown;
  readonly floats: FloatLiterals;
  /** Integer literals a JS number cannot hold exactly (beyond 2^53), by their rounded value. */
  readonly inexactIntegers?: ReadonlyMap<number, string>;
}

/** Deeper nesting is refused: Python's json would hit its recursion limit near here. */
const MAX_DEPTH = 1000;

/**
 * A literal whose value may be integral though written as a float: an exponent, `.0…`, or so
 * many digits that rounding can make it integral (1.00000000000000001, 12345678901234567.5);
 * or an integer of 16 digits or more, which may lie beyond 2^53.
 * Text without one is parsed by JSON.parse, whose integral numbers are then exactly the ints.
 */
const FLOAT_LITERAL_HINT = /\d[eE][+-]?\d|\d\.0+(?!\d)|\.\d{15}|\d{16}/;

/** Parses JSON as Python's json.loads does (NaN and Infinity accepted), keeping int vs float. */
export function parseJsonText(text: string): ParsedJsonText {
  if (text.charCodeAt(0) === 0xfeff) {
    // Python's json.loads refuses a str that starts with a byte order mark, with this reason.
    throw new JsonSyntaxError('Unexpected UTF-8 BOM (decode using utf-8-sig)', 0, text);
  }
  if (!FLOAT_LITERAL_HINT.test(text)) {
    try {
      return { value: JSON.parse(text) as unknown, floats: NO_FLOAT_LITERALS };
    } catch {
      // Fall through: the exact parser accepts NaN/Infinity and names the error as Python does.
    }
  }
  return new ExactJsonParser(text).parseDocument();
}

/** A JSON syntax error, shaped like Python's json.JSONDecodeError. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
    text: string,
  ) {
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    super(`${reason}: line ${line} column ${column} (char ${position})`);
    this.name = 'JSONDecodeError';
  }

  /** Python's repr of the exception, as MLflow quotes it: JSONDecodeError("..."). */
  get pythonRepr(): string {
    return `JSONDecodeError(${pythonStrRepr(this.message)})`;
  }
}

/** Float-literal marks set while parsing, or copied when values move to a new array. */
export class FloatMarks implements FloatLiterals {
  private readonly marks = new WeakMap<object, Set<string | number>>();

  add(container: object, key: string | number): void {
    let set = this.marks.get(container);
    if (!set) {
      set = new Set();
      this.marks.set(container, set);
    }
    set.add(key);
  }

  has(container: object, key: string | number): boolean {
    return this.marks.get(container)?.has(key) ?? false;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/** A JSON parser following Python's json module: same grammar, same error names and positions. */
class ExactJsonParser {
  private pos = 0;
  private readonly floats = new FloatMarks();
  private readonly inexact = new Map<number, string>();
  /** Set by parseValue when the value it returned is a number written as a float literal. */
  private lastWasFloatLiteral = false;

  constructor(private readonly text: string) {}

  parseDocument(): ParsedJsonText {
    this.skipWhitespace();
    const value = this.parseValue(0);
    if (this.lastWasFloatLiteral) {
      // A bare top-level number: mark it on a holder so callers can still ask.
      this.floats.add(ROOT, 'value');
    }
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail('Extra data');
    return this.inexact.size > 0 ? { value, floats: this.floats, inexactIntegers: this.inexact } : { value, floats: this.floats };
  }

  private fail(reason: string, at = this.pos): never {
    throw new JsonSyntaxError(reason, at, this.text);
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.test(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  private parseValue(depth: number): unknown {
    this.lastWasFloatLiteral = false;
    if (depth > MAX_DEPTH) this.fail(`Nesting deeper than ${MAX_DEPTH} levels`);
    const t = this.text;
    const c = t[this.pos];
    if (c === '"') return this.parseString();
    if (c === '{') return this.parseObject(depth + 1);
    if (c === '[') return this.parseArray(depth + 1);
    if (t.startsWith('null', this.pos)) return this.advance(4, null);
    if (t.startsWith('true', this.pos)) return this.advance(4, true);
    if (t.startsWith('false', this.pos)) return this.advance(5, false);
    if (t.startsWith('NaN', this.pos)) return this.advanceFloat(3, NaN);
    if (t.startsWith('Infinity', this.pos)) return this.advanceFloat(8, Infinity);
    if (t.startsWith('-Infinity', this.pos)) return this.advanceFloat(9, -Infinity);
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(t);
    if (m) {
      this.pos = NUMBER.lastIndex;
      const x = Number(m[0]);
      const isInt = m[1] === undefined && m[2] === undefined;
      if (isInt && !Number.isSafeInteger(x) && !this.inexact.has(x)) this.inexact.set(x, m[0]);
      // Only an integral value needs the mark: any other number is a float anyway.
      this.lastWasFloatLiteral = !isInt && Number.isInteger(x);
      return x;
    }
    return this.fail('Expecting value');
  }

  private advance<T>(n: number, v: T): T {
    this.pos += n;
    return v;
  }

  private advanceFloat(n: number, v: number): number {
    this.pos += n;
    this.lastWasFloatLiteral = true;
    return v;
  }

  private parseString(): string {
    const t = this.text;
    const start = this.pos;
    let i = start + 1;
    let out = '';
    let chunkStart = i;
    for (;;) {
      if (i >= t.length) this.fail('Unterminated string starting at', start);
      const code = t.charCodeAt(i);
      if (code === 0x22) break;
      if (code < 0x20) this.fail('Invalid control character at', i);
      if (code !== 0x5c) {
        i++;
        continue;
      }
      out += t.slice(chunkStart, i);
      const esc = t[i + 1];
      if (esc === undefined) this.fail('Unterminated string starting at', start);
      if (esc === 'u') {
        const hex = t.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('Invalid \\uXXXX escape', i + 1);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        const decoded = ESCAPES[esc];
        if (decoded === undefined) this.fail(`Invalid \\escape: ${pythonStrRepr(esc)}`, i);
        out += decoded;
        i += 2;
      }
      chunkStart = i;
    }
    out += t.slice(chunkStart, i);
    this.pos = i + 1;
    return out;
  }

  private parseObject(depth: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return obj;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail('Expecting property name enclosed in double quotes');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("Expecting ':' delimiter");
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(depth);
      // defineProperty: a "__proto__" key is data here, as in JSON.parse.
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      if (this.lastWasFloatLiteral) this.floats.add(obj, key);
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === '}') {
        this.lastWasFloatLiteral = false;
        return obj;
      }
      if (c !== ',') this.fail("Expecting ',' delimiter", this.pos - 1);
      this.skipWhitespace();
    }
  }

  private parseArray(depth: number): unknown[] {
    const arr: unknown[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return arr;
    }
    for (;;) {
      const value = this.parseValue(depth);
      if (this.lastWasFloatLiteral) this.floats.add(arr, arr.length);
      arr.push(value);
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') {
        this.lastWasFloatLiteral = false;
        return arr;
      }
      if (c !== ',') this.fail("Expecting ',' delimiter", this.pos - 1);
      this.skipWhitespace();
    }
  }
}

/** The holder a bare top-level float literal is marked on: `floats.has(JSON_ROOT, 'value')`. */
const ROOT: object = Object.freeze({});
export const JSON_ROOT = ROOT;

const ESCAPES: Record<string, string> = {
  '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t',
};

import { pyFloatRepr, PyFloat } from '../formats/python-json.js';

/**
 * YAML text byte for byte as PyYAML's `yaml.safe_dump(data, default_flow_style=False)` writes it
 * (what MLflow uses for MLmodel and conda.yaml): block style, sequences not indented under their
 * key, 2-space indent, lines folded at the first space past column 80, scalar styles chosen as
 * PyYAML's Emitter chooses them (plain when it reads back as the same string under YAML 1.1's
 * resolvers, else single quotes, else double quotes with escapes), ASCII-only output.
 *
 * Values: plain objects (keys sorted unless `sortKeys` is false), arrays, strings, numbers (an
 * integral number is written as an int; PyFloat forces a float), booleans, null, bigint, Date.
 */
export function emitPyYaml(value: unknown, options: { sortKeys?: boolean } = {}): string {
  const e = new Emitter(options.sortKeys ?? true);
  e.node(value, null, 'root');
  e.lineBreak();
  return e.out;
}

const WIDTH = 80;
const BREAKS = '\n\x85\u2028\u2029';
const SPACE_OR_BREAK = '\0 \t\r\n\x85\u2028\u2029';

/** The YAML 1.1 implicit resolvers PyYAML's SafeResolver applies to plain scalars. */
const IMPLICIT: RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

const ESCAPES: Record<string, string> = {
  '\0': '0', '\x07': 'a', '\x08': 'b', '\x09': 't', '\x0A': 'n', '\x0B': 'v', '\x0C': 'f', '\x0D': 'r',
  '\x1B': 'e', '"': '"', '\\': '\\', '\x85': 'N', '\xA0': '_', '\u2028': 'L', '\u2029': 'P',
};

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

/** PyYAML's Emitter.analyze_scalar, for block context and allow_unicode=False. */
function analyze(chars: string[]): Analysis {
  if (chars.length === 0) return { empty: true, multiline: false, allowBlockPlain: true, allowSingleQuoted: true };
  const text = chars.join('');
  let blockIndicators = text.startsWith('---') || text.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false;
  let precededByWs = true;
  let followedByWs = chars.length === 1 || SPACE_OR_BREAK.includes(chars[1]);
  let previousSpace = false, previousBreak = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ('?:'.includes(ch) && followedByWs) blockIndicators = true;
      if (ch === '-' && followedByWs) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWs) blockIndicators = true;
      if (ch === '#' && precededByWs) blockIndicators = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const code = ch.codePointAt(0)!;
    if (!(ch === '\n' || (code >= 0x20 && code <= 0x7e))) special = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWs = SPACE_OR_BREAK.includes(ch);
    followedByWs = i + 2 >= chars.length || SPACE_OR_BREAK.includes(chars[i + 2]);
  }
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false;
  if (breakSpace) allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || special) allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks) allowBlockPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowBlockPlain, allowSingleQuoted };
}

type Context = 'root' | 'mapping' | 'sequence' | 'key';

class Emitter {
  out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = 0;

  constructor(private readonly sortKeys: boolean) {}

  private write(s: string): void {
    this.out += s;
    this.column += [...s].length;
  }

  lineBreak(): void {
    this.out += '\n';
    this.column = 0;
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndent(): void {
    if (!this.indention || this.column > this.indent || (this.column === this.indent && !this.whitespace)) this.lineBreak();
    if (this.column < this.indent) {
      this.whitespace = true;
      this.write(' '.repeat(this.indent - this.column));
    }
  }

  private indicator(ind: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? ind : ` ${ind}`;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.write(data);
  }

  /** parentIndent null = document root. */
  node(value: unknown, parentIndent: number | null, ctx: Context): void {
    if (Array.isArray(value)) this.sequence(value, parentIndent, ctx);
    else if (value !== null && typeof value === 'object' && !(value instanceof Date) && !(value instanceof PyFloat)) {
      this.mapping(value as Record<string, unknown>, parentIndent);
    } else this.scalar(value, parentIndent, ctx);
  }

  private mapping(map: Record<string, unknown>, parentIndent: number | null): void {
    const keys = Object.keys(map).filter((k) => map[k] !== undefined);
    if (this.sortKeys) keys.sort(comparePy);
    if (keys.length === 0) {
      this.flowEmpty('{', '}');
      return;
    }
    const saved = this.indent;
    this.indent = parentIndent === null ? 0 : parentIndent + 2;
    const myIndent = this.indent;
    for (const k of keys) {
      this.writeIndent();
      this.scalar(k, myIndent, 'key');
      this.indent = myIndent;
      this.indicator(':', false);
      this.node(map[k], myIndent, 'mapping');
      this.indent = myIndent;
    }
    this.indent = saved;
  }

  private sequence(list: unknown[], parentIndent: number | null, ctx: Context): void {
    if (list.length === 0) {
      this.flowEmpty('[', ']');
      return;
    }
    const saved = this.indent;
    const indentless = ctx === 'mapping' && !this.indention;
    this.indent = parentIndent === null ? 0 : indentless ? parentIndent : parentIndent + 2;
    const myIndent = this.indent;
    for (const item of list) {
      this.writeIndent();
      this.indicator('-', true, false, true);
      this.node(item, myIndent, 'sequence');
      this.indent = myIndent;
    }
    this.indent = saved;
  }

  private flowEmpty(open: string, close: string): void {
    this.indicator(open, true, true);
    this.indicator(close, false);
  }

  private scalar(value: unknown, parentIndent: number | null, ctx: Context): void {
    this.indent = parentIndent === null ? 2 : parentIndent + 2;
    const simpleKey = ctx === 'key';
    if (typeof value === 'string') {
      this.string(value, simpleKey);
      return;
    }
    this.plain(representScalar(value), false);
  }

  private string(text: string, simpleKey: boolean): void {
    const chars = [...text];
    const a = analyze(chars);
    const implicitStr = !IMPLICIT.some((r) => r.test(text));
    if (implicitStr && !(simpleKey && (a.empty || a.multiline)) && a.allowBlockPlain) {
      this.plain(text, !simpleKey);
    } else if (a.allowSingleQuoted && !(simpleKey && a.multiline)) {
      this.singleQuoted(chars, !simpleKey);
    } else {
      this.doubleQuoted(chars, !simpleKey);
    }
  }

  private plain(text: string, split: boolean): void {
    if (text === '') return;
    if (!this.whitespace) this.write(' ');
    this.whitespace = false;
    this.indention = false;
    const chars = [...text];
    let spaces = false;
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = end < chars.length ? chars[end] : undefined;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else this.write(chars.slice(start, end).join(''));
          start = end;
        }
      } else if (ch === undefined || ch === ' ') {
        this.write(chars.slice(start, end).join(''));
        start = end;
      }
      if (ch !== undefined) spaces = ch === ' ';
    }
  }

  private singleQuoted(chars: string[], split: boolean): void {
    this.indicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = end < chars.length ? chars[end] : undefined;
      if (spaces) {
        if (ch === undefined || ch !== ' ') {
          if (start + 1 === end && this.column > WIDTH && split && start !== 0 && end !== chars.length) {
            this.writeIndent();
          } else this.write(chars.slice(start, end).join(''));
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !BREAKS.includes(ch)) {
          if (chars[start] === '\n') this.lineBreak();
          for (const br of chars.slice(start, end)) {
            if (br === '\n') this.lineBreak();
            else {
              this.out += br;
              this.column = 0;
              this.whitespace = true;
              this.indention = true;
            }
          }
          this.writeIndent();
          start = end;
        }
      } else if (ch === undefined || ' \n\x85\u2028\u2029'.includes(ch) || ch === "'") {
        if (start < end) {
          this.write(chars.slice(start, end).join(''));
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''");
        start = end + 1;
      }
      if (ch !== undefined) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
    }
    this.indicator("'", false);
  }

  private doubleQuoted(chars: string[], split: boolean): void {
    this.indicator('"', true);
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = end < chars.length ? chars[end] : undefined;
      const code = ch === undefined ? -1 : ch.codePointAt(0)!;
      if (ch === undefined || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !(code >= 0x20 && code <= 0x7e)) {
        if (start < end) {
          this.write(chars.slice(start, end).join(''));
          start = end;
        }
        if (ch !== undefined) {
          const esc = ESCAPES[ch];
          const hex = code.toString(16).toUpperCase();
          this.write(
            esc !== undefined ? `\\${esc}`
            : code <= 0xff ? `\\x${hex.padStart(2, '0')}`
            : code <= 0xffff ? `\\u${hex.padStart(4, '0')}`
            : `\\U${hex.padStart(8, '0')}`,
          );
          start = end + 1;
        }
      }
      if (end > 0 && end < chars.length - 1 && (ch === ' ' || start >= end) && this.column + (end - start) > WIDTH && split) {
        this.write(`${chars.slice(start, end).join('')}\\`);
        if (start < end) start = end;
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (chars[start] === ' ') this.write('\\');
      }
    }
    this.indicator('"', false);
  }
}

/** How PyYAML's SafeRepresenter writes a non-string scalar. */
function representScalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '');
  if (v instanceof PyFloat || typeof v === 'number') {
    const x = v instanceof PyFloat ? v.value : v;
    if (typeof v === 'number' && Number.isInteger(x) && !Object.is(x, -0)) return BigInt(x).toString();
    if (Number.isNaN(x)) return '.nan';
    if (x === Infinity) return '.inf';
    if (x === -Infinity) return '-.inf';
    const r = pyFloatRepr(x).toLowerCase();
    return !r.includes('.') && r.includes('e') ? r.replace('e', '.0e') : r;
  }
  return String(v);
}

/** Python's default str ordering: by code point (JS's default sort is by UTF-16 unit). */
function comparePy(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = ca[i].codePointAt(0)! - cb[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}

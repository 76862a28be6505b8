/**
 * A reader for the YAML that PyYAML's `safe_dump(default_flow_style=False)` writes, and nothing
 * more: MLmodel, conda.yaml and python_env.yaml files as MLflow saves them. It exists for start-up
 * time: the yaml package costs more to load (~50-150 ms) than reading a model takes, and every
 * `models predict` / `models serve` reads an MLmodel. Anything outside the subset below gives
 * `undefined`, and the caller (yaml.ts) hands the text to the yaml package, so a value read here
 * is always the value the yaml package gives under yaml.ts's settings (test/model/pyyaml-reader
 * compares both on every such file among the fixtures).
 *
 * The subset: block mappings and block sequences (a sequence may sit at its key's indent, as
 * PyYAML writes it; a mapping may start on a `- ` line); keys that are plain words; values that
 * are `[]`, `{}`, single- or double-quoted scalars (folded over lines as PyYAML folds them), or
 * plain one-line scalars that YAML 1.1 resolves without doubt: null, true/false, decimal ints,
 * PyYAML floats with digits on both sides of the dot, words starting with a letter, version
 * numbers (`3.11.2`) and hex ids. No comments, anchors, tags, block scalars, flow collections
 * with content, tabs, CR, blank lines between nodes, or duplicate keys.
 */
export function readPyYamlSubset(text: string): { value: unknown } | undefined {
  if (/[\t\r\uFEFF]/.test(text)) return undefined;
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  if (lines.length === 0 || lines[0] === '') return undefined;
  try {
    const reader = new Reader(lines);
    const value = reader.node(0, 0);
    return reader.done() ? { value } : undefined;
  } catch (e) {
    if (e === OUTSIDE) return undefined;
    throw e;
  }
}

/** Thrown (and caught above) when the text leaves the subset. */
const OUTSIDE = Symbol('outside the PyYAML subset');

function outside(): never {
  throw OUTSIDE;
}

/** Deeper than any MLmodel: left to the yaml package (and its own limits). */
const MAX_DEPTH = 64;

const KEY = /^([A-Za-z_][A-Za-z0-9_.-]*):(?: |$)/;
/** YAML 1.1 booleans and nulls other than the ones read below: left to the yaml package. */
const AMBIGUOUS_WORD = /^(?:y|n|yes|no|on|off|true|false|null)$/i;
const INT = /^(?:0|-?[1-9][0-9]{0,14})$/;
const FLOAT = /^-?(?:0|[1-9][0-9]{0,15})\.[0-9]{1,17}(?:e[-+][0-9]{1,3})?$/;
/** Text a plain scalar may hold anywhere (YAML's indicators matter only first, and `: `, ` #`). */
const PLAIN_TEXT = /^[A-Za-z0-9_./+=<>!~,;@()[\]'"?%$^&*|`#: -]*$/;
/** A string's first character (a letter, `_` or `/`: never a number, indicator or `.inf`). */
const WORD_START = /^[A-Za-z_/]/;
/** A folded plain line's first character (PyYAML folds at a space before any character). */
const CONTINUATION_START = /^[A-Za-z0-9_/(]/;
const VERSION = /^[0-9]+(?:\.[0-9]+){2,}$/;
const HEX_ID = /^[0-9a-f]{32}$/;

const DOUBLE_QUOTE_ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1B', ' ': ' ', '"': '"', '\\': '\\',
  N: '\x85', _: '\xA0', L: '\u2028', P: '\u2029',
};
const HEX_ESCAPE_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };

class Reader {
  private at = 0;

  constructor(private readonly lines: string[]) {}

  done(): boolean {
    return this.at === this.lines.length;
  }

  private indentOf(i: number): number {
    const line = this.lines[i];
    let n = 0;
    while (line.charCodeAt(n) === 0x20) n++;
    if (n === line.length) outside(); // a blank line
    return n;
  }

  /** The block node whose first line is the current one, at `indent`. */
  node(indent: number, depth: number): unknown {
    if (depth > MAX_DEPTH || this.indentOf(this.at) !== indent) outside();
    const content = this.lines[this.at].slice(indent);
    if (content.startsWith('- ')) return this.sequence(indent, depth);
    return this.mapping(indent, depth);
  }

  private mapping(indent: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.at < this.lines.length && this.indentOf(this.at) === indent) {
      const content = this.lines[this.at].slice(indent);
      const m = KEY.exec(content);
      if (!m || AMBIGUOUS_WORD.test(m[1]) || m[1] === '__proto__' || Object.hasOwn(out, m[1])) outside();
      const rest = content.slice(m[0].length);
      this.at++;
      out[m[1]] = rest === '' ? this.blockValue(indent, depth) : this.inline(rest, indent);
      if (this.at < this.lines.length && this.indentOf(this.at) > indent) outside();
    }
    return out;
  }

  /** The value of `key:` with nothing after the colon: a nested node, a sequence at the key's indent, or null. */
  private blockValue(indent: number, depth: number): unknown {
    if (this.at === this.lines.length) return null;
    const next = this.indentOf(this.at);
    if (next > indent) return this.node(next, depth + 1);
    if (next === indent && this.lines[this.at].startsWith('- ', indent)) return this.sequence(indent, depth + 1);
    return null;
  }

  private sequence(indent: number, depth: number): unknown[] {
    const out: unknown[] = [];
    while (this.at < this.lines.length && this.indentOf(this.at) === indent && this.lines[this.at].startsWith('- ', indent)) {
      const item = this.lines[this.at].slice(indent + 2);
      if (KEY.test(item) || item.startsWith('- ')) {
        // `- key: value` opens a mapping (`- - x` a sequence) whose lines sit at indent + 2.
        this.lines[this.at] = ' '.repeat(indent + 2) + item;
        out.push(this.node(indent + 2, depth + 1));
      } else {
        this.at++;
        out.push(this.inline(item, indent));
      }
      if (this.at < this.lines.length && this.indentOf(this.at) > indent) outside();
    }
    return out;
  }

  /** A value written on its key's (or dash's) line; quoted scalars may continue on lines indented past `indent`. */
  private inline(text: string, indent: number): unknown {
    if (text === '[]') return [];
    if (text === '{}') return {};
    if (text.startsWith("'")) return this.quoted(text, indent, "'");
    if (text.startsWith('"')) return this.quoted(text, indent, '"');
    return this.plain(text, indent);
  }

  /** A plain scalar; a string may go on over lines indented past `indent` (PyYAML folds long ones). */
  private plain(first: string, indent: number): unknown {
    const value = plainScalar(first);
    let out = first;
    for (;;) {
      let next = this.at;
      while (next < this.lines.length && this.lines[next].trim() === '') next++;
      if (next === this.lines.length || this.indentOf(next) <= indent) {
        if (next !== this.at) outside(); // blank lines, then a node: left to the yaml package
        return out === first ? value : out;
      }
      const line = this.lines[next].trimStart();
      if (!WORD_START.test(first) || !CONTINUATION_START.test(line) || !safePlainText(line)) outside();
      out += next - this.at > 0 ? '\n'.repeat(next - this.at) : ' ';
      out += line;
      this.at = next + 1;
    }
  }

  /**
   * A flow scalar, folded as YAML folds it: a line break between two lines of text becomes a
   * space, each empty line between them a newline, and the indentation of a continued line goes.
   * In double quotes a backslash before the break joins the lines with nothing between. PyYAML
   * never leaves spaces before a break, nor breaks right after the opening or before the closing
   * quote; such text is left to the yaml package.
   */
  private quoted(first: string, indent: number, quote: "'" | '"'): string {
    let out = '';
    let line = first.slice(1);
    if (line === '') outside();
    for (;;) {
      let i = 0;
      let joined = false;
      for (; i < line.length; i++) {
        const c = line[i];
        if (c === quote) {
          if (quote === "'" && line[i + 1] === "'") {
            out += "'";
            i++;
            continue;
          }
          if (i + 1 !== line.length) outside(); // text after the closing quote
          return out;
        }
        if (quote === '"' && c === '\\') {
          if (i === line.length - 1) {
            joined = true;
            break;
          }
          out += doubleQuoteEscape(line, i + 1);
          i += 1 + (HEX_ESCAPE_DIGITS[line[i + 1]] ?? 0);
          continue;
        }
        out += c;
      }
      if (joined) {
        line = this.continuation(indent, false);
      } else {
        if (line.endsWith(' ')) outside();
        let breaks = 0;
        line = this.continuation(indent, true);
        while (line === '') {
          breaks++;
          line = this.continuation(indent, true);
        }
        out += breaks > 0 ? '\n'.repeat(breaks) : ' ';
      }
      if (line.startsWith(quote) && !(quote === "'" && line.startsWith("''"))) outside();
    }
  }

  /** The next line of a quoted scalar: indented past its parent (or empty, where `blankOk`). */
  private continuation(indent: number, blankOk: boolean): string {
    if (this.at === this.lines.length) outside();
    const line = this.lines[this.at++];
    let n = 0;
    while (line.charCodeAt(n) === 0x20) n++;
    if (n === line.length) {
      if (!blankOk) outside();
      return '';
    }
    if (n <= indent) outside();
    return line.slice(n);
  }
}

/** The character a double-quoted escape (its letter at `at`) stands for. */
function doubleQuoteEscape(line: string, at: number): string {
  const e = line[at];
  const digits = HEX_ESCAPE_DIGITS[e];
  if (digits === undefined) return Object.hasOwn(DOUBLE_QUOTE_ESCAPES, e) ? DOUBLE_QUOTE_ESCAPES[e] : outside();
  const hex = line.slice(at + 1, at + 1 + digits);
  if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) outside();
  const code = parseInt(hex, 16);
  if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) outside();
  return String.fromCodePoint(code);
}

/** A one-line plain scalar, resolved as YAML 1.1 with PyYAML's floats would, or outside(). */
function plainScalar(text: string): unknown {
  if (text === 'null' || text === 'Null' || text === 'NULL' || text === '~') return null;
  if (text === 'true' || text === 'True' || text === 'TRUE') return true;
  if (text === 'false' || text === 'False' || text === 'FALSE') return false;
  if (INT.test(text) || FLOAT.test(text)) return Number(text);
  if (VERSION.test(text) || (HEX_ID.test(text) && /[a-f]/.test(text) && !text.startsWith('0b'))) return text;
  if (WORD_START.test(text) && safePlainText(text) && !AMBIGUOUS_WORD.test(text)) return text;
  return outside();
}

function safePlainText(text: string): boolean {
  return PLAIN_TEXT.test(text) && !text.includes(': ') && !text.includes(' #') && !text.endsWith(':') && !text.endsWith(' ');
}

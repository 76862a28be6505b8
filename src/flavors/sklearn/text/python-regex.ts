/**
 * A Python `re` pattern (str, Unicode mode) rewritten as a JavaScript RegExp that matches the same
 * text, for the subset token patterns use; anything else is refused (`unsupported` names it), so a
 * pattern is never matched differently from Python. What differs and is rewritten:
 * - \w is Unicode letters, digits and underscore in Python, ASCII only in JS: [\p{L}\p{N}_];
 *   \b and \B are rebuilt from it with lookarounds (JS's \b is ASCII-only);
 * - \d is Unicode decimal digits (\p{Nd}); \s is exactly the characters str.isspace() accepts;
 * - `.` excludes only "\n" (JS also excludes "\r", U+2028, U+2029); `$` also matches before a
 *   final "\n"; `{,n}` means {0,n}.
 * Inline flags other than a leading (?u) (the default for str patterns), backreferences,
 * lookarounds, named groups and possessive quantifiers are refused.
 */
const WORD = '\\p{L}\\p{N}_';
const SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const IS_WORD = `[${WORD}]`;
const BOUNDARY = `(?:(?<=${IS_WORD})(?!${IS_WORD})|(?<!${IS_WORD})(?=${IS_WORD}))`;
const NOT_BOUNDARY = `(?:(?<=${IS_WORD})(?=${IS_WORD})|(?<!${IS_WORD})(?!${IS_WORD}))`;

/** Python's whitespace as a JS character class body (str.split() and \s). */
export const PY_SPACE_CLASS = SPACE;

export interface TranslatedRegex {
  /** The 'gu' RegExp to use with matchAll. */
  regex: RegExp;
  /** Number of capturing groups (findall returns group 1 when there is one). */
  groups: number;
}

export class UnsupportedRegexError extends Error {}

const ESCAPES_OUTSIDE: Record<string, string> = {
  w: IS_WORD, W: `[^${WORD}]`, d: '\\p{Nd}', D: '\\P{Nd}', s: `[${SPACE}]`, S: `[^${SPACE}]`,
  b: BOUNDARY, B: NOT_BOUNDARY, t: '\\t', n: '\\n', r: '\\r', f: '\\f', v: '\\v', A: '^', Z: '$',
};
const ESCAPES_IN_CLASS: Record<string, string> = { w: WORD, d: '\\p{Nd}', s: SPACE, t: '\\t', n: '\\n', r: '\\r', f: '\\f', v: '\\v' };

/** A literal character outside a class (the u flag allows escaping syntax characters only). */
function literal(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** A literal character inside a class. */
function classLiteral(ch: string): string {
  return /[\\\][^/-]/.test(ch) ? `\\${ch}` : ch;
}

export function translatePythonRegex(pattern: string): TranslatedRegex {
  const fail = (why: string): never => {
    throw new UnsupportedRegexError(`the regular expression ${JSON.stringify(pattern)} cannot be matched exactly as Python does (${why})`);
  };
  const chars = Array.from(pattern);
  let i = 0;
  let out = '';
  let groups = 0;
  let depth = 0;
  // whether the atom just written is \w repeated at least once: a \b right after it only needs
  // the next character to be a non-word one (and before a \w, only the previous one): the
  // one-sided lookarounds match much faster than the two-sided boundary
  let afterWord = false;
  let wasWord = false;
  // (?u) first: str patterns are Unicode anyway
  if (pattern.startsWith('(?u)')) i = 4;
  while (i < chars.length) {
    const c = chars[i];
    wasWord = afterWord;
    afterWord = false;
    if (c === '\\') {
      const e = chars[i + 1];
      if (e === undefined) fail('a trailing backslash');
      if (e === 'b' && chars[i + 2] === '\\' && chars[i + 3] === 'w') out += `(?<!${IS_WORD})`;
      else if (e === 'b' && wasWord) out += `(?!${IS_WORD})`;
      else if (e in ESCAPES_OUTSIDE) out += ESCAPES_OUTSIDE[e];
      else if (/[0-9a-zA-Z]/.test(e)) fail(`the escape \\${e}`);
      else out += literal(e);
      afterWord = e === 'w';
      i += 2;
    } else if (c === '[') {
      i++;
      let body = '';
      if (chars[i] === '^') {
        body += '^';
        i++;
      }
      // a ']' first in a class is a literal in Python
      if (chars[i] === ']') {
        body += '\\]';
        i++;
      }
      while (i < chars.length && chars[i] !== ']') {
        const k = chars[i];
        if (k === '\\') {
          const e = chars[i + 1];
          if (e === undefined) fail('a trailing backslash');
          if (e in ESCAPES_IN_CLASS) body += ESCAPES_IN_CLASS[e];
          else if (/[0-9a-zA-Z]/.test(e)) fail(`the escape \\${e} in a character class`);
          else body += classLiteral(e);
          i += 2;
        } else if (k === '[') {
          fail('a nested set or POSIX class');
        } else if (k === '-') {
          body += '-';
          i++;
        } else {
          body += classLiteral(k);
          i++;
        }
      }
      if (i >= chars.length) fail('an unterminated character class');
      out += `[${body}]`;
      i++;
    } else if (c === '(') {
      if (chars[i + 1] === '?') {
        if (chars[i + 2] !== ':') fail('a group other than (...) and (?:...), or an inline flag');
        out += '(?:';
        i += 3;
      } else {
        groups++;
        out += '(';
        i++;
      }
      depth++;
    } else if (c === ')') {
      if (depth === 0) fail('an unbalanced parenthesis');
      depth--;
      out += ')';
      i++;
    } else if (c === '{') {
      const m = /^\{(\d*)(?:(,)(\d*))?\}/.exec(chars.slice(i).join(''));
      if (!m || (m[1] === '' && m[2] === undefined)) {
        out += '\\{';
        i++;
        continue;
      }
      out += `{${m[1] === '' ? '0' : m[1]}${m[2] ?? ''}${m[3] ?? ''}}`;
      afterWord = wasWord && Number(m[1]) >= 1;
      i += m[0].length;
      if (chars[i] === '+') fail('a possessive quantifier');
    } else if ('*+?'.includes(c)) {
      out += c;
      afterWord = wasWord && c === '+';
      i++;
      if (chars[i] === '+') fail('a possessive quantifier');
      if (chars[i] === '?') {
        out += '?';
        i++;
      }
    } else if (c === '.') {
      out += '[^\\n]';
      i++;
    } else if (c === '$') {
      out += '(?=\\n?$)';
      i++;
    } else if (c === '^' || c === '|') {
      out += c;
      i++;
    } else {
      out += literal(c);
      i++;
    }
  }
  if (depth !== 0) fail('an unbalanced parenthesis');
  let regex: RegExp;
  try {
    regex = new RegExp(out, 'gu');
  } catch (e) {
    return fail((e as Error).message);
  }
  return { regex, groups };
}

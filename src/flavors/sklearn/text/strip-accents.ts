import { COMBINING_RANGES, UNASSIGNED_RANGES } from './python-unicode.js';

/**
 * scikit-learn's strip_accents, as Python computes it: NFKD by Python's unicodedata (Unicode
 * 14.0 in Python 3.11; python-unicode.ts says which), then 'ascii' drops every non-ASCII
 * character and 'unicode' every character whose unicodedata.combining() is not 0.
 */
export function stripAccents(s: string, how: 'ascii' | 'unicode'): string {
  // ASCII text has nothing to decompose or drop (scikit-learn's own shortcut)
  if (ASCII.test(s)) return s;
  const d = nfkdAsPython(s);
  if (how === 'ascii') return d.replace(/[^\p{ASCII}]/gu, '');
  const { combining } = tables();
  let out = '';
  for (const ch of d) if (!inRanges(combining, ch.codePointAt(0)!)) out += ch;
  return out;
}

const ASCII = /^[\p{ASCII}]*$/u;

/**
 * unicodedata.normalize('NFKD', s). JavaScript's normalize uses Node's Unicode (ICU), which may
 * be newer than Python's: a character Python's database does not assign, Python leaves as it is
 * (a starter, combining class 0), where a newer Unicode may decompose it. So the text between
 * such characters is normalized by JavaScript (decompositions and classes of assigned characters
 * never change: Unicode's normalization stability policy) and they are kept as they are.
 */
function nfkdAsPython(s: string): string {
  const { unassigned } = tables();
  let out = '';
  let start = 0;
  let i = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (inRanges(unassigned, cp)) {
      out += s.slice(start, i).normalize('NFKD') + ch;
      start = i + ch.length;
    }
    i += ch.length;
  }
  return out + s.slice(start).normalize('NFKD');
}

/** Ranges as [lo, hi, lo, hi, ...], sorted. */
function parseRanges(spec: string): Uint32Array {
  const parts = spec.split(',');
  const out = new Uint32Array(parts.length * 2);
  parts.forEach((p, k) => {
    const [lo, hi = lo] = p.split('-');
    out[2 * k] = parseInt(lo, 16);
    out[2 * k + 1] = parseInt(hi, 16);
  });
  return out;
}

function inRanges(r: Uint32Array, cp: number): boolean {
  let lo = 0;
  let hi = r.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < r[2 * mid]) hi = mid - 1;
    else if (cp > r[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

let parsed: { combining: Uint32Array; unassigned: Uint32Array } | null = null;

/** The tables, parsed on first use (only vectorizers with strip_accents need them). */
function tables(): { combining: Uint32Array; unassigned: Uint32Array } {
  parsed ??= { combining: parseRanges(COMBINING_RANGES), unassigned: parseRanges(UNASSIGNED_RANGES) };
  return parsed;
}

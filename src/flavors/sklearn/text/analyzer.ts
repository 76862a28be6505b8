import { MlflowError } from '../../../errors.js';
import type { State } from '../state.js';
import { stripAccents } from './strip-accents.js';
import { ENGLISH_STOP_WORDS_TEXT } from './english-stop-words.js';
import { PY_SPACE_CLASS, translatePythonRegex, UnsupportedRegexError } from './python-regex.js';

/** A document to its features (tokens or n-grams), as a vectorizer's build_analyzer() returns. */
export type Analyzer = (doc: string) => string[];

const WHITESPACE_RUN = new RegExp(`[${PY_SPACE_CLASS}][${PY_SPACE_CLASS}]+`, 'gu');
const WHITESPACE = new RegExp(`[${PY_SPACE_CLASS}]+`, 'u');

/** Python's str.split(): split on whitespace runs, no empty strings. */
function pySplit(s: string): string[] {
  return s.split(WHITESPACE).filter((w) => w.length > 0);
}

function wordNgrams(tokens: string[], minN: number, maxN: number): string[] {
  if (maxN === 1) return tokens;
  const out = minN === 1 ? [...tokens] : [];
  for (let n = Math.max(minN, 2); n <= Math.min(maxN, tokens.length); n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
  }
  return out;
}

/** Character n-grams over code points (Python indexes str by code point). */
function charNgrams(doc: string, minN: number, maxN: number): string[] {
  const text = Array.from(doc.replace(WHITESPACE_RUN, ' '));
  const out: string[] = [];
  for (let n = minN; n <= Math.min(maxN, text.length); n++) {
    for (let i = 0; i + n <= text.length; i++) out.push(text.slice(i, i + n).join(''));
  }
  return out;
}

/** Character n-grams inside word boundaries, each word padded with a space on each side. */
function charWbNgrams(doc: string, minN: number, maxN: number): string[] {
  const out: string[] = [];
  for (const word of pySplit(doc.replace(WHITESPACE_RUN, ' '))) {
    const w = Array.from(` ${word} `);
    for (let n = minN; n <= maxN; n++) {
      let offset = 0;
      out.push(w.slice(offset, offset + n).join(''));
      while (offset + n < w.length) {
        offset++;
        out.push(w.slice(offset, offset + n).join(''));
      }
      // a word shorter than n is counted once
      if (offset === 0) break;
    }
  }
  return out;
}

/** scikit-learn's built-in list, made once on first use. */
let english: Set<string> | null = null;

function stopWordsOf(s: State): Set<string> | null {
  const v = s.raw('stop_words');
  if (v === null || v === undefined) return null;
  if (v === 'english') return (english ??= new Set(ENGLISH_STOP_WORDS_TEXT.split(' ')));
  if (v instanceof Set || Array.isArray(v)) {
    const words = [...(v as Iterable<unknown>)];
    if (words.every((w) => typeof w === 'string')) return new Set(words as string[]);
  }
  return s.fail('stop_words should be None, "english" or a list of strings');
}

/**
 * The analyzer of a CountVectorizer, TfidfVectorizer or HashingVectorizer from its parameters:
 * preprocessing (lowercase, strip_accents='ascii'), then word tokens by token_pattern (with stop
 * words removed before the n-grams are made, as sklearn's _word_ngrams does) or character n-grams.
 */
export function buildAnalyzer(s: State): Analyzer {
  for (const key of ['preprocessor', 'tokenizer']) {
    if (s.raw(key) !== null && s.raw(key) !== undefined) s.fail(`a custom ${key} is not supported natively`);
  }
  const input = s.stringOr('input', 'content');
  if (input !== 'content') s.fail(`input='${input}' is not supported natively`);
  const analyzer = s.raw('analyzer');
  if (analyzer !== 'word' && analyzer !== 'char' && analyzer !== 'char_wb') s.fail('only the analyzers "word", "char" and "char_wb" are supported natively');
  const strip = s.raw('strip_accents');
  if (strip !== null && strip !== undefined && strip !== 'ascii' && strip !== 'unicode') s.fail(`strip_accents=${JSON.stringify(strip)} is not supported natively`);
  const lowercase = s.bool('lowercase', true);
  const range = s.list('ngram_range');
  const [minN, maxN] = range;
  if (range.length !== 2 || !Number.isInteger(minN) || !Number.isInteger(maxN) || (minN as number) < 1 || (minN as number) > (maxN as number)) {
    s.fail('ngram_range should be two integers 1 <= min_n <= max_n');
  }
  const lo = minN as number;
  const hi = maxN as number;
  const preprocess = (doc: string): string => {
    let d = lowercase ? doc.toLowerCase() : doc;
    if (strip === 'ascii' || strip === 'unicode') d = stripAccents(d, strip);
    return d;
  };
  if (analyzer === 'char') return (doc) => charNgrams(preprocess(doc), lo, hi);
  if (analyzer === 'char_wb') return (doc) => charWbNgrams(preprocess(doc), lo, hi);
  const stop = stopWordsOf(s);
  let pattern: ReturnType<typeof translatePythonRegex>;
  try {
    pattern = translatePythonRegex(s.string('token_pattern'));
  } catch (e) {
    if (e instanceof UnsupportedRegexError) s.fail(`token_pattern: ${e.message}`);
    throw e;
  }
  if (pattern.groups > 1) s.fail('token_pattern should have at most one capturing group');
  const group = pattern.groups === 1 ? 1 : 0;
  return (doc) => {
    const tokens: string[] = [];
    for (const m of preprocess(doc).matchAll(pattern.regex)) {
      const t = m[group] ?? '';
      if (!stop?.has(t)) tokens.push(t);
    }
    return wordNgrams(tokens, lo, hi);
  };
}

/** A document must be a str (sklearn decodes bytes; JSON gives none). */
export function documentText(v: unknown, i: number): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isNaN(v)) {
    throw new MlflowError('np.nan is an invalid document, expected byte or unicode string.', 'INVALID_PARAMETER_VALUE');
  }
  throw new MlflowError(`document ${i} is a ${v === null ? 'None' : typeof v}, expected a string`, 'INVALID_PARAMETER_VALUE');
}

import { MlflowError } from '../../../errors.js';
import { decodeVector, dense, multiply, sparse, toArray } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { field, readDataRow, readDataRows } from '../model-data.js';
import { makeStage, stageName, type Stage, type StageLoader } from '../stage.js';
import { stringArrayValues, stringValues, vectorColumn, type SparkColumn } from '../table.js';
import { vectorMap } from '../vector-stage.js';

function tokensStage(meta: StageMetadata, f: (s: string) => string[]): Stage {
  const where = stageName(meta);
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  return makeStage(meta, (t) => {
    const vals = stringValues(t.get(inCol, where), inCol, where);
    return t.with([[outCol, { kind: 'strings', values: vals.map((s) => (s === null ? null : f(s))) }]]);
  });
}

/** Tokenizer: lower case, split on whitespace. */
function loadTokenizer(meta: StageMetadata): Stage {
  return tokensStage(meta, (s) => s.toLowerCase().split(/\s/));
}

/**
 * RegexTokenizer: the pattern splits (gaps) or matches tokens; Java regex syntax, which for the
 * common classes (\W, \s, \d, [..]) JavaScript shares. Tokens shorter than minTokenLength drop.
 */
function loadRegexTokenizer(meta: StageMetadata): Stage {
  const p = meta.params;
  const pattern = p.string('pattern', '\\s+');
  const gaps = p.bool('gaps', true);
  const lower = p.bool('toLowercase', true);
  const minLen = p.number('minTokenLength', 1);
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'gu');
  } catch {
    throw new MlflowError(`${p.where}: the regular expression '${pattern}' is not supported natively`, 'NOT_IMPLEMENTED');
  }
  return tokensStage(meta, (s) => {
    const text = lower ? s.toLowerCase() : s;
    // Java's String.split drops trailing empty strings (and a leading one only for a zero-width match)
    const tokens = gaps ? javaSplit(text, re) : [...text.matchAll(re)].map((m) => m[0]);
    return tokens.filter((tok) => [...tok].length >= minLen);
  });
}

function javaSplit(s: string, re: RegExp): string[] {
  const parts = s.split(re);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** StopWordsRemover: drops the stop words (case-insensitively unless caseSensitive). */
function loadStopWordsRemover(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const p = meta.params;
  const caseSensitive = p.bool('caseSensitive', false);
  const words = p.strings('stopWords');
  const stop = new Set(caseSensitive ? words : words.map((w) => w.toLowerCase()));
  const pairs: [string, string][] = p.isSet('inputCols') ? p.strings('inputCols').map((c, i) => [c, p.strings('outputCols')[i]]) : [[p.string('inputCol'), p.string('outputCol')]];
  return makeStage(meta, (t) =>
    t.with(
      pairs.map(([inCol, outCol]): [string, SparkColumn] => {
        const vals = stringArrayValues(t.get(inCol, where), inCol, where);
        return [outCol, { kind: 'strings', values: vals.map((v) => (v === null ? null : v.filter((w) => !stop.has(caseSensitive ? w : w.toLowerCase())))) }];
      }),
    ),
  );
}

/** NGram: the n-grams of a token list, joined by spaces (none when the list is shorter than n). */
function loadNGram(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const n = meta.params.number('n', 2);
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  return makeStage(meta, (t) => {
    const vals = stringArrayValues(t.get(inCol, where), inCol, where);
    const out = vals.map((v) => {
      if (v === null) return null;
      const grams: string[] = [];
      for (let i = 0; i + n <= v.length; i++) grams.push(v.slice(i, i + n).join(' '));
      return grams;
    });
    return t.with([[outCol, { kind: 'strings', values: out }]]);
  });
}

/**
 * CountVectorizerModel: term counts over the vocabulary, terms below minTF (a count, or a
 * fraction of the document's length when < 1) dropped, 1.0 for every term when binary.
 */
async function loadCountVectorizer(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const vocab = field(await readDataRow(meta.dir), 'vocabulary', where) as string[];
  const index = new Map(vocab.map((w, i) => [w, i]));
  const minTF = meta.params.number('minTF', 1);
  const binary = meta.params.bool('binary', false);
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  return makeStage(meta, (t) => {
    const vals = stringArrayValues(t.get(inCol, where), inCol, where);
    const out = vals.map((doc) => {
      if (doc === null) return null;
      const counts = new Map<number, number>();
      for (const w of doc) {
        const k = index.get(w);
        if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const threshold = minTF >= 1 ? minTF : minTF * doc.length;
      const kept = [...counts].filter(([, c]) => c >= threshold).sort((a, b) => a[0] - b[0]);
      return sparse(vocab.length, kept.map(([k]) => k), kept.map(([, c]) => (binary ? 1 : c)));
    });
    return t.with([[outCol, vectorColumn(out)]]);
  });
}

/** IDFModel: each term frequency times its idf. */
async function loadIDF(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const idf = toArray(decodeVector(field(await readDataRow(meta.dir), 'idf', where), `${where} data 'idf'`));
  return vectorMap(meta, idf.length, (v) => multiply(v, idf));
}

/**
 * Word2VecModel: the mean of the sentence's word vectors (unknown words count in the length but
 * add nothing); an empty sentence gives a zero vector. Data is one row per word (Spark 2.2+) or
 * one row with wordIndex and the flat wordVectors (older).
 */
async function loadWord2Vec(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const rows = await readDataRows(meta.dir);
  const vectors = new Map<string, Float64Array>();
  if (rows.length > 0 && Object.hasOwn(rows[0], 'wordIndex')) {
    const index = field(rows[0], 'wordIndex', where) as Record<string, number>;
    const flat = field(rows[0], 'wordVectors', where) as number[];
    const d = flat.length / Math.max(1, Object.keys(index).length);
    for (const [w, i] of Object.entries(index)) vectors.set(w, Float64Array.from(flat.slice(i * d, (i + 1) * d)));
  } else {
    for (const r of rows) vectors.set(String(field(r, 'word', where)), Float64Array.from(field(r, 'vector', where) as number[]));
  }
  const size = meta.params.number('vectorSize', 100);
  for (const v of vectors.values()) {
    if (v.length !== size) throw new MlflowError(`${where}: a word vector has ${v.length} values, vectorSize is ${size}`, 'INVALID_PARAMETER_VALUE');
  }
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  return makeStage(meta, (t) => {
    const vals = stringArrayValues(t.get(inCol, where), inCol, where);
    const out = vals.map((sentence) => {
      if (sentence === null) return null;
      if (sentence.length === 0) return sparse(size, [], []);
      const sum = new Float64Array(size);
      for (const w of sentence) {
        const v = vectors.get(w);
        if (v) for (let j = 0; j < size; j++) sum[j] += v[j];
      }
      const scale = 1 / sentence.length;
      for (let j = 0; j < size; j++) sum[j] *= scale;
      return dense(sum);
    });
    return t.with([[outCol, vectorColumn(out)]]);
  });
}

export const textLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.Tokenizer': loadTokenizer,
  'org.apache.spark.ml.feature.RegexTokenizer': loadRegexTokenizer,
  'org.apache.spark.ml.feature.StopWordsRemover': loadStopWordsRemover,
  'org.apache.spark.ml.feature.NGram': loadNGram,
  'org.apache.spark.ml.feature.CountVectorizerModel': loadCountVectorizer,
  'org.apache.spark.ml.feature.IDFModel': loadIDF,
  'org.apache.spark.ml.feature.Word2VecModel': loadWord2Vec,
};

import { MlflowError } from '../../../errors.js';
import { sparkNumberToString } from '../java-format.js';
import { sparse } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { murmur3Bytes, murmur3BytesSpark2, nonNegativeMod } from '../murmur3.js';
import { makeStage, stageName, type Stage, type StageLoader } from '../stage.js';
import { describeKind, vectorColumn } from '../table.js';

const SEED = 42;
const utf8 = new TextEncoder();

/** A sparse vector of summed values from (index, value) pairs, sorted by index. */
function sumByIndex(n: number, pairs: [number, number][], binary: boolean): ReturnType<typeof sparse> {
  const acc = new Map<number, number>();
  for (const [i, v] of pairs) acc.set(i, binary ? 1 : (acc.get(i) ?? 0) + v);
  const sorted = [...acc].sort((a, b) => a[0] - b[0]);
  return sparse(n, sorted.map((e) => e[0]), sorted.map((e) => e[1]));
}

/** The major version in a sparkVersion string ("3.5.0" -> 3). */
function majorVersion(meta: StageMetadata): number {
  return Number(/^(\d+)/.exec(meta.sparkVersion)?.[1] ?? 0);
}

/**
 * HashingTF: term frequencies at index murmur3(term) mod numFeatures (seed 42). Models saved
 * by Spark 2 keep Spark 2's hash (its tail bytes are mixed differently), as Spark 3 loads them.
 */
function loadHashingTF(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const n = meta.params.number('numFeatures', 262144);
  const binary = meta.params.bool('binary', false);
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  const hash = majorVersion(meta) < 3 ? murmur3BytesSpark2 : murmur3Bytes;
  return makeStage(meta, (t) => {
    const col = t.get(inCol, where);
    if (col.kind !== 'strings') throw new MlflowError(`${where}: column '${inCol}' must be an array of strings but is ${describeKind(col)}`, 'BAD_REQUEST');
    const out = col.values.map((terms) => (terms === null ? null : sumByIndex(n, terms.map((term) => [nonNegativeMod(hash(utf8.encode(term), SEED), n), 1]), binary)));
    return t.with([[outCol, vectorColumn(out)]]);
  });
}

/**
 * FeatureHasher: numeric columns (not in categoricalCols) add their value at hash(column name);
 * string, boolean and categorical columns add 1.0 at hash("column=value"); nulls are skipped.
 */
function loadFeatureHasher(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const n = meta.params.number('numFeatures', 262144);
  const inputs = meta.params.strings('inputCols');
  const categorical = new Set(meta.params.has('categoricalCols') ? meta.params.strings('categoricalCols') : []);
  const outCol = meta.params.string('outputCol');
  const hashString = (s: string): number => murmur3Bytes(utf8.encode(s), SEED);
  return makeStage(meta, (t) => {
    const cols = inputs.map((name) => {
      const c = t.get(name, where);
      if (c.kind === 'vector' || c.kind === 'strings') throw new MlflowError(`${where}: column '${name}' of type ${describeKind(c)} cannot be hashed`, 'BAD_REQUEST');
      return c;
    });
    const out = Array.from({ length: t.numRows }, (_, i) => {
      const pairs: [number, number][] = [];
      cols.forEach((c, k) => {
        const name = inputs[k];
        if (c.kind === 'numeric') {
          const x = c.values[i];
          if (Number.isNaN(x)) return;
          if (!categorical.has(name)) pairs.push([nonNegativeMod(hashString(name), n), x]);
          else {
            const integral = c.type !== 'double' && c.type !== 'float';
            pairs.push([nonNegativeMod(hashString(`${name}=${sparkNumberToString(x, integral)}`), n), 1]);
          }
          return;
        }
        const v = c.values[i];
        if (v === null) return;
        pairs.push([nonNegativeMod(hashString(`${name}=${String(v)}`), n), 1]);
      });
      return sumByIndex(n, pairs, false);
    });
    return t.with([[outCol, vectorColumn(out)]]);
  });
}

export const hashingLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.HashingTF': loadHashingTF,
  'org.apache.spark.ml.feature.FeatureHasher': loadFeatureHasher,
};

import { MlflowError } from '../../../errors.js';
import { type Attr } from '../attributes.js';
import { javaBinarySearch } from '../binary-search.js';
import { sparse, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { columnPairs, makeStage, stageName, type Stage, type StageLoader } from '../stage.js';
import { doubleColumn, numericValues, vectorColumn, type SparkColumn } from '../table.js';

/** Binarizer: 1.0 above the threshold, else 0.0; for vectors, the active values above it. */
function loadBinarizer(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const pairs = columnPairs(meta);
  const thresholds = meta.params.isSet('thresholds') ? meta.params.numbers('thresholds') : pairs.map(() => meta.params.number('threshold', 0));
  return makeStage(meta, (t) => {
    const added = pairs.map(([inCol, outCol], c): [string, SparkColumn] => {
      const th = thresholds[c];
      const col = t.get(inCol, where);
      if (col.kind === 'vector') {
        const out = col.values.map((v): Vec | null => {
          if (v === null) return null;
          const idx: number[] = [];
          const val: number[] = [];
          const x = v.values;
          for (let j = 0; j < x.length; j++) {
            if (x[j] > th) {
              idx.push(v.indices === null ? j : v.indices[j]);
              val.push(1);
            }
          }
          return sparse(v.size, idx, val);
        });
        return [outCol, vectorColumn(out, col.attrs?.map((): Attr => ({ kind: 'binary' })))];
      }
      const x = numericValues(col, inCol, where);
      return [outCol, doubleColumn(Float64Array.from(x, (v) => (v > th ? 1 : 0)), { kind: 'binary', name: outCol })];
    });
    return t.with(added);
  });
}

/** The bucket of x, as Spark's Bucketizer.binarySearchForBuckets (upper split inclusive in the last bucket). */
function bucketOf(splits: readonly number[], x: number): number {
  if (x === splits[splits.length - 1]) return splits.length - 2;
  const found = javaBinarySearch(splits, x);
  if (found >= 0) return found;
  const insert = -found - 1;
  return insert === 0 || insert === splits.length ? -1 : insert - 1;
}

/**
 * Bucketizer (also what QuantileDiscretizer saves): `splits` or, for several columns,
 * `splitsArray`. NaN follows handleInvalid (error, skip, keep: an extra bucket); a value outside
 * the splits is an error in every mode, as in Spark.
 */
function loadBucketizer(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const pairs = columnPairs(meta);
  const splitsArray = meta.params.isSet('splitsArray') ? meta.params.numberArrays('splitsArray') : [meta.params.numbers('splits')];
  if (splitsArray.length !== pairs.length) throw new MlflowError(`${where}: ${splitsArray.length} split lists for ${pairs.length} columns`, 'INVALID_PARAMETER_VALUE');
  const handleInvalid = meta.params.choice('handleInvalid', ['error', 'skip', 'keep'], 'error');
  return makeStage(meta, (t) => {
    const keep = handleInvalid === 'skip' ? new Uint8Array(t.numRows).fill(1) : null;
    const added = pairs.map(([inCol, outCol], c): [string, SparkColumn] => {
      const splits = splitsArray[c];
      const x = numericValues(t.get(inCol, where), inCol, where);
      const out = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        if (Number.isNaN(x[i])) {
          if (handleInvalid === 'keep') out[i] = splits.length - 1;
          else if (keep) keep[i] = 0;
          else throw new MlflowError(`${where}: column '${inCol}' is NaN or null in row ${i} (handleInvalid=error)`, 'BAD_REQUEST');
          continue;
        }
        const b = bucketOf(splits, x[i]);
        if (b < 0) throw new MlflowError(`${where}: column '${inCol}' in row ${i} is outside the Bucketizer bounds [${splits[0]}, ${splits[splits.length - 1]}]`, 'BAD_REQUEST');
        out[i] = b;
      }
      return [outCol, doubleColumn(out, { kind: 'nominal', name: outCol, numValues: splits.length - 1 })];
    });
    const next = t.with(added);
    return keep ? next.filter(keep) : next;
  });
}

export const discretizerLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.Binarizer': loadBinarizer,
  'org.apache.spark.ml.feature.Bucketizer': loadBucketizer,
};

import { MlflowError } from '../../../errors.js';
import { NUMERIC, nominalSize } from '../attributes.js';
import { compressed, forEachActive, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { makeStage, stageName, type Stage, type StageLoader } from '../stage.js';
import { vectorColumn, type SparkColumn } from '../table.js';

/** One input's encoder: the one-hot width of each of its features (1 = used as a number). */
interface Encoder {
  readonly widths: readonly number[];
  readonly offsets: readonly number[];
  readonly size: number;
}

function encoderOf(col: SparkColumn, name: string, where: string): Encoder {
  let widths: number[];
  if (col.kind === 'numeric' || col.kind === 'boolean') widths = [nominalSize(col.attr)];
  else if (col.kind === 'vector') {
    if (!col.attrs) throw new MlflowError(`${where}: vector column '${name}' has no ML attributes, which Interaction needs`, 'BAD_REQUEST');
    widths = col.attrs.map(nominalSize);
  } else throw new MlflowError(`${where}: column '${name}' must be numeric or a vector`, 'BAD_REQUEST');
  const offsets: number[] = [];
  let size = 0;
  for (const w of widths) {
    offsets.push(size);
    size += w;
  }
  return { widths, offsets, size };
}

/**
 * Interaction: the product of its inputs, nominal inputs one-hot expanded by the cardinality
 * their attributes carry (attributes propagated from StringIndexer, Bucketizer, ...). The first
 * input is the most significant, and products are formed last input first, as in Spark.
 */
function loadInteraction(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const inputs = meta.params.strings('inputCols');
  const outCol = meta.params.string('outputCol');
  return makeStage(meta, (t) => {
    const cols = inputs.map((n) => t.get(n, where));
    const enc = cols.map((c, k) => encoderOf(c, inputs[k], where));
    const size = enc.reduce((a, e) => a * e.size, 1);
    const out: Vec[] = new Array(t.numRows);
    for (let i = 0; i < t.numRows; i++) {
      let idx = [0];
      let val = [1];
      let prevSize = 1;
      for (let k = cols.length - 1; k >= 0; k--) {
        const nextIdx: number[] = [];
        const nextVal: number[] = [];
        const e = enc[k];
        const emit = (j: number, a: number): void => {
          for (let p = 0; p < idx.length; p++) {
            nextIdx.push(idx[p] + j * prevSize);
            nextVal.push(val[p] * a);
          }
        };
        const featureAt = (f: number, x: number): void => {
          const w = e.widths[f];
          if (w > 1) {
            if (!(x >= 0 && x === Math.trunc(x) && x < w)) throw new MlflowError(`${where}: column '${inputs[k]}' must hold category indices below ${w}; row ${i} does not`, 'BAD_REQUEST');
            emit(e.offsets[f] + x, 1);
          } else emit(e.offsets[f], x);
        };
        const c = cols[k];
        if (c.kind === 'vector') {
          const v = c.values[i];
          if (v === null) throw new MlflowError(`${where}: column '${inputs[k]}' is null in row ${i}`, 'BAD_REQUEST');
          if (v.size !== e.widths.length) throw new MlflowError(`${where}: column '${inputs[k]}' holds a vector of size ${v.size} in row ${i}, expected ${e.widths.length}`, 'BAD_REQUEST');
          forEachActive(v, featureAt);
        } else {
          const x = c.kind === 'numeric' ? c.values[i] : c.values[i] === null ? NaN : c.values[i] ? 1 : 0;
          featureAt(0, x);
        }
        prevSize *= e.size;
        idx = nextIdx;
        val = nextVal;
      }
      const buf = new Float64Array(size);
      for (let p = 0; p < idx.length; p++) buf[idx[p]] = val[p];
      out[i] = compressed(buf);
    }
    return t.with([[outCol, vectorColumn(out, Array(size).fill(NUMERIC))]]);
  });
}

export const interactionLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.Interaction': loadInteraction,
};

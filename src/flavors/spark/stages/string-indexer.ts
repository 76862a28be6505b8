import { MlflowError } from '../../../errors.js';
import { nominal } from '../attributes.js';
import { sparkNumberToString } from '../java-format.js';
import type { StageMetadata } from '../metadata.js';
import { field, readDataRow } from '../model-data.js';
import { columnPairs, makeStage, stageName, type StageLoader } from '../stage.js';
import { doubleColumn, describeKind, Table, type SparkColumn } from '../table.js';

/** A column's values as Spark casts them to string (StringIndexer indexes any type as strings). */
export function valuesAsStrings(col: SparkColumn, name: string, stage: string): readonly (string | null)[] {
  switch (col.kind) {
    case 'string':
      return col.values;
    case 'boolean':
      return col.values.map((b) => (b === null ? null : String(b)));
    case 'numeric': {
      const integral = col.type !== 'double' && col.type !== 'float';
      return Array.from(col.values, (x) => (integral && Number.isNaN(x) ? null : sparkNumberToString(x, integral)));
    }
    default:
      throw new MlflowError(`${stage}: column '${name}' of type ${describeKind(col)} cannot be indexed as strings`, 'BAD_REQUEST');
  }
}

/**
 * StringIndexerModel (one or several columns). Labels come from `labelsArray` (Spark 3) or
 * `labels` (Spark 2). As in Spark, an input column absent from the table is skipped (that is how
 * a pipeline's label indexer lets unlabeled data through); unseen and null values follow
 * handleInvalid: error (a 400 naming the column, not the value), skip (drop the row) or keep
 * (index numLabels).
 */
async function loadStringIndexer(meta: StageMetadata): Promise<ReturnType<typeof makeStage>> {
  const where = stageName(meta);
  const row = await readDataRow(meta.dir);
  const labelsArray = (Object.hasOwn(row, 'labelsArray') ? field(row, 'labelsArray', where) : [field(row, 'labels', where)]) as string[][];
  const pairs = columnPairs(meta);
  if (labelsArray.length !== pairs.length) {
    throw new MlflowError(`${where}: ${labelsArray.length} label lists for ${pairs.length} input columns`, 'INVALID_PARAMETER_VALUE');
  }
  const handleInvalid = meta.params.choice('handleInvalid', ['error', 'skip', 'keep'], 'error');
  const maps = labelsArray.map((labels) => new Map(labels.map((l, i) => [l, i])));
  return makeStage(meta, (t) => {
    const keep = handleInvalid === 'skip' ? new Uint8Array(t.numRows).fill(1) : null;
    const added: [string, SparkColumn][] = [];
    let skipped = t;
    pairs.forEach(([inCol, outCol], c) => {
      if (!t.has(inCol)) {
        skipped = skipped.withSkipped(outCol, inCol);
        return;
      }
      const values = valuesAsStrings(t.get(inCol, where), inCol, where);
      const map = maps[c];
      const labels = labelsArray[c];
      const out = new Float64Array(t.numRows);
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        const idx = v === null ? undefined : map.get(v);
        if (idx !== undefined) out[i] = idx;
        else if (handleInvalid === 'keep') out[i] = labels.length;
        else if (keep) keep[i] = 0;
        else if (v === null) {
          throw new MlflowError(`${where}: column '${inCol}' holds a null value in row ${i} (handleInvalid=error)`, 'BAD_REQUEST');
        } else {
          throw new MlflowError(`${where}: column '${inCol}' holds a value unseen at fit in row ${i} (handleInvalid=error)`, 'BAD_REQUEST');
        }
      }
      const attrValues = handleInvalid === 'keep' ? [...labels, '__unknown'] : labels;
      added.push([outCol, doubleColumn(out, nominal(attrValues, outCol))]);
    });
    const withOut = skipped.with(added);
    return keep ? withOut.filter(keep) : withOut;
  });
}

/** IndexToString: labels from its `labels` param, else from the input column's nominal attribute. */
function loadIndexToString(meta: StageMetadata): ReturnType<typeof makeStage> {
  const where = stageName(meta);
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  const own = meta.params.isSet('labels') ? meta.params.strings('labels') : [];
  return makeStage(meta, (t: Table) => {
    const col = t.get(inCol, where);
    const attr = col.kind === 'numeric' ? col.attr : undefined;
    const labels = own.length > 0 ? own : attr?.kind === 'nominal' ? attr.values : undefined;
    if (!labels) throw new MlflowError(`${where}: input column '${inCol}' carries no labels and the labels param is not set`, 'BAD_REQUEST');
    const idx = col.kind === 'numeric' ? col.values : null;
    if (!idx) throw new MlflowError(`${where}: column '${inCol}' must be numeric`, 'BAD_REQUEST');
    const out = Array.from(idx, (x, i) => {
      const k = Math.trunc(x);
      if (!(k >= 0 && k < labels.length)) throw new MlflowError(`${where}: index in row ${i} of column '${inCol}' is not one of the ${labels.length} labels`, 'BAD_REQUEST');
      return labels[k];
    });
    return t.with([[outCol, { kind: 'string', values: out }]]);
  });
}

export const stringIndexerLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.StringIndexerModel': loadStringIndexer,
  'org.apache.spark.ml.feature.IndexToString': loadIndexToString,
};

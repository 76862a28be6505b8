import { MlflowError } from '../../../errors.js';
import type { Attr } from '../attributes.js';
import { sparse, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { numberArrayField, readDataRow } from '../model-data.js';
import { columnPairs, makeStage, stageName, type Stage, type StageLoader } from '../stage.js';
import { numericValues, vectorColumn, type SparkColumn } from '../table.js';

/**
 * OneHotEncoderModel (Spark 3; one or several columns): category sizes from `data/`, dropLast,
 * handleInvalid error (a 400 naming the column) or keep (an extra category). Outputs sparse
 * vectors with binary attributes, as Spark.
 */
async function loadOneHotEncoder(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const sizes = numberArrayField(await readDataRow(meta.dir), 'categorySizes', where);
  const pairs = columnPairs(meta);
  if (sizes.length !== pairs.length) throw new MlflowError(`${where}: ${sizes.length} category sizes for ${pairs.length} columns`, 'INVALID_PARAMETER_VALUE');
  const dropLast = meta.params.bool('dropLast', true);
  const keepInvalid = meta.params.choice('handleInvalid', ['error', 'keep'], 'error') === 'keep';
  return makeStage(meta, (t) => {
    const added: [string, SparkColumn][] = pairs.map(([inCol, outCol], c) => {
      const x = numericValues(t.get(inCol, where), inCol, where);
      const orig = sizes[c];
      const size = orig + (keepInvalid ? 1 : 0) - (dropLast ? 1 : 0);
      const out: Vec[] = new Array(x.length);
      for (let i = 0; i < x.length; i++) {
        let idx = x[i];
        if (!(idx >= 0 && idx < orig)) {
          if (!keepInvalid) {
            throw new MlflowError(`${where}: column '${inCol}' holds a category index unseen at fit in row ${i} (handleInvalid=error)`, 'BAD_REQUEST');
          }
          idx = orig;
        }
        const k = Math.trunc(idx);
        out[i] = k < size ? sparse(size, [k], [1]) : sparse(size, [], []);
      }
      const attrs: Attr[] = Array.from({ length: size }, () => ({ kind: 'binary' }));
      return [outCol, vectorColumn(out, attrs)];
    });
    return t.with(added);
  });
}

export const encoderLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.OneHotEncoderModel': loadOneHotEncoder,
};

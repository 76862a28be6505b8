import { MlflowError } from '../../../errors.js';
import { decodeMatrix, dense, forEachActive } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { field, readDataRow } from '../model-data.js';
import { makeStage, stageName, type Stage, type StageLoader } from '../stage.js';
import { vectorColumn, vectorValues } from '../table.js';

/** PCAModel: pcᵀ·x, pc being numFeatures × k. */
async function loadPCA(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const pc = decodeMatrix(field(await readDataRow(meta.dir), 'pc', where), `${where} data 'pc'`);
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  const k = pc.numCols;
  return makeStage(meta, (t) => {
    const vals = vectorValues(t.get(inCol, where), inCol, where);
    const out = vals.map((v, i) => {
      if (v === null) return null;
      if (v.size !== pc.numRows) throw new MlflowError(`${where}: column '${inCol}' holds a vector of size ${v.size} in row ${i}; the model expects ${pc.numRows}`, 'BAD_REQUEST');
      const y = new Float64Array(k);
      for (let j = 0; j < k; j++) {
        let s = 0;
        forEachActive(v, (f, x) => {
          s += pc.values[f * k + j] * x;
        });
        y[j] = s;
      }
      return dense(y);
    });
    return t.with([[outCol, vectorColumn(out)]]);
  });
}

export const projectionLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.PCAModel': loadPCA,
};

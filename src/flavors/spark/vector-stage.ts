import { MlflowError } from '../../errors.js';
import type { Vec } from './linalg.js';
import type { StageMetadata } from './metadata.js';
import { makeStage, stageName, type Stage } from './stage.js';
import { vectorColumn, vectorValues } from './table.js';

/**
 * A vector -> vector stage on inputCol/outputCol (scalers, IDF...): null stays null, a vector of
 * another size than the model's is a 400 naming the column; the output carries no attributes.
 */
export function vectorMap(meta: StageMetadata, size: number | null, f: (v: Vec) => Vec): Stage {
  const where = stageName(meta);
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  return makeStage(meta, (t) => {
    const vals = vectorValues(t.get(inCol, where), inCol, where);
    const out = vals.map((v, i) => {
      if (v === null) return null;
      if (size !== null && v.size !== size) throw new MlflowError(`${where}: column '${inCol}' holds a vector of size ${v.size} in row ${i}; the model expects ${size}`, 'BAD_REQUEST');
      return f(v);
    });
    return t.with([[outCol, vectorColumn(out)]]);
  });
}

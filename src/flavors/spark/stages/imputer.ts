import { MlflowError } from '../../../errors.js';
import type { StageMetadata } from '../metadata.js';
import { readDataRow } from '../model-data.js';
import { columnPairs, makeStage, stageName, type Stage, type StageLoader } from '../stage.js';
import { numericValues, type SparkColumn } from '../table.js';

/**
 * ImputerModel: null/NaN or `missingValue` becomes the fitted surrogate (one data column per
 * input, named after it); the output keeps the input's type, so an integer column gets the
 * surrogate truncated, as Spark's cast does.
 */
async function loadImputer(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const row = await readDataRow(meta.dir);
  const pairs = columnPairs(meta);
  const surrogates = pairs.map(([inCol]) => {
    const s = row[inCol];
    if (typeof s !== 'number') throw new MlflowError(`${where}: data has no surrogate for column '${inCol}'`, 'INVALID_PARAMETER_VALUE');
    return s;
  });
  const missing = meta.params.number('missingValue', NaN);
  return makeStage(meta, (t) =>
    t.with(
      pairs.map(([inCol, outCol], c): [string, SparkColumn] => {
        const col = t.get(inCol, where);
        const x = numericValues(col, inCol, where);
        const integral = col.kind === 'numeric' && col.type !== 'double' && col.type !== 'float';
        const s = integral ? Math.trunc(surrogates[c]) : surrogates[c];
        const out = x.map((v) => (Number.isNaN(v) || v === missing ? s : v));
        return [outCol, { kind: 'numeric', type: col.kind === 'numeric' ? col.type : 'double', values: out }];
      }),
    ),
  );
}

export const imputerLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.ImputerModel': loadImputer,
};

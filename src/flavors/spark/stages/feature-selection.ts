import { MlflowError } from '../../../errors.js';
import { NUMERIC } from '../attributes.js';
import { select } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { numberArrayField, readDataRow } from '../model-data.js';
import { makeStage, stageName, type Stage, type StageLoader } from '../stage.js';
import { vectorColumn, vectorValues } from '../table.js';

/**
 * The selector models (ChiSqSelector, UnivariateFeatureSelector, VarianceThresholdSelector):
 * keep the features in `selectedFeatures`, in ascending order, as Spark's SelectorModel.
 */
async function loadSelector(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const selected = [...numberArrayField(await readDataRow(meta.dir), 'selectedFeatures', where)].sort((a, b) => a - b);
  const inCol = meta.params.string('featuresCol', 'features');
  const outCol = meta.params.string('outputCol');
  return makeStage(meta, (t) => {
    const col = t.get(inCol, where);
    const vals = vectorValues(col, inCol, where);
    const out = vals.map((v, i) => {
      if (v === null) return null;
      if (selected.length > 0 && selected[selected.length - 1] >= v.size) {
        throw new MlflowError(`${where}: column '${inCol}' holds a vector of size ${v.size} in row ${i}, smaller than the selected features need`, 'BAD_REQUEST');
      }
      return select(v, selected);
    });
    const attrs = col.kind === 'vector' && col.attrs ? selected.map((k) => col.attrs?.[k] ?? NUMERIC) : undefined;
    return t.with([[outCol, vectorColumn(out, attrs)]]);
  });
}

export const featureSelectionLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.ChiSqSelectorModel': loadSelector,
  'org.apache.spark.ml.feature.UnivariateFeatureSelectorModel': loadSelector,
  'org.apache.spark.ml.feature.VarianceThresholdSelectorModel': loadSelector,
};

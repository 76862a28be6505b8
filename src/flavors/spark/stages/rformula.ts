import path from 'node:path';
import { MlflowError } from '../../../errors.js';
import type { StageMetadata } from '../metadata.js';
import { field, readDataRow } from '../model-data.js';
import { makeStage, stageName, type LoadStage, type Stage, type StageLoader } from '../stage.js';
import { doubleColumn, numericValues } from '../table.js';

/**
 * RFormulaModel: its nested `pipelineModel/` (string indexers, one-hot encoders, interactions,
 * a VectorAssembler, attribute rewriter, column pruner) makes the features; then the label
 * column, when the formula's label is in the table and labelCol is not, is that column as double.
 */
async function loadRFormula(meta: StageMetadata, load: LoadStage): Promise<Stage> {
  const where = stageName(meta);
  const row = await readDataRow(meta.dir);
  const label = String(field(row, 'label', where) ?? '');
  const inner = await load(path.join(meta.dir, 'pipelineModel'));
  const featuresCol = meta.params.string('featuresCol', 'features');
  const labelCol = meta.params.string('labelCol', 'label');
  return makeStage(meta, (t) => {
    if (t.has(featuresCol)) throw new MlflowError(`${where}: features column '${featuresCol}' already exists`, 'BAD_REQUEST');
    const out = inner.transform(t);
    if (label === '' || out.has(labelCol) || !out.has(label)) return out;
    const col = out.get(label, where);
    if (col.kind !== 'numeric' && col.kind !== 'boolean') throw new MlflowError(`${where}: label column '${label}' must be numeric or boolean`, 'BAD_REQUEST');
    return out.with([[labelCol, doubleColumn(Float64Array.from(numericValues(col, label, where)))]]);
  }, [inner]);
}

/** VectorAttributeRewriter (inside RFormula): renames attributes only; the values pass unchanged. */
async function loadVectorAttributeRewriter(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const row = await readDataRow(meta.dir);
  const vectorCol = String(field(row, 'vectorCol', where));
  const prefixes = field(row, 'prefixesToRewrite', where) as Record<string, string>;
  return makeStage(meta, (t) => {
    const col = t.columns.get(vectorCol);
    if (col?.kind !== 'vector' || !col.attrs) return t;
    const attrs = col.attrs.map((a) => {
      if (a.name === undefined) return a;
      const hit = Object.entries(prefixes).find(([from]) => a.name?.startsWith(from));
      return hit ? { ...a, name: hit[1] + a.name.slice(hit[0].length) } : a;
    });
    return t.with([[vectorCol, { ...col, attrs }]]);
  });
}

/** ColumnPruner (inside RFormula): drops its intermediate columns. */
async function loadColumnPruner(meta: StageMetadata): Promise<Stage> {
  const cols = field(await readDataRow(meta.dir), 'columnsToPrune', stageName(meta)) as string[];
  return makeStage(meta, (t) => t.without(cols));
}

export const rformulaLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.RFormulaModel': loadRFormula,
  'org.apache.spark.ml.feature.VectorAttributeRewriter': loadVectorAttributeRewriter,
  'org.apache.spark.ml.feature.ColumnPruner': loadColumnPruner,
};

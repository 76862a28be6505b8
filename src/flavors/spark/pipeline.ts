import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import { readMetadata, type StageMetadata } from './metadata.js';
import { makeStage, type LoadStage, type Stage, type StageLoader } from './stage.js';
import { classificationLoaders } from './stages/classification.js';
import { clusteringLoaders } from './stages/clustering.js';
import { discretizerLoaders } from './stages/discretizers.js';
import { encoderLoaders } from './stages/encoders.js';
import { featureSelectionLoaders } from './stages/feature-selection.js';
import { hashingLoaders } from './stages/hashing.js';
import { imputerLoaders } from './stages/imputer.js';
import { interactionLoaders } from './stages/interaction.js';
import { jpmmlLoaders } from './stages/jpmml.js';
import { lightgbmLoaders } from './stages/lightgbm.js';
import { projectionLoaders } from './stages/projections.js';
import { refusedStages } from './stages/refused.js';
import { regressionLoaders } from './stages/regression.js';
import { rformulaLoaders } from './stages/rformula.js';
import { scalerLoaders } from './stages/scalers.js';
import { sqlTransformerLoaders } from './stages/sql-transformer.js';
import { stringIndexerLoaders } from './stages/string-indexer.js';
import { textLoaders } from './stages/text.js';
import { treeLoaders } from './stages/trees.js';
import { tuningLoaders } from './stages/tuning.js';
import { vectorLoaders } from './stages/vectors.js';
import { xgboostLoaders } from './stages/xgboost.js';
import type { Table } from './table.js';

const PIPELINE_MODEL = 'org.apache.spark.ml.PipelineModel';

/** Every stage class scored natively, by its Spark (JVM) class name. */
const LOADERS: Record<string, StageLoader> = {
  [PIPELINE_MODEL]: loadPipelineStage,
  ...stringIndexerLoaders, ...encoderLoaders, ...vectorLoaders, ...interactionLoaders,
  ...discretizerLoaders, ...scalerLoaders, ...imputerLoaders, ...projectionLoaders,
  ...featureSelectionLoaders, ...textLoaders, ...hashingLoaders, ...sqlTransformerLoaders, ...rformulaLoaders,
  ...classificationLoaders, ...regressionLoaders, ...treeLoaders, ...clusteringLoaders,
  ...tuningLoaders, ...jpmmlLoaders, ...xgboostLoaders, ...lightgbmLoaders,
};

/** The Spark class names this implementation scores, sorted (for the README and messages). */
export function supportedStageClasses(): string[] {
  return Object.keys(LOADERS).sort();
}

/**
 * Loads the Spark ML model saved in `dir` (a PipelineModel or a single fitted stage), any Spark
 * 2.3 to 4.x. A stage class not implemented here is refused by name before anything is scored.
 */
export async function loadStage(dir: string): Promise<Stage> {
  const meta = await readMetadata(dir);
  const loader = Object.hasOwn(LOADERS, meta.className) ? LOADERS[meta.className] : undefined;
  if (!loader) {
    const why = refusedStages[meta.className];
    throw new MlflowError(
      `Spark ML stage ${meta.className} (${path.join(dir, 'metadata')}) is not supported natively${why ? ` (${why})` : ''}; use --runtime python`,
      'NOT_IMPLEMENTED',
    );
  }
  return loader(meta, loadStage);
}

/**
 * A PipelineModel: its stages live in `stages/<index>_<uid>`, the index zero-padded to the width
 * of the stage count; they are taken in index order and checked against `stageUids`.
 */
async function loadPipelineStage(meta: StageMetadata, load: LoadStage): Promise<Stage> {
  const uids = meta.params.strings('stageUids');
  const stagesDir = path.join(meta.dir, 'stages');
  let names: string[] = [];
  if (uids.length > 0) {
    try {
      names = await readdir(stagesDir);
    } catch {
      throw new MlflowError(`${stagesDir} does not exist: the PipelineModel is incomplete`, 'RESOURCE_DOES_NOT_EXIST');
    }
  }
  const byIndex = new Map<number, string>();
  for (const n of names) {
    const m = /^(\d+)_(.*)$/.exec(n);
    if (m) byIndex.set(Number(m[1]), n);
  }
  const stages: Stage[] = [];
  for (let i = 0; i < uids.length; i++) {
    const name = byIndex.get(i);
    if (name === undefined || name.slice(name.indexOf('_') + 1) !== uids[i]) {
      throw new MlflowError(`${stagesDir}: stage ${i} (${uids[i]}) is missing`, 'RESOURCE_DOES_NOT_EXIST');
    }
    stages.push(await load(path.join(stagesDir, name)));
  }
  return makeStage(meta, (t: Table) => stages.reduce((acc, s) => s.transform(acc), t), stages);
}

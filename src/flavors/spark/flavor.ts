import path from 'node:path';
import { MlflowError } from '../../errors.js';
import { isFrame, type Frame } from '../../frame/frame.js';
import type { FlavorModel, LoadContext } from '../flavor.js';
import { flavorPath } from '../../model/index.js';
import { loadStage } from './pipeline.js';
import { frameFromTable, tableFromFrame } from './frame-table.js';
import type { Stage } from './stage.js';
import { Table } from './table.js';

export const FLAVOR_NAME = 'spark';

/** A loaded Spark ML model: transform gives every column Spark's transform would. */
export interface SparkPipeline {
  readonly stage: Stage;
  transform(frame: Frame): Promise<Frame>;
}

/** Loads a saved Spark ML PipelineModel (or a single fitted stage) from its directory. */
export async function loadPipeline(dir: string): Promise<SparkPipeline> {
  const stage = await loadStage(path.resolve(dir));
  return { stage, transform: async (frame) => frameFromTable(stage.transform(tableFromFrame(frame))) };
}

/** A pipeline's last stage (what MLflow's wrapper inspects), or the stage itself. */
function lastStage(stage: Stage): Stage {
  return stage.stages && stage.stages.length > 0 && stage.className === 'org.apache.spark.ml.PipelineModel' ? stage.stages[stage.stages.length - 1] : stage;
}

/**
 * MLflow's _PyFuncModelWrapper.predict: the pipeline's "prediction" column as a list. As
 * mlflow.pyspark.ml's _check_or_set_model_prediction_column does, a pipeline ending in a
 * transformer with an outputCol that gives no "prediction" column writes its output there.
 */
function predictList(stage: Stage, input: unknown): unknown[] {
  // Number lists become vectors in tableFromFrame (MLflow's _find_and_set_features_col_as_vector_if_needed
  // and SparkMLVector signature columns do this for the features column).
  if (!isFrame(input)) throw new MlflowError('The spark flavor takes a table (a pandas DataFrame) as input', 'BAD_REQUEST');
  let out = stage.transform(tableFromFrame(input));
  let col = out.columns.get('prediction');
  if (!col) {
    const last = lastStage(stage);
    const outCol = last.params.optString('outputCol');
    if (outCol !== undefined && out.has(outCol)) col = out.columns.get(outCol);
  }
  if (!col) {
    throw new MlflowError(`The Spark model's output has no 'prediction' column (its columns: ${[...out.columns.keys()].join(', ')})`, 'INVALID_PARAMETER_VALUE');
  }
  out = new Table(new Map([['prediction', col]]), out.numRows);
  const frame = frameFromTable(out);
  return [...frame.columns[0].data.values];
}

/**
 * The `spark` flavor: `model_data` (default "sparkml") holds the Spark ML model MLflow saved.
 * Spark Connect models (model_class pyspark.ml.connect.*) use another format and are refused.
 */
export async function loadSparkFlavor(ctx: LoadContext): Promise<FlavorModel> {
  const modelClass = ctx.conf.model_class;
  if (typeof modelClass === 'string' && modelClass.startsWith('pyspark.ml.connect.')) {
    throw new MlflowError(`Spark Connect model ${modelClass} is not supported natively; use --runtime python`, 'NOT_IMPLEMENTED');
  }
  const dir = flavorPath(ctx.modelDir, { model_data: 'sparkml', ...ctx.conf }, FLAVOR_NAME, 'model_data');
  const { stage } = await loadPipeline(dir);
  return { predict: (input) => predictList(stage, input) };
}

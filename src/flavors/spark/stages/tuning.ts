import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../../errors.js';
import { argmax } from '../prediction-model.js';
import type { StageMetadata } from '../metadata.js';
import { at, dense } from '../linalg.js';
import { makeStage, stageName, type LoadStage, type Stage, type StageLoader } from '../stage.js';
import { doubleColumn, vectorColumn, vectorValues, type SparkColumn } from '../table.js';

/** CrossValidatorModel / TrainValidationSplitModel: transform is the best model's (`bestModel/`). */
async function loadTuned(meta: StageMetadata, load: LoadStage): Promise<Stage> {
  const best = await load(path.join(meta.dir, 'bestModel'));
  return makeStage(meta, (t) => best.transform(t), [best]);
}

/**
 * OneVsRestModel: one binary classifier per class (`model_<i>/`); the score of class i is
 * classifier i's rawPrediction[1]; the prediction is the best score.
 */
async function loadOneVsRest(meta: StageMetadata, load: LoadStage): Promise<Stage> {
  const where = stageName(meta);
  const numClasses = typeof meta.raw.numClasses === 'number' ? meta.raw.numClasses : (await readdir(meta.dir)).filter((n) => /^model_\d+$/.test(n)).length;
  const models: Stage[] = [];
  for (let i = 0; i < numClasses; i++) models.push(await load(path.join(meta.dir, `model_${i}`)));
  const rawCol = meta.params.optString('rawPredictionCol') ?? 'rawPrediction';
  const predCol = meta.params.string('predictionCol', 'prediction');
  return makeStage(meta, (t) => {
    const scores = Array.from({ length: t.numRows }, () => new Float64Array(numClasses));
    models.forEach((m, c) => {
      const col = m.params.optString('rawPredictionCol') ?? 'rawPrediction';
      if (col === '') throw new MlflowError(`${where}: classifier ${c} outputs no raw prediction`, 'INVALID_PARAMETER_VALUE');
      const vals = vectorValues(m.transform(t).get(col, where), col, where);
      vals.forEach((v, i) => {
        scores[i][c] = v === null ? NaN : at(v, 1);
      });
    });
    const out: [string, SparkColumn][] = [];
    if (rawCol !== '') out.push([rawCol, vectorColumn(scores.map((s) => dense(s)))]);
    out.push([predCol, doubleColumn(Float64Array.from(scores, argmax), { kind: 'nominal', numValues: numClasses })]);
    return t.with(out);
  }, models);
}

export const tuningLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.tuning.CrossValidatorModel': loadTuned,
  'org.apache.spark.ml.tuning.TrainValidationSplitModel': loadTuned,
  'org.apache.spark.ml.classification.OneVsRestModel': loadOneVsRest,
};

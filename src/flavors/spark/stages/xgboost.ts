import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readXGBoostModel, type XGBoostModel } from '../../../boosters/xgboost/index.js';
import { MlflowError } from '../../../errors.js';
import { NUMERIC } from '../attributes.js';
import { dense, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { argmax, featureVectors } from '../prediction-model.js';
import { makeStage, refuseParam, stageName, type Stage, type StageLoader } from '../stage.js';
import { doubleColumn, vectorColumn, type SparkColumn, type Table } from '../table.js';

async function readBooster(meta: StageMetadata): Promise<XGBoostModel> {
  const file = path.join(meta.dir, 'data', 'model');
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new MlflowError(`${file} does not exist: the xgboost4j-spark model is incomplete`, 'RESOURCE_DOES_NOT_EXIST');
  }
  return readXGBoostModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { file });
}

/**
 * The rows as XGBoost's DMatrix gets them from xgboost4j-spark: a dense vector gives every value,
 * a sparse one only its active values (the others are missing, not 0); a value equal to the
 * `missing` param is missing too.
 */
function matrix(features: readonly Vec[], nCols: number, missing: number): Float64Array {
  const rows = new Float64Array(features.length * nCols).fill(NaN);
  features.forEach((v, i) => {
    const base = i * nCols;
    if (v.indices === null) rows.set(v.values, base);
    else for (let k = 0; k < v.indices.length; k++) rows[base + v.indices[k]] = v.values[k];
  });
  if (!Number.isNaN(missing)) for (let i = 0; i < rows.length; i++) if (rows[i] === missing) rows[i] = NaN;
  return rows;
}

function settings(meta: StageMetadata): { missing: number } {
  refuseParam(meta, 'leafPredictionCol', (v) => v === '' || v === null);
  refuseParam(meta, 'contribPredictionCol', (v) => v === '' || v === null);
  refuseParam(meta, 'thresholds', (v) => v === null);
  return { missing: meta.params.has('missing') ? meta.params.number('missing') : NaN };
}

/**
 * xgboost4j-spark XGBoostClassificationModel, scored by src/boosters: rawPrediction (the margins;
 * [-m, m] for a binary model), probability (the objective's output; [1 - p, p] for a binary
 * model, 1 - p in double) and prediction (the likeliest class).
 */
async function loadXGBClassifier(meta: StageMetadata): Promise<Stage> {
  const { missing } = settings(meta);
  const model = await readBooster(meta);
  const binary = model.outputWidth === 1;
  const k = binary ? 2 : model.outputWidth;
  return makeStage(meta, (t: Table) => {
    const features = featureVectors(t, meta, model.numFeature);
    const n = features.length;
    const rows = matrix(features, model.numFeature, missing);
    const margins = model.predict(rows, n, model.numFeature, { outputMargin: true }).data;
    const probs = model.predict(rows, n, model.numFeature).data;
    const raw: Vec[] = [];
    const prob: Vec[] = [];
    const pred = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = binary ? Float64Array.of(-margins[i], margins[i]) : Float64Array.from(margins.subarray(i * k, (i + 1) * k));
      const p = binary ? Float64Array.of(1 - probs[i], probs[i]) : Float64Array.from(probs.subarray(i * k, (i + 1) * k));
      raw.push(dense(r));
      prob.push(dense(p));
      pred[i] = argmax(p);
    }
    const out: [string, SparkColumn][] = [];
    const rawCol = meta.params.optString('rawPredictionCol') ?? 'rawPrediction';
    const probCol = meta.params.optString('probabilityCol') ?? 'probability';
    const predCol = meta.params.optString('predictionCol') ?? 'prediction';
    const attrs = Array(k).fill(NUMERIC);
    if (rawCol !== '') out.push([rawCol, vectorColumn(raw, attrs)]);
    if (probCol !== '') out.push([probCol, vectorColumn(prob, attrs)]);
    if (predCol !== '') out.push([predCol, doubleColumn(pred, { kind: 'nominal', numValues: k })]);
    return t.with(out);
  });
}

/** xgboost4j-spark XGBoostRegressionModel: the booster's output as the prediction. */
async function loadXGBRegressor(meta: StageMetadata): Promise<Stage> {
  const { missing } = settings(meta);
  const model = await readBooster(meta);
  if (model.outputWidth !== 1) throw new MlflowError(`${stageName(meta)}: a regression booster with ${model.outputWidth} outputs is not supported natively`, 'NOT_IMPLEMENTED');
  return makeStage(meta, (t: Table) => {
    const features = featureVectors(t, meta, model.numFeature);
    const out = model.predict(matrix(features, model.numFeature, missing), features.length, model.numFeature).data;
    const predCol = meta.params.optString('predictionCol') ?? 'prediction';
    return predCol === '' ? t : t.with([[predCol, doubleColumn(Float64Array.from(out))]]);
  });
}

export const xgboostLoaders: Record<string, StageLoader> = {
  'ml.dmlc.xgboost4j.scala.spark.XGBoostClassificationModel': loadXGBClassifier,
  'ml.dmlc.xgboost4j.scala.spark.XGBoostRegressionModel': loadXGBRegressor,
};

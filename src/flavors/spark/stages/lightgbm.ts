import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readLightGBMModel, type LightGBMModel } from '../../../boosters/lightgbm/index.js';
import { MlflowError } from '../../../errors.js';
import { NUMERIC } from '../attributes.js';
import { dense, toArray, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { argmax, featureVectors } from '../prediction-model.js';
import { makeStage, refuseParam, type Stage, type StageLoader } from '../stage.js';
import { doubleColumn, vectorColumn, type SparkColumn, type Table } from '../table.js';

const MODEL_START = new TextEncoder().encode('tree\nversion=');

/**
 * The LightGBM text model inside SynapseML's `complexParams/lightGBMBooster`: a Java-serialized
 * LightGBMBooster whose modelStr is a Java string (TC_STRING with a 2-byte length, or
 * TC_LONGSTRING with an 8-byte one) starting "tree\nversion=". Only that string is read: the
 * Java objects around it are never instantiated.
 */
async function readBooster(meta: StageMetadata): Promise<LightGBMModel> {
  const file = path.join(meta.dir, 'complexParams', 'lightGBMBooster');
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new MlflowError(`${file} does not exist: the SynapseML LightGBM model is incomplete`, 'RESOURCE_DOES_NOT_EXIST');
  }
  const at = bytes.indexOf(MODEL_START);
  let length = -1;
  if (at >= 3 && bytes[at - 3] === 0x74) length = bytes.readUInt16BE(at - 2);
  else if (at >= 9 && bytes[at - 9] === 0x7c) length = Number(bytes.readBigUInt64BE(at - 8));
  if (length < 0 || at + length > bytes.length) throw new MlflowError(`${file} holds no LightGBM model string`, 'INVALID_PARAMETER_VALUE');
  return readLightGBMModel(bytes.subarray(at, at + length), { file });
}

/** SynapseML passes vectors as they are: a sparse vector's inactive values are zeros. */
function matrix(features: readonly Vec[], nCols: number): Float64Array {
  const rows = new Float64Array(features.length * nCols);
  features.forEach((v, i) => rows.set(toArray(v), i * nCols));
  return rows;
}

function checkParams(meta: StageMetadata): void {
  refuseParam(meta, 'leafPredictionCol', (v) => v === '' || v === null);
  refuseParam(meta, 'featuresShapCol', (v) => v === '' || v === null);
  refuseParam(meta, 'thresholds', (v) => v === null);
}

function iterations(meta: StageMetadata): { startIteration: number; numIteration: number } {
  return { startIteration: meta.params.number('startIteration', 0), numIteration: meta.params.has('numIterations') ? meta.params.number('numIterations') : -1 };
}

/**
 * SynapseML LightGBMClassificationModel: rawPrediction ([-s, s] for a binary model, else the
 * class scores), probability ([1 - p, p], else the class probabilities) and prediction.
 */
async function loadLGBMClassifier(meta: StageMetadata): Promise<Stage> {
  checkParams(meta);
  const model = await readBooster(meta);
  const it = iterations(meta);
  const binary = model.outputWidth === 1;
  const k = binary ? 2 : model.outputWidth;
  return makeStage(meta, (t: Table) => {
    const features = featureVectors(t, meta, model.numFeature);
    const n = features.length;
    const rows = matrix(features, model.numFeature);
    const raws = model.predict(rows, n, model.numFeature, { ...it, rawScore: true }).data;
    const probs = model.predict(rows, n, model.numFeature, it).data;
    const raw: Vec[] = [];
    const prob: Vec[] = [];
    const pred = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = binary ? Float64Array.of(-raws[i], raws[i]) : raws.slice(i * k, (i + 1) * k);
      const p = binary ? Float64Array.of(1 - probs[i], probs[i]) : probs.slice(i * k, (i + 1) * k);
      raw.push(dense(r));
      prob.push(dense(p));
      pred[i] = argmax(p);
    }
    const out: [string, SparkColumn][] = [];
    const attrs = Array(k).fill(NUMERIC);
    const rawCol = meta.params.optString('rawPredictionCol') ?? 'rawPrediction';
    const probCol = meta.params.optString('probabilityCol') ?? 'probability';
    const predCol = meta.params.optString('predictionCol') ?? 'prediction';
    if (rawCol !== '') out.push([rawCol, vectorColumn(raw, attrs)]);
    if (probCol !== '') out.push([probCol, vectorColumn(prob, attrs)]);
    if (predCol !== '') out.push([predCol, doubleColumn(pred, { kind: 'nominal', numValues: k })]);
    return t.with(out);
  });
}

/** SynapseML LightGBMRegressionModel: LightGBM's prediction (the objective's transform applied). */
async function loadLGBMRegressor(meta: StageMetadata): Promise<Stage> {
  checkParams(meta);
  const model = await readBooster(meta);
  const it = iterations(meta);
  return makeStage(meta, (t: Table) => {
    const features = featureVectors(t, meta, model.numFeature);
    const out = model.predict(matrix(features, model.numFeature), features.length, model.numFeature, it).data;
    const predCol = meta.params.optString('predictionCol') ?? 'prediction';
    return predCol === '' ? t : t.with([[predCol, doubleColumn(Float64Array.from(out))]]);
  });
}

export const lightgbmLoaders: Record<string, StageLoader> = {
  'com.microsoft.azure.synapse.ml.lightgbm.LightGBMClassificationModel': loadLGBMClassifier,
  'com.microsoft.azure.synapse.ml.lightgbm.LightGBMRegressionModel': loadLGBMRegressor,
};

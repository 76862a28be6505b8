import { MlflowError } from '../../../errors.js';
import { at, decodeVector, dot, toArray } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { field, numberArrayField, numberField, readDataRow } from '../model-data.js';
import { regressionStage } from '../prediction-model.js';
import { makeStage, refuseParam, stageName, type Stage, type StageLoader } from '../stage.js';
import { doubleColumn, numericValues } from '../table.js';
import { javaBinarySearch } from '../binary-search.js';
import { normalCdf } from './normal-cdf.js';

async function linearParts(meta: StageMetadata): Promise<{ coef: Float64Array; intercept: number; row: Record<string, unknown> }> {
  const where = stageName(meta);
  const row = await readDataRow(meta.dir);
  return {
    coef: toArray(decodeVector(field(row, 'coefficients', where), `${where} data 'coefficients'`)),
    intercept: numberField(row, 'intercept', where),
    row,
  };
}

/** LinearRegressionModel: x·β + intercept. */
async function loadLinearRegression(meta: StageMetadata): Promise<Stage> {
  const { coef, intercept } = await linearParts(meta);
  return regressionStage(meta, coef.length, (v) => dot(v, coef) + intercept);
}

const EPSILON = 1e-16;

/** The mean from the linear predictor: link⁻¹ then the family's projection, as Spark's FamilyAndLink.fitted. */
function meanFunction(meta: StageMetadata): (eta: number) => number {
  const p = meta.params;
  const family = p.choice('family', ['gaussian', 'binomial', 'poisson', 'gamma', 'tweedie'], 'gaussian');
  let unlink: (eta: number) => number;
  if (family === 'tweedie') {
    const power = p.has('linkPower') ? p.number('linkPower') : 1 - p.number('variancePower', 0);
    unlink = power === 0 ? Math.exp : (eta) => Math.pow(eta, 1 / power);
  } else {
    const defaults = { gaussian: 'identity', binomial: 'logit', poisson: 'log', gamma: 'inverse' } as const;
    const link = p.has('link') ? p.choice('link', ['identity', 'log', 'logit', 'probit', 'cloglog', 'inverse', 'sqrt']) : defaults[family];
    unlink = {
      identity: (eta: number) => eta,
      log: Math.exp,
      logit: (eta: number) => 1 / (1 + Math.exp(-eta)),
      probit: normalCdf,
      cloglog: (eta: number) => 1 - Math.exp(-Math.exp(eta)),
      inverse: (eta: number) => 1 / eta,
      sqrt: (eta: number) => eta * eta,
    }[link];
  }
  const project =
    family === 'gaussian'
      ? (mu: number) => (mu === -Infinity ? -Number.MAX_VALUE : mu === Infinity ? Number.MAX_VALUE : mu)
      : family === 'binomial'
        ? (mu: number) => (mu < EPSILON ? EPSILON : mu > 1 - EPSILON ? 1 - EPSILON : mu)
        : (mu: number) => (mu < EPSILON ? EPSILON : mu === Infinity ? Number.MAX_VALUE : mu);
  return (eta) => project(unlink(eta));
}

/**
 * GeneralizedLinearRegressionModel: every family (gaussian, binomial, poisson, gamma, tweedie)
 * and link; an offset column when offsetCol is set; linkPrediction when linkPredictionCol is.
 */
async function loadGLM(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const { coef, intercept } = await linearParts(meta);
  const mean = meanFunction(meta);
  const offsetCol = meta.params.optString('offsetCol') ?? '';
  const linkCol = meta.params.optString('linkPredictionCol') ?? '';
  const predCol = meta.params.string('predictionCol', 'prediction');
  const featuresCol = meta.params.string('featuresCol', 'features');
  return makeStage(meta, (t) => {
    const vals = t.get(featuresCol, where);
    if (vals.kind !== 'vector') throw new MlflowError(`${where}: column '${featuresCol}' must be a vector`, 'BAD_REQUEST');
    const offset = offsetCol === '' ? null : numericValues(t.get(offsetCol, where), offsetCol, where);
    const eta = new Float64Array(t.numRows);
    vals.values.forEach((v, i) => {
      if (v === null) throw new MlflowError(`${where}: features column '${featuresCol}' is null in row ${i}`, 'BAD_REQUEST');
      if (v.size !== coef.length) throw new MlflowError(`${where}: features column '${featuresCol}' holds vectors of size ${v.size} in row ${i}; the model expects ${coef.length}`, 'BAD_REQUEST');
      eta[i] = dot(v, coef) + intercept + (offset === null ? 0 : offset[i]);
    });
    const out: [string, ReturnType<typeof doubleColumn>][] = [];
    if (predCol !== '') out.push([predCol, doubleColumn(eta.map(mean))]);
    if (linkCol !== '') out.push([linkCol, doubleColumn(eta)]);
    return t.with(out);
  });
}

/** IsotonicRegressionModel: the fitted step function, linear between boundaries (Spark's predict). */
async function loadIsotonic(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const row = await readDataRow(meta.dir);
  const bounds = numberArrayField(row, 'boundaries', where);
  const preds = numberArrayField(row, 'predictions', where);
  const featureIndex = meta.params.number('featureIndex', 0);
  const featuresCol = meta.params.string('featuresCol', 'features');
  const predCol = meta.params.string('predictionCol', 'prediction');
  const predict = (x: number): number => {
    const found = javaBinarySearch(bounds, x);
    const ins = -found - 1;
    if (ins === 0) return preds[0];
    if (ins === bounds.length) return preds[preds.length - 1];
    if (found < 0) {
      const x1 = bounds[ins - 1];
      const y1 = preds[ins - 1];
      return y1 + ((preds[ins] - y1) * (x - x1)) / (bounds[ins] - x1);
    }
    return preds[found];
  };
  return makeStage(meta, (t) => {
    const col = t.get(featuresCol, where);
    const x = col.kind === 'vector'
      ? Float64Array.from(col.values, (v, i) => {
          if (v === null) throw new MlflowError(`${where}: features column '${featuresCol}' is null in row ${i}`, 'BAD_REQUEST');
          return at(v, featureIndex);
        })
      : numericValues(col, featuresCol, where);
    return t.with([[predCol, doubleColumn(x.map(predict))]]);
  });
}

/** AFTSurvivalRegressionModel: exp(x·β + intercept); the quantiles column is not computed natively. */
async function loadAFT(meta: StageMetadata): Promise<Stage> {
  refuseParam(meta, 'quantilesCol', (v) => v === '' || v === null);
  const { coef, intercept } = await linearParts(meta);
  return regressionStage(meta, coef.length, (v) => Math.exp(dot(v, coef) + intercept));
}

export const regressionLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.regression.LinearRegressionModel': loadLinearRegression,
  'org.apache.spark.ml.regression.GeneralizedLinearRegressionModel': loadGLM,
  'org.apache.spark.ml.regression.IsotonicRegressionModel': loadIsotonic,
  'org.apache.spark.ml.regression.AFTSurvivalRegressionModel': loadAFT,
};

import { MlflowError } from '../../errors.js';
import { NUMERIC, type Attr } from './attributes.js';
import { dense, type Vec } from './linalg.js';
import type { StageMetadata } from './metadata.js';
import { makeStage, stageName, type Stage } from './stage.js';
import { doubleColumn, Table, vectorColumn, vectorValues, type SparkColumn } from './table.js';

/** The feature vectors a predictor reads, checked for size when the model knows its width. */
export function featureVectors(t: Table, meta: StageMetadata, numFeatures: number | null): readonly Vec[] {
  const name = meta.params.string('featuresCol', 'features');
  const where = stageName(meta);
  const vals = vectorValues(t.get(name, where), name, where);
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    if (v === null) throw new MlflowError(`${where}: features column '${name}' is null in row ${i}`, 'BAD_REQUEST');
    if (numFeatures !== null && numFeatures >= 0 && v.size !== numFeatures) {
      throw new MlflowError(`${where}: features column '${name}' holds vectors of size ${v.size} in row ${i}; the model expects ${numFeatures}`, 'BAD_REQUEST');
    }
  }
  return vals as readonly Vec[];
}

export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** A regression model (PredictionModel): one double prediction column. */
export function regressionStage(meta: StageMetadata, numFeatures: number | null, predict: (v: Vec) => number, extra?: (t: Table, features: readonly Vec[]) => [string, SparkColumn][]): Stage {
  return makeStage(meta, (t) => {
    const out: [string, SparkColumn][] = [];
    const predCol = meta.params.string('predictionCol', 'prediction');
    if (predCol === '' && extra === undefined) return t;
    const features = featureVectors(t, meta, numFeatures);
    if (predCol !== '') out.push([predCol, doubleColumn(Float64Array.from(features, predict))]);
    if (extra) out.push(...extra(t, features));
    return t.with(out);
  });
}

/** How one classifier scores: raw scores, raw -> probability, and Spark's own prediction rules. */
export interface ClassifierScoring {
  readonly numClasses: number;
  readonly numFeatures: number | null;
  /** Writes the raw scores of v into out (numClasses long). */
  predictRaw(v: Vec, out: Float64Array): void;
  /** Writes the probabilities into out; null for a classifier without probabilities (LinearSVC). */
  raw2probability: ((raw: Float64Array, out: Float64Array) => void) | null;
  /** Defaults to Spark's ProbabilisticClassificationModel rules. */
  raw2prediction?: (raw: Float64Array) => number;
  probability2prediction?: (prob: Float64Array) => number;
}

/**
 * Spark's (Probabilistic)ClassificationModel.transform: rawPrediction, probability and
 * prediction columns, each only when its column param is non-empty. The prediction comes from
 * the raw scores when they are output, else from the probabilities, as in Spark.
 */
export function classifierStage(meta: StageMetadata, s: ClassifierScoring): Stage {
  const p = meta.params;
  const thresholds = p.isSet('thresholds') ? p.numbers('thresholds') : null;
  if (thresholds !== null && thresholds.length !== s.numClasses) {
    throw new MlflowError(`${p.where}: thresholds has ${thresholds.length} values for ${s.numClasses} classes`, 'INVALID_PARAMETER_VALUE');
  }
  const prob2pred = s.probability2prediction ?? ((prob: Float64Array) => {
    if (thresholds === null) return argmax(prob);
    return argmax(prob.map((x, i) => (thresholds[i] === 0 ? Infinity : x / thresholds[i])));
  });
  const raw2prob = s.raw2probability;
  const raw2pred = s.raw2prediction ?? ((raw: Float64Array) => {
    if (thresholds === null || raw2prob === null) return argmax(raw);
    const prob = new Float64Array(raw.length);
    raw2prob(raw, prob);
    return prob2pred(prob);
  });
  const predAttr: Attr = { kind: 'nominal', numValues: s.numClasses };
  const k = s.numClasses;
  return makeStage(meta, (t) => {
    const rawCol = p.optString('rawPredictionCol') ?? 'rawPrediction';
    const probCol = raw2prob === null ? '' : p.optString('probabilityCol') ?? 'probability';
    const predCol = p.optString('predictionCol') ?? 'prediction';
    if (rawCol === '' && probCol === '' && predCol === '') return t;
    const features = featureVectors(t, meta, s.numFeatures);
    const n = features.length;
    // one buffer per output column, each row a view of it: no allocation per row
    const raws = new Float64Array(n * k);
    const rawRows: Float64Array[] = new Array(n);
    for (let i = 0; i < n; i++) {
      rawRows[i] = raws.subarray(i * k, (i + 1) * k);
      s.predictRaw(features[i], rawRows[i]);
    }
    let probRows: Float64Array[] | null = null;
    if (raw2prob !== null && (probCol !== '' || rawCol === '')) {
      const probs = new Float64Array(n * k);
      probRows = new Array(n);
      for (let i = 0; i < n; i++) {
        probRows[i] = probs.subarray(i * k, (i + 1) * k);
        raw2prob(rawRows[i], probRows[i]);
      }
    }
    const out: [string, SparkColumn][] = [];
    const attrs = Array(k).fill(NUMERIC);
    if (rawCol !== '') out.push([rawCol, vectorColumn(rawRows.map((r) => dense(r)), attrs)]);
    if (probCol !== '' && probRows !== null) out.push([probCol, vectorColumn(probRows.map((r) => dense(r)), attrs)]);
    if (predCol !== '') {
      const pred = new Float64Array(n);
      for (let i = 0; i < n; i++) pred[i] = rawCol !== '' || probRows === null ? raw2pred(rawRows[i]) : prob2pred(probRows[i]);
      out.push([predCol, doubleColumn(pred, predAttr)]);
    }
    return t.with(out);
  });
}

/** raw normalised to sum 1, into out (Spark's normalizeToProbabilitiesInPlace). */
export function normalizeInto(raw: Float64Array, out: Float64Array): void {
  let sum = 0;
  for (let i = 0; i < raw.length; i++) sum += raw[i];
  for (let i = 0; i < raw.length; i++) out[i] = sum !== 0 ? raw[i] / sum : raw[i];
}

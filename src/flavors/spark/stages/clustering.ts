import { MlflowError } from '../../../errors.js';
import { decodeVector, dot, toArray, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { readDataRows } from '../model-data.js';
import { featureVectors } from '../prediction-model.js';
import { makeStage, stageName, type Stage, type StageLoader } from '../stage.js';

const EPS = Number.EPSILON;
const PRECISION = 1e-6;

function norm2(v: Vec): number {
  let s = 0;
  for (const x of v.values) s += x * x;
  return Math.sqrt(s);
}

function sqdist(a: Vec, b: Float64Array): number {
  const x = toArray(a);
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    const d = x[i] - b[i];
    s += d * d;
  }
  return s;
}

/**
 * Spark's fastSquaredDistance: ‖a‖² + ‖b‖² - 2a·b when that is precise enough, else the exact
 * squared distance; the same choice Spark makes, so near-ties break the same way.
 */
function fastSquaredDistance(center: Float64Array, cNorm: number, v: Vec, vNorm: number): number {
  const sumSquaredNorm = cNorm * cNorm + vNorm * vNorm;
  const normDiff = cNorm - vNorm;
  const bound1 = (2.0 * EPS * sumSquaredNorm) / (normDiff * normDiff + EPS);
  if (bound1 < PRECISION) return sumSquaredNorm - 2.0 * dot(v, center);
  if (v.indices !== null) {
    const d = dot(v, center);
    const sq = Math.max(sumSquaredNorm - 2.0 * d, 0.0);
    const bound2 = (EPS * (sumSquaredNorm + 2.0 * Math.abs(d))) / (sq + EPS);
    return bound2 > PRECISION ? sqdist(v, center) : sq;
  }
  return sqdist(v, center);
}

/** KMeansModel: the closest centre (euclidean or cosine), an integer prediction column. */
async function loadKMeans(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const rows = (await readDataRows(meta.dir)) as { clusterIdx: number; clusterCenter: unknown }[];
  rows.sort((a, b) => a.clusterIdx - b.clusterIdx);
  const centers = rows.map((r) => toArray(decodeVector(r.clusterCenter, `${where} data 'clusterCenter'`)));
  const norms = centers.map((c) => Math.sqrt(c.reduce((s, x) => s + x * x, 0)));
  const measure = meta.params.choice('distanceMeasure', ['euclidean', 'cosine'], 'euclidean');
  const numFeatures = centers.length > 0 ? centers[0].length : 0;
  const closest = (v: Vec): number => {
    const vn = norm2(v);
    let best = Infinity;
    let bestIdx = 0;
    for (let k = 0; k < centers.length; k++) {
      let d: number;
      if (measure === 'cosine') {
        d = 1 - dot(v, centers[k]) / vn / norms[k];
      } else {
        const lb = (norms[k] - vn) * (norms[k] - vn);
        if (!(lb < best)) continue;
        d = fastSquaredDistance(centers[k], norms[k], v, vn);
      }
      if (d < best) {
        best = d;
        bestIdx = k;
      }
    }
    return bestIdx;
  };
  return makeStage(meta, (t) => {
    const predCol = meta.params.string('predictionCol', 'prediction');
    if (centers.length === 0) throw new MlflowError(`${where}: the model has no cluster centres`, 'INVALID_PARAMETER_VALUE');
    const features = featureVectors(t, meta, numFeatures);
    return t.with([[predCol, { kind: 'numeric', type: 'int', values: Float64Array.from(features, closest) }]]);
  });
}

export const clusteringLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.clustering.KMeansModel': loadKMeans,
};

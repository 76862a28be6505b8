import { compressed, decodeVector, dense, multiply, toArray, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { field, readDataRow } from '../model-data.js';
import { stageName, type Stage, type StageLoader } from '../stage.js';
import { vectorMap } from '../vector-stage.js';

async function dataVector(meta: StageMetadata, name: string): Promise<Float64Array> {
  return toArray(decodeVector(field(await readDataRow(meta.dir), name, stageName(meta)), `${stageName(meta)} data '${name}'`));
}

/**
 * Spark's StandardScalerModel.getTransformFunc: (x - shift) * scale, scale being 1/std (0 where
 * std is 0). Scaling alone keeps a sparse vector sparse; centring makes it dense.
 */
function shiftScale(shift: Float64Array | null, scale: Float64Array | null): (v: Vec) => Vec {
  return (v) => {
    if (shift === null && scale !== null && v.indices !== null) return multiply(v, scale);
    const x = Float64Array.from(toArray(v));
    for (let i = 0; i < x.length; i++) {
      if (shift !== null && scale !== null) x[i] = (x[i] - shift[i]) * scale[i];
      else if (shift !== null) x[i] -= shift[i];
      else if (scale !== null) x[i] *= scale[i];
    }
    return dense(x);
  };
}

const reciprocalOrZero = (v: Float64Array): Float64Array => v.map((x) => (x === 0 ? 0 : 1 / x));

async function loadStandardScaler(meta: StageMetadata): Promise<Stage> {
  const std = await dataVector(meta, 'std');
  const mean = await dataVector(meta, 'mean');
  const withMean = meta.params.bool('withMean', false);
  const withStd = meta.params.bool('withStd', true);
  return vectorMap(meta, std.length, shiftScale(withMean ? mean : null, withStd ? reciprocalOrZero(std) : null));
}

async function loadRobustScaler(meta: StageMetadata): Promise<Stage> {
  const range = await dataVector(meta, 'range');
  const median = await dataVector(meta, 'median');
  const centre = meta.params.bool('withCentering', false);
  const scale = meta.params.bool('withScaling', true);
  return vectorMap(meta, range.length, shiftScale(centre ? median : null, scale ? reciprocalOrZero(range) : null));
}

async function loadMaxAbsScaler(meta: StageMetadata): Promise<Stage> {
  const maxAbs = await dataVector(meta, 'maxAbs');
  return vectorMap(meta, maxAbs.length, shiftScale(null, maxAbs.map((x) => (x === 0 ? 1 : 1 / x))));
}

/** MinMaxScalerModel: (x - min) * (max - min)/(range) + min; a constant feature maps to the middle. NaN stays NaN. */
async function loadMinMaxScaler(meta: StageMetadata): Promise<Stage> {
  const lo = await dataVector(meta, 'originalMin');
  const hi = await dataVector(meta, 'originalMax');
  const min = meta.params.number('min', 0);
  const scale = meta.params.number('max', 1) - min;
  const factor = hi.map((h, i) => (h - lo[i] !== 0 ? scale / (h - lo[i]) : 0));
  return vectorMap(meta, lo.length, (v) => {
    const x = Float64Array.from(toArray(v));
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i])) continue;
      x[i] = factor[i] !== 0 ? (x[i] - lo[i]) * factor[i] + min : 0.5 * scale + min;
    }
    return compressed(x);
  });
}

/** Normalizer: v / ||v||_p (unchanged when the norm is 0). */
function loadNormalizer(meta: StageMetadata): Stage {
  const p = meta.params.number('p', 2);
  return vectorMap(meta, null, (v) => {
    const x = v.values;
    let norm = 0;
    if (p === 1) for (const a of x) norm += Math.abs(a);
    else if (p === 2) {
      for (const a of x) norm += a * a;
      norm = Math.sqrt(norm);
    } else if (p === Infinity) for (const a of x) norm = Math.max(norm, Math.abs(a));
    else {
      for (const a of x) norm += Math.pow(Math.abs(a), p);
      norm = Math.pow(norm, 1 / p);
    }
    if (norm === 0) return v;
    return { size: v.size, indices: v.indices, values: x.map((a) => a / norm) };
  });
}

/** ElementwiseProduct: v * scalingVec. */
function loadElementwiseProduct(meta: StageMetadata): Stage {
  const w = toArray(decodeVector(meta.params.get('scalingVec'), `${stageName(meta)} param scalingVec`));
  return vectorMap(meta, w.length, (v) => multiply(v, w));
}

export const scalerLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.StandardScalerModel': loadStandardScaler,
  'org.apache.spark.ml.feature.RobustScalerModel': loadRobustScaler,
  'org.apache.spark.ml.feature.MaxAbsScalerModel': loadMaxAbsScaler,
  'org.apache.spark.ml.feature.MinMaxScalerModel': loadMinMaxScaler,
  'org.apache.spark.ml.feature.Normalizer': loadNormalizer,
  'org.apache.spark.ml.feature.ElementwiseProduct': loadElementwiseProduct,
};

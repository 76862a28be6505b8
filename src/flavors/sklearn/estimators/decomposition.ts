import { makeTensor } from '../../../frame/tensor.js';
import { MlflowError } from '../../../errors.js';
import { matrix, toMatrix, type Data, type Matrix } from '../data.js';
import type { Builder } from '../estimator.js';

function checkCols(x: Matrix, f: number, who: string): void {
  if (x.cols !== f) {
    throw new MlflowError(`X has ${x.cols} features, but ${who} is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
  }
}

/** (X - mean) @ components.T, optionally divided by sqrt(explained_variance) (PCA's whiten). */
function project(x: Matrix, comp: Float64Array, nComp: number, f: number, mean: Float64Array | null, scale: Float64Array | null): Matrix {
  const out = new Float64Array(x.rows * nComp);
  const row = new Float64Array(f);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < f; j++) row[j] = mean ? x.data[i * f + j] - mean[j] : x.data[i * f + j];
    for (let c = 0; c < nComp; c++) {
      let s = 0;
      for (let j = 0; j < f; j++) s += row[j] * comp[c * f + j];
      out[i * nComp + c] = scale ? s / scale[c] : s;
    }
  }
  return matrix(x.rows, nComp, out);
}

const pca: Builder = (s) => {
  const comp = s.floats('components_');
  const [nComp, f] = comp.shape;
  const mean = s.floats('mean_').data;
  const scale = s.bool('whiten', false) ? s.floats('explained_variance_').data.map(Math.sqrt) : null;
  return {
    className: s.className,
    transform(x: Data) {
      const m = toMatrix(x);
      checkCols(m, f, s.inst.name);
      return project(m, comp.data, nComp, f, mean, scale);
    },
  };
};

const truncatedSvd: Builder = (s) => {
  const comp = s.floats('components_');
  const [nComp, f] = comp.shape;
  return {
    className: s.className,
    transform(x: Data) {
      const m = toMatrix(x);
      checkCols(m, f, s.inst.name);
      return project(m, comp.data, nComp, f, null, null);
    },
  };
};

const kmeans: Builder = (s) => {
  const centers = s.floats('cluster_centers_');
  const [k, f] = centers.shape;
  const sqDist = (m: Matrix): Float64Array => {
    checkCols(m, f, s.inst.name);
    const out = new Float64Array(m.rows * k);
    for (let i = 0; i < m.rows; i++) {
      for (let c = 0; c < k; c++) {
        let acc = 0;
        for (let j = 0; j < f; j++) {
          const d = m.data[i * f + j] - centers.data[c * f + j];
          acc += d * d;
        }
        out[i * k + c] = acc;
      }
    }
    return out;
  };
  return {
    className: s.className,
    predict(x: Data) {
      const m = toMatrix(x);
      const d = sqDist(m);
      const labels = new Int32Array(m.rows);
      for (let i = 0; i < m.rows; i++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (d[i * k + c] < d[i * k + best]) best = c;
        labels[i] = best;
      }
      return makeTensor({ dtype: 'int32', shape: [m.rows], data: labels });
    },
    transform(x: Data) {
      const m = toMatrix(x);
      const d = sqDist(m);
      for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]);
      return matrix(m.rows, k, d);
    },
  };
};

export const decompositionBuilders: Record<string, Builder> = {
  'sklearn.decomposition.PCA': pca,
  'sklearn.decomposition.IncrementalPCA': pca,
  'sklearn.decomposition.TruncatedSVD': truncatedSvd,
  'sklearn.cluster.KMeans': kmeans,
  'sklearn.cluster.MiniBatchKMeans': kmeans,
};

import { makeTensor } from '../../../frame/tensor.js';
import { MlflowError } from '../../../errors.js';
import { sgemmDotF32 } from '../numpy-f32-sums.js';
import { matrix, toMatrix, withF32, type Data, type Matrix } from '../data.js';
import { floatTensor, type Builder, type Estimator } from '../estimator.js';

function checkCols(x: Matrix, f: number, who: string): void {
  if (x.cols !== f) {
    throw new MlflowError(`X has ${x.cols} features, but ${who} is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
  }
}

/** How PCA's transform computes X @ components.T around mean_ and whitening (see project). */
interface Projection {
  comp: Float64Array;
  nComp: number;
  f: number;
  mean: Float64Array | null;
  /** sqrt(explained_variance_) (whiten), clipped from below from scikit-learn 1.5. */
  scale: Float64Array | null;
  /** scikit-learn >= 1.5: X @ components.T - mean_ @ components.T; before: (X - mean_) @ components.T. */
  centerAfter: boolean;
  /**
   * float32 rows and float32 fitted arrays: numpy computes in float32. Each elementwise step is
   * rounded to float32 as numpy does; the product itself is BLAS sgemm, whose summation order is
   * its kernel's: it is summed here in float64 and rounded once (within a few float32 ulps).
   */
  f32: boolean;
}

function project(x: Matrix, p: Projection): Matrix {
  const { comp, nComp, f, mean, scale, centerAfter } = p;
  const r = p.f32 ? Math.fround : (v: number): number => v;
  const dot = (a: ArrayLike<number>, o: number, c: number): number => {
    if (p.f32) return sgemmDotF32(a, o, comp, c * f, f);
    let s = 0;
    for (let j = 0; j < f; j++) s += a[o + j] * comp[c * f + j];
    return s;
  };
  const meanProj = centerAfter && mean ? Float64Array.from({ length: nComp }, (_, c) => dot(mean, 0, c)) : null;
  const out = new Float64Array(x.rows * nComp);
  const row = new Float64Array(f);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < f; j++) row[j] = mean && !centerAfter ? r(x.data[i * f + j] - mean[j]) : x.data[i * f + j];
    for (let c = 0; c < nComp; c++) {
      let v = dot(row, 0, c);
      if (meanProj) v = r(v - meanProj[c]);
      out[i * nComp + c] = scale ? r(v / scale[c]) : v;
    }
  }
  return withF32(matrix(x.rows, nComp, out), p.f32);
}

const pca: Builder = (s) => {
  const comp = s.floats('components_');
  const [nComp, f] = comp.shape;
  const mean = s.floats('mean_').data;
  const whiten = s.bool('whiten', false);
  // numpy keeps float32 when components_, mean_ (and explained_variance_ when whitening) are float32
  const fittedF32 = s.isFloat32('components_') && s.isFloat32('mean_') && (!whiten || s.isFloat32('explained_variance_'));
  const centerAfter = s.sklearnAtLeast(1, 5);
  // from 1.5 a scale below the dtype's machine epsilon is raised to it (near-zero variances)
  const scaleOf = (f32: boolean): Float64Array | null => {
    if (!whiten) return null;
    const eps = f32 ? 2 ** -23 : 2 ** -52;
    const r = f32 ? Math.fround : (v: number): number => v;
    return s.floats('explained_variance_').data.map((v) => {
      const sc = r(Math.sqrt(v));
      return centerAfter && sc < eps ? eps : sc;
    });
  };
  const scales = { f64: scaleOf(false), f32: fittedF32 ? scaleOf(true) : null };
  const est: Estimator = {
    className: s.className,
    transform(x: Data) {
      const m = toMatrix(x);
      checkCols(m, f, s.inst.name);
      const f32 = fittedF32 && m.f32 === true;
      return project(m, { comp: comp.data, nComp, f, mean, scale: f32 ? scales.f32 : scales.f64, centerAfter, f32 });
    },
  };
  if (s.has('noise_variance_') && s.has('explained_variance_')) {
    // the probabilistic PCA log-likelihood of each row, from get_precision() as sklearn forms it
    const precision = pcaPrecision(comp.data, nComp, f, s.floats('explained_variance_').data, s.number('noise_variance_'), whiten);
    const ld = logDet(precision, f);
    const constant = 0.5 * (f * Math.log(2 * Math.PI) - ld);
    const scoreF32 = s.isFloat32('components_') && s.isFloat32('mean_') && s.isFloat32('explained_variance_');
    // fitted on float32, scikit-learn forms the precision in float32 (LAPACK's float32 inverse):
    // its answers are off by about 2.5e-8 times the precision's condition number, which we cannot
    // follow; above MAX_F32_CONDITION that may exceed 1e-5, so such models' score_samples is refused
    const condition = scoreF32 ? conditionNumber(precision, f) : 0;
    est.scoreSamples = (x: Data) => {
      const m = toMatrix(x);
      checkCols(m, f, s.inst.name);
      const f32 = scoreF32 && m.f32 === true;
      const out = new Float64Array(m.rows);
      const xr = new Float64Array(f);
      for (let i = 0; i < m.rows; i++) {
        for (let j = 0; j < f; j++) xr[j] = f32 ? Math.fround(m.data[i * f + j] - mean[j]) : m.data[i * f + j] - mean[j];
        let q = 0;
        for (let j = 0; j < f; j++) {
          let acc = 0;
          for (let l = 0; l < f; l++) acc += xr[l] * precision[l * f + j];
          q += xr[j] * acc;
        }
        out[i] = -0.5 * q - constant;
      }
      // a model fitted on float32 (float32 mean_, components_, explained_variance_: a float32
      // precision) scores float32 rows in float32: computed here in float64 from the same float32
      // parameters and rounded once (within ~2.5e-8 times the condition number)
      return floatTensor([m.rows], out, f32);
    };
    if (condition > MAX_F32_CONDITION) {
      const why = `fitted on float32, its precision matrix has condition number ${condition.toPrecision(3)}: scikit-learn's float32 inverse and quadratic form are not reproduced to float32 precision`;
      return { ...est, notNative: { score_samples: why } };
    }
  }
  return est;
};

/**
 * PCA.get_precision(): by the matrix inversion lemma, or the inverse of get_covariance() when the
 * noise variance is 0; whitened components are scaled back by sqrt(explained_variance_).
 */
function pcaPrecision(compIn: Float64Array, k: number, f: number, expVar: Float64Array, noise: number, whiten: boolean): Float64Array {
  if (k === 0) return Float64Array.from({ length: f * f }, (_, i) => (i % (f + 1) === 0 ? 1 / noise : 0));
  const comp = whiten ? compIn.map((v, i) => v * Math.sqrt(expVar[Math.floor(i / f)])) : compIn;
  const diff = expVar.map((v) => (v > noise ? v - noise : 0));
  if (noise === 0) {
    // covariance = components.T * diff @ components + noise * I
    const cov = new Float64Array(f * f);
    for (let a = 0; a < f; a++) {
      for (let b = 0; b < f; b++) {
        let acc = 0;
        for (let c = 0; c < k; c++) acc += comp[c * f + a] * diff[c] * comp[c * f + b];
        cov[a * f + b] = acc + (a === b ? noise : 0);
      }
    }
    return invert(cov, f);
  }
  const small = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let acc = 0;
      for (let j = 0; j < f; j++) acc += comp[a * f + j] * comp[b * f + j];
      small[a * k + b] = acc / noise + (a === b ? 1 / diff[a] : 0);
    }
  }
  const inv = invert(small, k);
  const out = new Float64Array(f * f);
  for (let a = 0; a < f; a++) {
    for (let b = 0; b < f; b++) {
      let acc = 0;
      for (let c = 0; c < k; c++) {
        let t = 0;
        for (let d = 0; d < k; d++) t += inv[c * k + d] * comp[d * f + b];
        acc += comp[c * f + a] * t;
      }
      out[a * f + b] = acc / -(noise * noise) + (a === b ? 1 / noise : 0);
    }
  }
  return out;
}

/**
 * Above this condition number a float32-fitted PCA's score_samples is refused: scikit-learn's
 * float32 answers were off by up to 2.6e-8 times the (2-norm) condition number in the fixtures
 * and sweeps, which the 1-norm one we compute bounds for a symmetric matrix; 400 keeps 1e-5.
 */
const MAX_F32_CONDITION = 400;

/** The 1-norm condition number ||A||_1 ||A^-1||_1 of an n x n matrix (Infinity if singular). */
function conditionNumber(a: Float64Array, n: number): number {
  const norm1 = (m: Float64Array): number => {
    let max = 0;
    for (let j = 0; j < n; j++) {
      let col = 0;
      for (let i = 0; i < n; i++) col += Math.abs(m[i * n + j]);
      max = Math.max(max, col);
    }
    return max;
  };
  try {
    return norm1(a) * norm1(invert(a, n));
  } catch {
    return Infinity;
  }
}

/** The inverse of an n x n matrix by Gauss-Jordan elimination with partial pivoting (LAPACK's getrf/getri choice of pivots). */
function invert(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    if (m[p * n + c] === 0) throw new MlflowError('PCA precision matrix is singular', 'INVALID_PARAMETER_VALUE');
    if (p !== c) for (const t of [m, inv]) for (let j = 0; j < n; j++) [t[c * n + j], t[p * n + j]] = [t[p * n + j], t[c * n + j]];
    const piv = m[c * n + c];
    for (let j = 0; j < n; j++) {
      m[c * n + j] /= piv;
      inv[c * n + j] /= piv;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const fct = m[r * n + c];
      if (fct === 0) continue;
      for (let j = 0; j < n; j++) {
        m[r * n + j] -= fct * m[c * n + j];
        inv[r * n + j] -= fct * inv[c * n + j];
      }
    }
  }
  return inv;
}

/** fast_logdet: log|det A| by LU with partial pivoting, -Infinity unless the determinant is positive. */
function logDet(a: Float64Array, n: number): number {
  const m = Float64Array.from(a);
  let sign = 1;
  let ld = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    if (m[p * n + c] === 0) return -Infinity;
    if (p !== c) {
      sign = -sign;
      for (let j = 0; j < n; j++) [m[c * n + j], m[p * n + j]] = [m[p * n + j], m[c * n + j]];
    }
    const piv = m[c * n + c];
    if (piv < 0) sign = -sign;
    ld += Math.log(Math.abs(piv));
    for (let r = c + 1; r < n; r++) {
      const fct = m[r * n + c] / piv;
      for (let j = c; j < n; j++) m[r * n + j] -= fct * m[c * n + j];
    }
  }
  return sign > 0 ? ld : -Infinity;
}

const truncatedSvd: Builder = (s) => {
  const comp = s.floats('components_');
  const [nComp, f] = comp.shape;
  const fittedF32 = s.isFloat32('components_');
  return {
    className: s.className,
    transform(x: Data) {
      const m = toMatrix(x);
      checkCols(m, f, s.inst.name);
      // X @ components_.T by BLAS: float32 for float32 rows and components
      return project(m, { comp: comp.data, nComp, f, mean: null, scale: null, centerAfter: false, f32: fittedF32 && m.f32 === true });
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
  // float32 rows and float32 centers: euclidean_distances computes in float64 chunks
  // (_euclidean_distances_upcast: ||x||^2 - 2 x.c + ||c||^2) and stores float32, then sqrt in float32
  const fittedF32 = s.isFloat32('cluster_centers_');
  const upcastDistancesF32 = (m: Matrix): Float64Array => {
    checkCols(m, f, s.inst.name);
    const cc = centers.data;
    const yy = Float64Array.from({ length: k }, (_, c) => {
      let acc = 0;
      for (let j = 0; j < f; j++) acc += cc[c * f + j] * cc[c * f + j];
      return acc;
    });
    const out = new Float64Array(m.rows * k);
    for (let i = 0; i < m.rows; i++) {
      let xx = 0;
      for (let j = 0; j < f; j++) xx += m.data[i * f + j] * m.data[i * f + j];
      for (let c = 0; c < k; c++) {
        let dot = 0;
        for (let j = 0; j < f; j++) dot += m.data[i * f + j] * cc[c * f + j];
        out[i * k + c] = Math.fround(Math.sqrt(Math.max(Math.fround(-2 * dot + xx + yy[c]), 0)));
      }
    }
    return out;
  };
  // predict's Cython kernel takes X and the centers in one float type: float32 rows for a model
  // fitted on float64 (MLflow casts a signature's float columns to float32) and float64 rows for
  // one fitted on float32 raise Cython's buffer error (memoryviews const from about 1.3)
  const checkDtype = (m: Matrix): void => {
    if ((m.f32 === true) === fittedF32) return;
    // the kernel's type is X's; the centers then do not fit it
    const [rows, fitted] = fittedF32 ? ['double', 'float'] : ['float', 'double'];
    throw new MlflowError(`Buffer dtype mismatch, expected '${s.sklearnAtLeast(1, 3) ? 'const ' : ''}${rows}' but got '${fitted}'`, 'INVALID_PARAMETER_VALUE');
  };
  return {
    className: s.className,
    predict(x: Data) {
      const m = toMatrix(x);
      checkDtype(m);
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
      if (fittedF32 && m.f32) return withF32(matrix(m.rows, k, upcastDistancesF32(m)), true);
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

import { MlflowError } from '../../../errors.js';
import { toMatrix, type Data, type Matrix } from '../data.js';
import { f64Tensor, Labels, logInPlace, outlierDetector, type Builder, type Estimator } from '../estimator.js';
import { denseFloats, State } from '../state.js';

/**
 * A libsvm model as sklearn keeps it: support vectors, dual coefficients, kernel. A model fitted
 * on sparse input scores dense rows as CSR ones, with libsvm's sparse kernels, whose sums over the
 * stored values in column order are the dense kernels' sums without their zero terms: the same.
 */
function readSvm(s: State) {
  const sv = denseFloats(s, 'support_vectors_');
  const [nSV, f] = sv.shape;
  const kernel = s.stringOr('kernel', 'rbf');
  if (!['linear', 'poly', 'rbf', 'sigmoid'].includes(kernel)) s.fail(`kernel '${kernel}' is not supported natively`);
  const gamma = s.number('_gamma');
  const degree = s.numberOr('degree', 3);
  const coef0 = s.numberOr('coef0', 0);
  const dual = denseFloats(s, '_dual_coef_');
  const intercept = s.floats('_intercept_').data;
  if (sv.shape.length !== 2 || dual.data.length !== dual.shape[0] * nSV) s.fail('_dual_coef_ does not match support_vectors_');
  const kernelRow = (x: Matrix, i: number, out: Float64Array): void => {
    if (x.cols !== f) {
      throw new MlflowError(`X has ${x.cols} features, but the SVM is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
    }
    const xo = i * f;
    for (let v = 0; v < nSV; v++) {
      const so = v * f;
      let acc = 0;
      if (kernel === 'rbf') {
        for (let j = 0; j < f; j++) {
          const d = x.data[xo + j] - sv.data[so + j];
          acc += d * d;
        }
        out[v] = Math.exp(-gamma * acc);
        continue;
      }
      for (let j = 0; j < f; j++) acc += x.data[xo + j] * sv.data[so + j];
      out[v] = kernel === 'linear' ? acc : kernel === 'poly' ? (gamma * acc + coef0) ** degree : Math.tanh(gamma * acc + coef0);
    }
  };
  return { nSV, dual: dual.data, dualRows: dual.shape[0], intercept, kernelRow };
}

/**
 * libsvm's one-vs-one decision values, (rows, k(k-1)/2): for classes i < j, the support vectors
 * of i weighted by dual row j-1 plus those of j weighted by row i, minus rho (= -intercept).
 */
function ovoDecision(s: State, x: Matrix) {
  const m = readSvmCached(s);
  const nSupport = s.floats('_n_support').data;
  const k = nSupport.length;
  const pairCount = (k * (k - 1)) / 2;
  if (nSupport.reduce((a, b) => a + b, 0) !== m.nSV || m.dualRows !== k - 1 || m.intercept.length !== pairCount) {
    s.fail('_n_support, _dual_coef_ and _intercept_ do not describe the same one-vs-one model');
  }
  const start = new Int32Array(k);
  for (let c = 1; c < k; c++) start[c] = start[c - 1] + nSupport[c - 1];
  const pairs = (k * (k - 1)) / 2;
  const out = new Float64Array(x.rows * pairs);
  const kv = new Float64Array(m.nSV);
  for (let r = 0; r < x.rows; r++) {
    m.kernelRow(x, r, kv);
    let p = 0;
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        let sum = 0;
        for (let v = 0; v < nSupport[i]; v++) sum += m.dual[(j - 1) * m.nSV + start[i] + v] * kv[start[i] + v];
        for (let v = 0; v < nSupport[j]; v++) sum += m.dual[i * m.nSV + start[j] + v] * kv[start[j] + v];
        out[r * pairs + p] = sum + m.intercept[p];
        p++;
      }
    }
  }
  return { k, pairs, dec: out };
}

const svmCache = new WeakMap<State, ReturnType<typeof readSvm>>();
function readSvmCached(s: State): ReturnType<typeof readSvm> {
  let m = svmCache.get(s);
  if (!m) {
    m = readSvm(s);
    svmCache.set(s, m);
  }
  return m;
}

/** libsvm's sigmoid of a decision value with Platt's A and B. */
function plattProb(dec: number, a: number, b: number): number {
  const fApB = dec * a + b;
  return fApB >= 0 ? Math.exp(-fApB) / (1 + Math.exp(-fApB)) : 1 / (1 + Math.exp(fApB));
}

/** libsvm's multiclass_probability (Wu, Lin and Weng's second method) for one row. */
function coupleProbabilities(k: number, r: Float64Array[], p: Float64Array): void {
  const Q = Array.from({ length: k }, () => new Float64Array(k));
  const Qp = new Float64Array(k);
  const maxIter = Math.max(100, k);
  const eps = 0.005 / k;
  for (let t = 0; t < k; t++) {
    p[t] = 1 / k;
    Q[t][t] = 0;
    for (let j = 0; j < t; j++) {
      Q[t][t] += r[j][t] * r[j][t];
      Q[t][j] = Q[j][t];
    }
    for (let j = t + 1; j < k; j++) {
      Q[t][t] += r[j][t] * r[j][t];
      Q[t][j] = -r[j][t] * r[t][j];
    }
  }
  for (let iter = 0; iter < maxIter; iter++) {
    let pQp = 0;
    for (let t = 0; t < k; t++) {
      Qp[t] = 0;
      for (let j = 0; j < k; j++) Qp[t] += Q[t][j] * p[j];
      pQp += p[t] * Qp[t];
    }
    let maxError = 0;
    for (let t = 0; t < k; t++) maxError = Math.max(maxError, Math.abs(Qp[t] - pQp));
    if (maxError < eps) break;
    for (let t = 0; t < k; t++) {
      const diff = (-Qp[t] + pQp) / Q[t][t];
      p[t] += diff;
      pQp = (pQp + diff * (diff * Q[t][t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
      for (let j = 0; j < k; j++) {
        Qp[j] = (Qp[j] + diff * Q[t][j]) / (1 + diff);
        p[j] /= 1 + diff;
      }
    }
  }
}

const classifier: Builder = (s) => {
  const labels = new Labels(s.array('classes_'));
  readSvmCached(s);
  const shape = s.stringOr('decision_function_shape', 'ovr');
  const breakTies = s.bool('break_ties', false);
  const probA = s.has('_probA') ? s.floats('_probA').data : s.has('probA_') ? s.floats('probA_').data : new Float64Array(0);
  const probB = s.has('_probB') ? s.floats('_probB').data : s.has('probB_') ? s.floats('probB_').data : new Float64Array(0);
  // classes_ decides the shape, as in sklearn; libsvm's own classes (_n_support) may be fewer
  // when a class had no weight at fit (a BaggingClassifier's subsample)
  const nClasses = labels.size;
  const decisionOvr = (x: Matrix) => {
    const { k, pairs, dec } = ovoDecision(s, x);
    if (nClasses === 2) {
      const out = new Float64Array(x.rows);
      for (let i = 0; i < x.rows; i++) out[i] = -dec[i];
      return { cols: 1, out };
    }
    if (shape === 'ovo') return { cols: pairs, out: dec };
    // _ovr_decision_function walks the pairs of classes_: past libsvm's pairs numpy's index fails
    if (k !== nClasses) throw new MlflowError(`index ${pairs} is out of bounds for axis 1 with size ${pairs}`, 'INVALID_PARAMETER_VALUE');
    // sklearn's _ovr_decision_function(dec < 0, -dec, k): votes plus bounded confidences
    const out = new Float64Array(x.rows * k);
    const conf = new Float64Array(k);
    for (let r = 0; r < x.rows; r++) {
      conf.fill(0);
      let p = 0;
      for (let i = 0; i < k; i++) {
        for (let j = i + 1; j < k; j++) {
          const d = dec[r * pairs + p++];
          conf[i] += d;
          conf[j] -= d;
          out[r * k + (d < 0 ? j : i)] += 1;
        }
      }
      for (let c = 0; c < k; c++) out[r * k + c] += conf[c] / (3 * (Math.abs(conf[c]) + 1));
    }
    return { cols: k, out };
  };
  const est: Estimator = {
    className: s.className,
    decisionFunction(x: Data) {
      const m = toMatrix(x);
      const { cols, out } = decisionOvr(m);
      return nClasses === 2 ? f64Tensor([m.rows], out) : f64Tensor([m.rows, cols], out);
    },
    predict(x: Data) {
      const m = toMatrix(x);
      const { k, pairs, dec } = ovoDecision(s, m);
      const idx = new Int32Array(m.rows);
      if (breakTies && k > 2 && shape === 'ovr') {
        const { out } = decisionOvr(m);
        for (let r = 0; r < m.rows; r++) {
          let best = 0;
          for (let c = 1; c < k; c++) if (out[r * k + c] > out[r * k + best]) best = c;
          idx[r] = best;
        }
        return labels.take(idx);
      }
      const votes = new Int32Array(k);
      for (let r = 0; r < m.rows; r++) {
        votes.fill(0);
        let p = 0;
        for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) votes[dec[r * pairs + p++] > 0 ? i : j]++;
        let best = 0;
        for (let c = 1; c < k; c++) if (votes[c] > votes[best]) best = c;
        idx[r] = best;
      }
      return labels.take(idx);
    },
  };
  // scikit-learn 1.9 deprecated the parameter: its default 'deprecated' means no probabilities
  const probability = s.raw('probability') === 'deprecated' ? false : s.bool('probability', false);
  if (probability && probA.length > 0) {
    est.predictProba = (x: Data) => {
      const m = toMatrix(x);
      const { k, pairs, dec } = ovoDecision(s, m);
      const out = new Float64Array(m.rows * k);
      const r = Array.from({ length: k }, () => new Float64Array(k));
      const p = new Float64Array(k);
      const minProb = 1e-7;
      for (let row = 0; row < m.rows; row++) {
        let q = 0;
        for (let i = 0; i < k; i++) {
          for (let j = i + 1; j < k; j++) {
            // libsvm's own min/max ((x>y)?x:y): a NaN decision value (a kernel that overflowed)
            // becomes minProb, where Math.max would keep the NaN
            const pr = plattProb(dec[row * pairs + q], probA[q], probB[q]);
            const lo = pr > minProb ? pr : minProb;
            const v = lo < 1 - minProb ? lo : 1 - minProb;
            r[i][j] = v;
            r[j][i] = 1 - v;
            q++;
          }
        }
        // sklearn's libsvm couples the pairwise estimates iteratively even for two classes
        coupleProbabilities(k, r, p);
        out.set(p, row * k);
      }
      return f64Tensor([m.rows, k], out);
    };
    est.predictLogProba = (x) => logInPlace(est.predictProba!(x));
  }
  return est;
};

const regressor: Builder = (s) => {
  const m = readSvmCached(s);
  return {
    className: s.className,
    predict(x: Data) {
      const mx = toMatrix(x);
      const out = new Float64Array(mx.rows);
      const kv = new Float64Array(m.nSV);
      for (let r = 0; r < mx.rows; r++) {
        m.kernelRow(mx, r, kv);
        let sum = 0;
        for (let v = 0; v < m.nSV; v++) sum += m.dual[v] * kv[v];
        out[r] = sum + m.intercept[0];
      }
      return f64Tensor([mx.rows], out);
    },
  };
};

/**
 * OneClassSVM: score_samples = sum(dual * K), decision = score_samples - offset_ (offset_ =
 * -intercept_ = rho); inliers (+1) where the decision is > 0.
 */
const oneClass: Builder = (s) => {
  const m = readSvmCached(s);
  const score = (x: Data, minus: number): Float64Array => {
    const mx = toMatrix(x);
    const d = new Float64Array(mx.rows);
    const kv = new Float64Array(m.nSV);
    for (let r = 0; r < mx.rows; r++) {
      m.kernelRow(mx, r, kv);
      let sum = 0;
      for (let v = 0; v < m.nSV; v++) sum += m.dual[v] * kv[v];
      d[r] = sum - minus;
    }
    return d;
  };
  return outlierDetector(s.className, score, -m.intercept[0], 'int64', false);
};

export const svmBuilders: Record<string, Builder> = {
  'sklearn.svm.OneClassSVM': oneClass,
  'sklearn.svm.SVC': classifier,
  'sklearn.svm.NuSVC': classifier,
  'sklearn.svm.SVR': regressor,
  'sklearn.svm.NuSVR': regressor,
};

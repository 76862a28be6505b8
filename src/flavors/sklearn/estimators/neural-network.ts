import { MlflowError } from '../../../errors.js';
import { makeTensor } from '../../../frame/tensor.js';
import { toMatrix, type Data } from '../data.js';
import type { NdArray } from '../../../formats/pickle/types.js';
import { expit, floatTensor, Labels, logInPlace, softmaxRows, softmaxRowsF32, type Builder, type Estimator } from '../estimator.js';
import { sgemmDotF32 } from '../numpy-f32-sums.js';
import { dtypeName, floatData, isNdArray, State } from '../state.js';

const ACTIVATIONS: Record<string, (v: number) => number> = {
  identity: (v) => v,
  relu: (v) => (v > 0 ? v : 0),
  tanh: Math.tanh,
  logistic: expit,
};

const f = Math.fround;

/**
 * The activations on float32 values, as numpy and scipy compute them in float32: scipy's expit
 * is 1 / (1 + expf(-x)) in float; np.tanh's float32 loop is numpy's own SIMD approximation, up
 * to an ulp from the correctly rounded tanh used here.
 */
const ACTIVATIONS_F32: Record<string, (v: number) => number> = {
  identity: (v) => v,
  relu: (v) => (v > 0 ? v : 0),
  tanh: (v) => f(Math.tanh(v)),
  logistic: (v) => f(1 / f(1 + f(Math.exp(-v)))),
};

/** A fitted multi-layer perceptron: its layers and the forward pass sklearn's predict runs. */
function readMlp(s: State) {
  const coefs = s.list('coefs_');
  const intercepts = s.list('intercepts_');
  if (coefs.length === 0 || coefs.length !== intercepts.length) s.fail('coefs_ and intercepts_ should list the same layers');
  const layers = coefs.map((c, i) => {
    const b = intercepts[i];
    if (!isNdArray(c) || c.shape.length !== 2 || !isNdArray(b)) return s.fail(`layer ${i} weights are not arrays`);
    const [nIn, nOut] = c.shape;
    if (b.data.length !== nOut) s.fail(`intercepts_[${i}] should hold ${nOut} values`);
    return { nIn, nOut, w: floatData(c, 'coefs_'), b: floatData(b, 'intercepts_') };
  });
  for (let i = 1; i < layers.length; i++) if (layers[i].nIn !== layers[i - 1].nOut) s.fail(`layer ${i} does not follow layer ${i - 1}`);
  const act = s.stringOr('activation', 'relu');
  if (!Object.hasOwn(ACTIVATIONS, act)) s.fail(`unknown activation '${act}'`);
  const outName = s.stringOr('out_activation_', 'identity');
  if (outName !== 'softmax' && !Object.hasOwn(ACTIVATIONS, outName)) s.fail(`unknown output activation '${outName}'`);
  const nOut = layers[layers.length - 1].nOut;
  // fitted on float32 rows, the weights are float32: on float32 rows numpy's forward pass is float32
  const fittedF32 = coefs.every((c, i) => isNdArray(c) && dtypeName(c.dtype) === 'float32' && dtypeName((intercepts[i] as NdArray).dtype) === 'float32');
  /** The output layer's values, (rows, nOut); `f32` when they are float32 (each one rounded). */
  const forward = (x: Data): { rows: number; out: Float64Array; f32: boolean } => {
    const m = toMatrix(x);
    if (m.cols !== layers[0].nIn) {
      throw new MlflowError(`X has ${m.cols} features, but ${s.inst.name} is expecting ${layers[0].nIn} features as input.`, 'INVALID_PARAMETER_VALUE');
    }
    const f32 = fittedF32 && m.f32 === true;
    const acts = f32 ? ACTIVATIONS_F32 : ACTIVATIONS;
    let a = m.data;
    layers.forEach((l, li) => {
      const z = new Float64Array(m.rows * l.nOut);
      for (let r = 0; r < m.rows; r++) {
        for (let o = 0; o < l.nOut; o++) {
          // float32: activation @ coefs_ by sgemm, then += intercepts_ in float32
          if (f32) {
            z[r * l.nOut + o] = f(sgemmDotF32(a, r * l.nIn, l.w, o, l.nIn, l.nOut) + l.b[o]);
            continue;
          }
          let acc = 0;
          for (let i = 0; i < l.nIn; i++) acc += a[r * l.nIn + i] * l.w[i * l.nOut + o];
          z[r * l.nOut + o] = acc + l.b[o];
        }
      }
      const last = li === layers.length - 1;
      if (!last) for (let i = 0; i < z.length; i++) z[i] = acts[act](z[i]);
      else if (outName === 'softmax') (f32 ? softmaxRowsF32 : softmaxRows)(m.rows, l.nOut, z);
      else for (let i = 0; i < z.length; i++) z[i] = acts[outName](z[i]);
      a = z;
    });
    return { rows: m.rows, out: a, f32 };
  };
  return { forward, nOut };
}

const classifier: Builder = (s) => {
  const { forward, nOut } = readMlp(s);
  const labels = new Labels(s.array('classes_'));
  const k = labels.size;
  if (s.stringOr('out_activation_', 'identity') === 'logistic' && nOut > 1) return multiLabel(s, forward, nOut);
  if (nOut !== (k === 2 ? 1 : k)) s.fail(`${nOut} outputs for ${k} classes`);
  const proba = (x: Data): { rows: number; p: Float64Array; f32: boolean } => {
    const { rows, out, f32 } = forward(x);
    if (nOut !== 1) return { rows, p: out, f32 };
    const p = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      p[r * 2] = f32 ? f(1 - out[r]) : 1 - out[r];
      p[r * 2 + 1] = out[r];
    }
    return { rows, p, f32 };
  };
  const est: Estimator = {
    className: s.className,
    predictProba(x) {
      const { rows, p, f32 } = proba(x);
      // fitted on one class: still the two columns [1 - p, p]
      return floatTensor([rows, Math.max(k, 2)], p, f32);
    },
    predictLogProba: (x) => logInPlace(est.predictProba!(x)),
    predict(x) {
      const { rows, out } = forward(x);
      const idx = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        // one class: LabelBinarizer's inverse gives it whatever the output
        if (k === 1) idx[r] = 0;
        else if (nOut === 1) idx[r] = out[r] > 0.5 ? 1 : 0;
        else {
          let best = 0;
          for (let c = 1; c < nOut; c++) if (out[r * nOut + c] > out[r * nOut + best]) best = c;
          idx[r] = best;
        }
      }
      return labels.take(idx);
    },
  };
  return est;
};

/**
 * A multi-label MLPClassifier (fitted on an indicator matrix): one logistic output per label;
 * predict is the 0/1 indicator (output > 0.5, int64), predict_proba the outputs themselves.
 */
function multiLabel(s: State, forward: (x: Data) => { rows: number; out: Float64Array; f32: boolean }, nOut: number): Estimator {
  const est: Estimator = {
    className: s.className,
    predictProba(x) {
      const { rows, out, f32 } = forward(x);
      return floatTensor([rows, nOut], out, f32);
    },
    predictLogProba: (x) => logInPlace(est.predictProba!(x)),
    predict(x) {
      const { rows, out } = forward(x);
      return makeTensor({ dtype: 'int64', shape: [rows, nOut], data: out.map((v) => (v > 0.5 ? 1 : 0)) });
    },
  };
  return est;
}

const regressor: Builder = (s) => {
  const { forward, nOut } = readMlp(s);
  return {
    className: s.className,
    predict(x) {
      const { rows, out, f32 } = forward(x);
      return floatTensor(nOut === 1 ? [rows] : [rows, nOut], out, f32);
    },
  };
};

export const neuralNetworkBuilders: Record<string, Builder> = {
  'sklearn.neural_network.MLPClassifier': classifier,
  'sklearn.neural_network.MLPRegressor': regressor,
};

/** The LabelBinarizer an MLPClassifier keeps, and its optimizer (kept after fit unless pruned). */
export const neuralNetworkHelpers = [
  'sklearn.preprocessing.LabelBinarizer', 'sklearn.neural_network.AdamOptimizer', 'sklearn.neural_network.SGDOptimizer',
];

import { MlflowError } from '../../../errors.js';
import { finishClassifier, notNative, oneHotSlot, type MojoReader } from './mojo-model.js';

/**
 * DeepLearning MOJOs (DeeplearningMojoReader): a feed-forward network over one-hot categoricals
 * (NA as each column's extra last level) and standardized numerics (NA as 0, the mean), weights
 * held as float32 as h2o-genmodel holds them. Hidden layers use `activation`; the output layer
 * is softmax for classifiers, linear for regression (then un-standardized and link-inverted).
 */

type Activation = (x: Float64Array, dropout: number, maxK: number) => Float64Array;

function dropout(x: Float64Array, ratio: number): Float64Array {
  if (ratio > 0) for (let i = 0; i < x.length; i++) x[i] *= 1 - ratio;
  return x;
}

const rectifier: Activation = (x) => x.map((v) => 0.5 * (v + Math.abs(v)));
const expRectifier: Activation = (x) => x.map((v) => (v >= 0 ? v : Math.exp(v) - 1));
const tanh: Activation = (x) => x.map((v) => 1 - 2 / (1 + Math.exp(2 * v)));
const maxout: Activation = (x, _r, maxK) => {
  const out = new Float64Array(x.length / maxK);
  for (let i = 0; i < out.length; i++) {
    // h2o-genmodel's index walk (i*maxK, +0, +1, +2 ...), kept as written
    let idx = i * maxK;
    let best = x[idx];
    for (let k = 0; k < maxK; k++) {
      idx += k;
      if (!(best > x[idx])) best = x[idx];
    }
    out[i] = best;
  }
  return out;
};

const ACTIVATIONS: Record<string, Activation> = {
  Linear: (x) => x,
  Softmax: (x) => {
    let max = x[0];
    for (const v of x) if (max < v) max = v;
    let sum = 0;
    const out = x.map((v) => Math.exp(v - max));
    for (const v of out) sum += v;
    return out.map((v) => v / sum);
  },
  Rectifier: rectifier,
  RectifierWithDropout: (x, r, k) => dropout(rectifier(x, r, k), r),
  ExpRectifier: expRectifier,
  ExpRectifierWithDropout: (x, r, k) => dropout(expRectifier(x, r, k), r),
  Tanh: tanh,
  TanhWithDropout: (x, r, k) => dropout(tanh(x, r, k), r),
  Maxout: maxout,
  MaxoutWithDropout: (x, r, k) => dropout(maxout(x, r, k), r),
};

const LINK_INV: Record<string, (f: number) => number> = {
  bernoulli: (f) => 1 / (1 + Math.min(1e19, Math.exp(-f))),
  quasibinomial: (f) => 1 / (1 + Math.min(1e19, Math.exp(-f))),
  multinomial: (f) => Math.min(1e19, Math.exp(f)),
  poisson: (f) => Math.min(1e19, Math.exp(f)),
  gamma: (f) => Math.min(1e19, Math.exp(f)),
  tweedie: (f) => Math.min(1e19, Math.exp(f)),
  gaussian: (f) => f,
  huber: (f) => f,
  laplace: (f) => f,
  quantile: (f) => f,
  AUTO: (f) => f,
};
const ENCODINGS = new Set(['AUTO', 'Enum', 'OneHotInternal', 'SortByResponse']);

export const deepLearningReader: MojoReader = {
  maxVersion: 1.1,
  read({ ini, meta }) {
    if (meta.category !== 'Binomial' && meta.category !== 'Multinomial' && meta.category !== 'Regression') {
      throw notNative(meta, `model category ${meta.category}`);
    }
    const encoding = ini.str('_genmodel_encoding', 'AUTO');
    if (!ENCODINGS.has(encoding)) throw notNative(meta, `categorical_encoding '${encoding}'`);
    const family = ini.str('distribution');
    const linkInv = LINK_INV[family];
    if (!linkInv) throw notNative(meta, `distribution '${family}'`);
    const activation = ini.str('activation');
    if (!ACTIVATIONS[activation]) throw notNative(meta, `activation '${activation}'`);
    const nums = ini.num('nums');
    const cats = ini.num('cats');
    const catOffsets = ini.nums('cat_offsets', []) ?? [];
    const normMul = ini.nums('norm_mul', []) ?? [];
    const normSub = ini.nums('norm_sub', []) ?? [];
    const respMul = ini.nums('norm_resp_mul', undefined);
    const respSub = ini.nums('norm_resp_sub', undefined);
    const useAll = ini.bool('use_all_factor_levels');
    const units = ini.nums('neural_network_sizes');
    const dropouts = ini.nums('hidden_dropout_ratios', []) ?? [];
    const layers = units.length - 1;
    const classifier = meta.category !== 'Regression';
    const acts = Array.from({ length: layers }, (_, l) => (l < layers - 1 ? activation : classifier ? 'Softmax' : 'Linear'));
    const weights: Float32Array[] = [];
    const biases: number[][] = [];
    for (let l = 0; l < layers; l++) {
      weights.push(Float32Array.from(ini.nums(`weight_layer${l}`)));
      biases.push(ini.nums(`bias_layer${l}`));
      const maxK = biases[l].length / units[l + 1];
      if (!Number.isInteger(maxK) || weights[l].length !== units[l] * units[l + 1] * maxK) {
        throw new MlflowError(`${meta.where}: DeepLearning layer ${l} weights do not match neural_network_sizes`, 'INVALID_PARAMETER_VALUE');
      }
    }
    const width = nums + (catOffsets[cats] ?? 0);
    if (width !== units[0]) throw new MlflowError(`${meta.where}: DeepLearning input width ${width} is not ${units[0]}`, 'INVALID_PARAMETER_VALUE');
    return {
      meta,
      predsSize: classifier ? meta.nclasses + 1 : 1,
      score0(row, _offset, preds) {
        let x: Float64Array = new Float64Array(units[0]);
        for (let i = 0; i < cats; i++) {
          const slot = oneHotSlot(row[i], i, catOffsets, useAll);
          if (slot >= 0) x[slot] = 1;
        }
        const base = catOffsets[cats] ?? 0;
        for (let i = 0; i < nums; i++) {
          let d = row[cats + i];
          if (normMul.length > 0) d = (d - normSub[i]) * normMul[i];
          x[base + i] = Number.isNaN(d) ? 0 : d;
        }
        for (let l = 0; l < layers; l++) {
          const out = units[l + 1];
          const inSize = x.length;
          const maxK = biases[l].length / out;
          const w = weights[l];
          const b = biases[l];
          const z = new Float64Array(out * maxK);
          for (let k = 0; k < maxK; k++) {
            for (let r = 0; r < out; r++) {
              const at = maxK * r + k;
              let s = b[at];
              for (let c = 0; c < inSize; c++) s += x[c] * w[maxK * (r * inSize + c) + k];
              z[at] = s;
            }
          }
          x = ACTIVATIONS[acts[l]](z, dropouts[l] ?? 0, maxK);
        }
        if (classifier) {
          for (let i = 0; i < meta.nclasses; i++) preds[i + 1] = x[i];
          finishClassifier(meta, row, preds);
        } else {
          preds[0] = linkInv(respMul ? x[0] / respMul[0] + respSub![0] : x[0]);
        }
      },
    };
  },
};

import { MlflowError } from '../../../errors.js';
import { decodeMatrix, decodeVector, dot, forEachActive, toArray, type Matrix, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { field, numberField, readDataRow } from '../model-data.js';
import { classifierStage } from '../prediction-model.js';
import { stageName, type Stage, type StageLoader } from '../stage.js';
import { softmaxInto } from './softmax.js';

function rowDot(m: Matrix, r: number, v: Vec): number {
  return dot(v, m.values, r * m.numCols);
}

/**
 * LogisticRegressionModel, binomial or multinomial (Spark 2.1+ data: coefficientMatrix and
 * interceptVector; Spark 2.0: coefficients and intercept). Binomial: raw [-m, m], P(0) =
 * 1/(1+e^m), prediction by `threshold`; multinomial: raw margins, softmax, `thresholds`.
 */
async function loadLogisticRegression(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const row = await readDataRow(meta.dir);
  const numClasses = numberField(row, 'numClasses', where);
  const numFeatures = numberField(row, 'numFeatures', where);
  let coef: Matrix;
  let intercept: Float64Array;
  let multinomial: boolean;
  if (Object.hasOwn(row, 'coefficientMatrix')) {
    coef = decodeMatrix(row.coefficientMatrix, `${where} data 'coefficientMatrix'`);
    intercept = toArray(decodeVector(field(row, 'interceptVector', where), `${where} data 'interceptVector'`));
    multinomial = field(row, 'isMultinomial', where) === true;
  } else {
    const c = toArray(decodeVector(field(row, 'coefficients', where), `${where} data 'coefficients'`));
    coef = { numRows: 1, numCols: c.length, values: c };
    intercept = Float64Array.of(numberField(row, 'intercept', where));
    multinomial = false;
  }
  const p = meta.params;
  if (multinomial) {
    return classifierStage(meta, {
      numClasses,
      numFeatures,
      predictRaw: (v, m) => {
        for (let k = 0; k < numClasses; k++) m[k] = rowDot(coef, k, v) + intercept[k];
      },
      raw2probability: softmaxInto,
    });
  }
  // binomial: Spark's getThreshold, from `thresholds` when those are set
  let threshold = p.number('threshold', 0.5);
  if (p.isSet('thresholds')) {
    const ts = p.numbers('thresholds');
    if (ts.length !== 2) throw new MlflowError(`${p.where}: a binomial model takes 2 thresholds`, 'INVALID_PARAMETER_VALUE');
    threshold = 1 / (1 + ts[0] / ts[1]);
  }
  const rawThreshold = threshold === 0 ? -Infinity : threshold === 1 ? Infinity : Math.log(threshold / (1 - threshold));
  return classifierStage(meta, {
    numClasses: 2,
    numFeatures,
    predictRaw: (v, out) => {
      const m = rowDot(coef, 0, v) + intercept[0];
      out[0] = -m;
      out[1] = m;
    },
    raw2probability: (raw, out) => {
      out[0] = 1 / (1 + Math.exp(-raw[0]));
      out[1] = 1 - out[0];
    },
    raw2prediction: (raw) => (raw[1] > rawThreshold ? 1 : 0),
    probability2prediction: (prob) => (prob[1] > threshold ? 1 : 0),
  });
}

/** LinearSVCModel: raw [-m, m]; prediction 1 when m > threshold. */
async function loadLinearSVC(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const row = await readDataRow(meta.dir);
  const coef = toArray(decodeVector(field(row, 'coefficients', where), `${where} data 'coefficients'`));
  const intercept = numberField(row, 'intercept', where);
  const threshold = meta.params.number('threshold', 0);
  return classifierStage(meta, {
    numClasses: 2,
    numFeatures: coef.length,
    predictRaw: (v, out) => {
      const m = dot(v, coef) + intercept;
      out[0] = -m;
      out[1] = m;
    },
    raw2probability: null,
    raw2prediction: (raw) => (raw[1] > threshold ? 1 : 0),
  });
}

/**
 * NaiveBayesModel: multinomial (pi + theta·x), bernoulli, complement and gaussian, each as
 * Spark 3 computes its raw scores; probabilities by softmax. Multinomial and bernoulli refuse
 * negative (resp. non 0/1) features, as Spark does.
 */
async function loadNaiveBayes(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const row = await readDataRow(meta.dir);
  const pi = toArray(decodeVector(field(row, 'pi', where), `${where} data 'pi'`));
  const theta = decodeMatrix(field(row, 'theta', where), `${where} data 'theta'`);
  const modelType = meta.params.choice('modelType', ['multinomial', 'bernoulli', 'complement', 'gaussian'], 'multinomial');
  const k = pi.length;
  const nf = theta.numCols;
  const check = (v: Vec, ok: (x: number) => boolean, what: string): void => {
    forEachActive(v, (_, x) => {
      if (!ok(x)) throw new MlflowError(`${where}: ${modelType} naive Bayes requires ${what} feature values`, 'BAD_REQUEST');
    });
  };
  let predictRaw: (v: Vec) => Float64Array;
  if (modelType === 'multinomial') {
    predictRaw = (v) => {
      check(v, (x) => x >= 0, 'non-negative');
      return pi.map((p, c) => rowDot(theta, c, v) + p);
    };
  } else if (modelType === 'bernoulli') {
    const negTheta = theta.values.map((x) => Math.log1p(-Math.exp(x)));
    const diff: Matrix = { numRows: k, numCols: nf, values: theta.values.map((x, i) => x - negTheta[i]) };
    const negSum = Array.from({ length: k }, (_, c) => {
      let s = 0;
      for (let j = 0; j < nf; j++) s += negTheta[c * nf + j];
      return s;
    });
    predictRaw = (v) => {
      check(v, (x) => x === 0 || x === 1, '0 or 1');
      return pi.map((p, c) => rowDot(diff, c, v) + p + negSum[c]);
    };
  } else if (modelType === 'complement') {
    predictRaw = (v) => {
      check(v, (x) => x >= 0, 'non-negative');
      const raw = new Float64Array(k);
      for (let c = 0; c < k; c++) raw[c] = rowDot(theta, c, v);
      let max = -Infinity;
      for (const x of raw) max = Math.max(max, x);
      let sumExp = 0;
      for (const x of raw) sumExp += Math.exp(x - max);
      const lse = Math.log(sumExp) + max;
      return raw.map((x) => x - lse);
    };
  } else {
    const sigma = decodeMatrix(field(row, 'sigma', where), `${where} data 'sigma'`);
    const logVarSum = Array.from({ length: k }, (_, c) => {
      let s = 0;
      for (let j = 0; j < nf; j++) s += Math.log(sigma.values[c * nf + j]);
      return s;
    });
    predictRaw = (v) => {
      const x = toArray(v);
      return pi.map((p, c) => {
        let s = 0;
        for (let j = 0; j < nf; j++) {
          const d = x[j] - theta.values[c * nf + j];
          s += (d * d) / sigma.values[c * nf + j];
        }
        return p - (s + logVarSum[c]) / 2;
      });
    };
  }
  return classifierStage(meta, { numClasses: k, numFeatures: nf, predictRaw: (v, out) => out.set(predictRaw(v)), raw2probability: softmaxInto });
}

/**
 * MultilayerPerceptronClassificationModel: affine layers (weights column-major out × in, then
 * the bias), sigmoid between them; raw = the last layer's output, probability = its softmax.
 */
async function loadMLP(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const layers = meta.params.numbers('layers');
  const w = toArray(decodeVector(field(await readDataRow(meta.dir), 'weights', where), `${where} data 'weights'`));
  let expected = 0;
  for (let l = 0; l + 1 < layers.length; l++) expected += layers[l] * layers[l + 1] + layers[l + 1];
  if (expected !== w.length) throw new MlflowError(`${where}: ${w.length} weights for layers [${layers.join(', ')}] (expected ${expected})`, 'INVALID_PARAMETER_VALUE');
  const predictRaw = (v: Vec): Float64Array => {
    let x = toArray(v);
    let off = 0;
    for (let l = 0; l + 1 < layers.length; l++) {
      const nIn = layers[l];
      const nOut = layers[l + 1];
      const y = new Float64Array(nOut);
      for (let o = 0; o < nOut; o++) {
        let s = 0;
        for (let i = 0; i < nIn; i++) s += w[off + i * nOut + o] * x[i];
        y[o] = s + w[off + nIn * nOut + o];
      }
      off += nIn * nOut + nOut;
      if (l + 2 < layers.length) for (let o = 0; o < nOut; o++) y[o] = 1 / (1 + Math.exp(-y[o]));
      x = y;
    }
    return x;
  };
  return classifierStage(meta, {
    numClasses: layers[layers.length - 1],
    numFeatures: layers[0],
    predictRaw: (v, out) => out.set(predictRaw(v)),
    raw2probability: softmaxInto,
  });
}

export const classificationLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.classification.LogisticRegressionModel': loadLogisticRegression,
  'org.apache.spark.ml.classification.LinearSVCModel': loadLinearSVC,
  'org.apache.spark.ml.classification.NaiveBayesModel': loadNaiveBayes,
  'org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel': loadMLP,
};

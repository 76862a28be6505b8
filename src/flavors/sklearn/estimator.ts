import { MlflowError } from '../../errors.js';
import { arrayTypeOf, type NumericArray, type NumericDType } from '../../frame/frame.js';
import { makeTensor, type Tensor } from '../../frame/tensor.js';
import type { NdArray } from '../../formats/pickle/types.js';
import type { Data } from './data.js';
import { pairwiseSumF32 } from './numpy-f32-sums.js';
import { dtypeName, isNdArray, type State } from './state.js';

/** The sklearn methods a pyfunc model may call (MLflow's predict_fn). */
export type SklearnMethod = 'predict' | 'predict_proba' | 'predict_log_proba' | 'decision_function' | 'transform' | 'score_samples';

/** A fitted estimator rebuilt from its pickle: the methods it has, as sklearn computes them. */
export interface Estimator {
  /** module.ClassName as pickled. */
  readonly className: string;
  predict?(x: Data): Tensor;
  predictProba?(x: Data): Tensor;
  predictLogProba?(x: Data): Tensor;
  decisionFunction?(x: Data): Tensor;
  transform?(x: Data): Data;
  /** Outlier detectors' per-row scores (IsolationForest, OneClassSVM, LocalOutlierFactor...). */
  scoreSamples?(x: Data): Tensor;
  /** For a TransformedTargetRegressor's transformer_. */
  inverseTransform?(x: Data): Data;
  /**
   * Every method refuses NaN and infinity in a dense Matrix itself, as check_array does, in the
   * pass that computes it (the linear models' kernels): the input check leaves those values to it.
   */
  readonly checksFiniteMatrix?: boolean;
  /**
   * Methods scikit-learn has for this model that are not computed natively, with why (the
   * loader refuses them as not supported natively, so the Python bridge may take the model).
   */
  readonly notNative?: Partial<Record<SklearnMethod, string>>;
}

/** Rebuilds any supported estimator (used by meta-estimators for their parts). */
export type BuildFn = (obj: unknown, where: string) => Estimator;
export type Builder = (s: State, build: BuildFn) => Estimator;

/** The methods `inner` has, each applied after `pre` (a Pipeline's earlier steps, a selector's columns). */
export function afterTransform(className: string, pre: (x: Data) => Data, inner: Estimator): Estimator {
  const est: Estimator = { className, notNative: inner.notNative };
  if (inner.predict) est.predict = (x) => inner.predict!(pre(x));
  if (inner.predictProba) est.predictProba = (x) => inner.predictProba!(pre(x));
  if (inner.predictLogProba) est.predictLogProba = (x) => inner.predictLogProba!(pre(x));
  if (inner.decisionFunction) est.decisionFunction = (x) => inner.decisionFunction!(pre(x));
  if (inner.transform) est.transform = (x) => inner.transform!(pre(x));
  return est;
}

/** np.column_stack of 1-D predictions (one per output) into (rows, outputs), keeping the first's dtype. */
export function columnStack(cols: Tensor[], rows: number): Tensor {
  const outs = cols.length;
  const { dtype, data: first } = cols[0];
  // the dtype's array, not the first's: each output's labels may sit in an array just wide enough for its own classes
  const out = Array.isArray(first) ? new Array<unknown>(rows * outs)
    : dtype === 'bool' ? new Uint8Array(rows * outs) : new (arrayTypeOf(dtype as NumericDType))(rows * outs);
  cols.forEach((c, o) => {
    for (let i = 0; i < rows; i++) (out as unknown[])[i * outs + o] = (c.data as ArrayLike<unknown>)[i];
  });
  return makeTensor({ dtype: cols[0].dtype, shape: [rows, outs], data: out } as Omit<Tensor, 'kind'>);
}

export function f64Tensor(shape: number[], data: Float64Array): Tensor {
  return makeTensor({ dtype: 'float64', shape, data });
}

/** float64 values as a float32 tensor when `f32` (numpy computed them in float32), else float64. */
export function floatTensor(shape: number[], data: Float64Array, f32: boolean): Tensor {
  return f32 ? makeTensor({ dtype: 'float32', shape, data: Float32Array.from(data) }) : f64Tensor(shape, data);
}

/** 2-D scores, or 1-D when there is one column (sklearn's ravel for binary decision functions). */
export function scoresTensor(rows: number, cols: number, data: Float64Array, f32 = false): Tensor {
  return floatTensor(cols === 1 ? [rows] : [rows, cols], data, f32);
}

/** An estimator's classes_, taken by index to build predict's output with classes_'s dtype. */
export class Labels {
  readonly size: number;
  private readonly arr: NdArray;
  readonly dtype: string;
  /** Numeric classes as float64, read once (predict looks one up per row). */
  private readonly numbers: Float64Array | null;

  /**
   * What a predict loop may write per row instead of a class index, to build its output without
   * an index array: the classes themselves when numeric, else their indices (see fromTable).
   */
  readonly table: Float64Array;

  /** The typed array such a loop writes into (see outputArray). */
  private readonly output: new (n: number) => NumericArray;

  constructor(arr: NdArray) {
    this.arr = arr;
    this.size = arr.data.length;
    this.dtype = dtypeName(arr.dtype);
    this.numbers = Array.isArray(arr.data) || this.dtype === 'bool' ? null : Float64Array.from(arr.data as ArrayLike<number>);
    this.table = this.numbers ?? Float64Array.from({ length: this.size }, (_, i) => i);
    const wide = this.numbers === null || this.dtype === 'int64' || this.dtype === 'uint64';
    this.output = wide ? integerArrayHolding(this.table) : arrayTypeOf(this.dtype as NumericDType);
  }

  /**
   * A new array for `rows` values of `table`, which fromTable takes as it is: the dtype's own
   * array, and for int64/uint64 classes (and class indices) the narrowest integer array holding
   * every one. A million labels in 1 MB rather than a Float64Array's 8: the memory is fresh, and
   * each 4 KB page of it costs a page fault (about 13 µs on a virtual machine).
   */
  outputArray(rows: number): NumericArray {
    return new this.output(rows);
  }

  /** predict's output from one `table` value per row, in an array from outputArray. */
  fromTable(values: NumericArray): Tensor {
    if (this.numbers === null) return this.take(values);
    return makeTensor({ dtype: this.dtype as NumericDType, shape: [values.length], data: values });
  }

  /** The classes at `indices` (an index that is not one of a class is an internal error, never `undefined`). */
  take(indices: ArrayLike<number>): Tensor {
    const n = indices.length;
    const name = this.dtype;
    const src = this.arr.data;
    const at = (i: number): number => {
      const k = indices[i];
      if ((k >>> 0) !== k || k >= this.size) throw new MlflowError(`class index ${k} is out of range for ${this.size} classes`, 'INTERNAL_ERROR');
      return k;
    };
    if (Array.isArray(src)) {
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = src[at(i)];
      return makeTensor({ dtype: name === 'string' ? 'string' : 'object', shape: [n], data: out });
    }
    if (name === 'bool') {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = (src as Uint8Array)[at(i)];
      return makeTensor({ dtype: 'bool', shape: [n], data: out });
    }
    const numbers = this.numbers!;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = numbers[at(i)];
    const dtype = name as NumericDType;
    return makeTensor({ dtype, shape: [n], data: castNumeric(dtype, out) });
  }
}

/** The narrowest integer typed array holding every value exactly, else Float64Array. */
function integerArrayHolding(values: Float64Array): new (n: number) => NumericArray {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (!Number.isInteger(v)) return Float64Array;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo >= 0) return hi <= 0xff ? Uint8Array : hi <= 0xffff ? Uint16Array : hi <= 0xffffffff ? Uint32Array : Float64Array;
  const m = Math.max(-lo - 1, hi);
  return m <= 0x7f ? Int8Array : m <= 0x7fff ? Int16Array : m <= 0x7fffffff ? Int32Array : Float64Array;
}

/** Float64Array values in the typed array numpy's dtype uses (int64 stays in a Float64Array). */
export function castNumeric(dtype: NumericDType, v: Float64Array): Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array {
  switch (dtype) {
    case 'float32': return Float32Array.from(v);
    case 'int32': return Int32Array.from(v);
    case 'int16': return Int16Array.from(v);
    case 'int8': return Int8Array.from(v);
    case 'uint32': return Uint32Array.from(v);
    case 'uint16': return Uint16Array.from(v);
    case 'uint8': return Uint8Array.from(v);
    default: return v;
  }
}

/** Index of the first maximum of each row (np.argmax: a NaN counts as the maximum, the first one wins). */
export function argmaxRows(rows: number, cols: number, data: Float64Array): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bv = data[i * cols];
    for (let j = 1; j < cols; j++) {
      const v = data[i * cols + j];
      if (v > bv || (v !== v && bv === bv)) {
        bv = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * The class index per row from boosting raw scores as scikit-learn >= 1.4 takes it: one score ->
 * 1 where it is > 0 (>= 0 when `zeroIsPositive`, GradientBoosting's rule), else the first argmax.
 */
export function rawDecision(r: Float64Array, k: number, zeroIsPositive: boolean): Int32Array {
  if (k > 1) return argmaxRows(r.length / k, k, r);
  return Int32Array.from(r, (v) => (v > 0 || (zeroIsPositive && v === 0) ? 1 : 0));
}

/**
 * A classifier whose predict is the argmax of its class probabilities, as sklearn's ensembles
 * and boosters are; `extra` adds methods such as decision_function.
 */
export function probaClassifier(
  className: string,
  labels: Labels,
  proba: (x: Data) => { rows: number; p: Float64Array },
  extra: Partial<Estimator> = {},
): Estimator {
  const k = labels.size;
  const est: Estimator = {
    className,
    ...extra,
    predictProba(x) {
      const { rows, p } = proba(x);
      return f64Tensor([rows, k], p);
    },
    predictLogProba: (x) => logInPlace(est.predictProba!(x)),
    predict(x) {
      const { rows, p } = proba(x);
      return labels.take(argmaxRows(rows, k, p));
    },
  };
  return est;
}

/**
 * classes_ of a classifier fitted on a 2-D y when `multi` (one array per output, as sklearn keeps
 * it), else the one array. Every output's labels must share the first's dtype: sklearn writes
 * all outputs' predictions into one array of classes_[0]'s dtype, a cast we do not reproduce.
 */
export function outputLabels(s: State, multi: boolean): Labels[] {
  if (!multi) return [new Labels(s.array('classes_'))];
  const labels = s.list('classes_').map((c, o) => {
    if (!isNdArray(c)) return s.fail(`classes_[${o}] should be a numpy array`);
    return new Labels(c);
  });
  for (let o = 1; o < labels.length; o++) {
    if (labels[o].dtype !== labels[0].dtype) s.fail(`classes_[${o}] is ${labels[o].dtype} while classes_[0] is ${labels[0].dtype}: mixed label dtypes across outputs are not supported natively`);
  }
  return labels;
}

/**
 * A classifier from each output's (rows, classes) probabilities. With several outputs predict
 * gives (rows, outputs) and predict_proba, a list of (rows, classes) arrays in sklearn, is one
 * (outputs, rows, classes) tensor (the same JSON) when every output has as many classes, and is
 * missing otherwise; with one output, probaClassifier's shapes.
 */
export function outputsClassifier(
  className: string,
  labels: Labels[],
  proba: (x: Data) => { rows: number; p: Float64Array[] },
  withLogProba: boolean,
): Estimator {
  const outs = labels.length;
  const est: Estimator = {
    className,
    predict(x) {
      const { rows, p } = proba(x);
      const picked = labels.map((l, o) => l.take(argmaxRows(rows, l.size, p[o])));
      return outs > 1 ? columnStack(picked, rows) : picked[0];
    },
  };
  const nc = labels[0].size;
  if (labels.every((l) => l.size === nc)) {
    est.predictProba = (x) => {
      const { rows, p } = proba(x);
      const data = new Float64Array(outs * rows * nc);
      p.forEach((po, o) => data.set(po, o * rows * nc));
      return f64Tensor(outs > 1 ? [outs, rows, nc] : [rows, nc], data);
    };
    if (withLogProba) est.predictLogProba = (x) => logInPlace(est.predictProba!(x));
  }
  return est;
}

export function logInPlace(t: Tensor): Tensor {
  const d = t.data as Float64Array;
  for (let i = 0; i < d.length; i++) d[i] = Math.log(d[i]);
  return t;
}

/**
 * Each row of (rows, k) scores minus its log-sum-exp, in place (log probabilities). `shiftFirst`:
 * as scikit-learn's discriminant mixin, (d - max) - log(sum(exp(d - max))); else as scipy's
 * logsumexp, d - (max + log(sum(exp(d - max)))). The two round differently.
 */
export function logNormalizeRows(rows: number, k: number, d: Float64Array, shiftFirst: boolean): void {
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, d[o + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(d[o + j] - max);
    const lse = shiftFirst ? Math.log(sum) : max + Math.log(sum);
    for (let j = 0; j < k; j++) d[o + j] = shiftFirst ? d[o + j] - max - lse : d[o + j] - lse;
  }
}

/** Row-wise softmax in place, as scipy's softmax: exp(x - max) / sum. */
export function softmaxRows(rows: number, cols: number, d: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) if (d[o + j] > m) m = d[o + j];
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(d[o + j] - m);
      d[o + j] = e;
      s += e;
    }
    for (let j = 0; j < cols; j++) d[o + j] /= s;
  }
}

/**
 * logNormalizeRows on float32 scores, as scikit-learn's own _logsumexp (utils/_array_api.py, the
 * one its float32-preserving estimators use) computes it in float32, each step rounded: the row's
 * maxima (m of them) left out of sum(exp(d - max)) (numpy's pairwise sum), that sum divided by m,
 * lse = log1p(s) + log(m) + max, then d - lse. exp, log and log1p are rounded from float64
 * (numpy's float32 ones are SIMD approximations, up to ~3 ulps away).
 */
export function logNormalizeRowsF32(rows: number, k: number, d: Float64Array): void {
  const f = Math.fround;
  const e = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, d[o + j]);
    const shift = Number.isFinite(max) ? max : 0;
    let m = 0;
    for (let j = 0; j < k; j++) {
      const atMax = d[o + j] === max;
      if (atMax) m++;
      e[j] = atMax ? 0 : f(Math.exp(f(d[o + j] - shift)));
    }
    let sum = pairwiseSumF32(e, 0, k);
    if (sum !== 0) sum = f(sum / m);
    const lse = f(f(f(Math.log1p(sum)) + f(Math.log(m))) + max);
    for (let j = 0; j < k; j++) d[o + j] = f(d[o + j] - lse);
  }
}

/**
 * scikit-learn's softmax on float32 scores, in place: each step in float32 (X -= max; exp; X /=
 * sum, numpy's float32 pairwise sum). exp is Math.exp rounded to float32: numpy's own float32
 * exp (a SIMD approximation) is up to 2 ulps from that, so a result may be an ulp or two off.
 */
export function softmaxRowsF32(rows: number, cols: number, d: Float64Array): void {
  const f = Math.fround;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) if (d[o + j] > m) m = d[o + j];
    for (let j = 0; j < cols; j++) d[o + j] = f(Math.exp(f(d[o + j] - m)));
    const sum = pairwiseSumF32(d, o, cols);
    for (let j = 0; j < cols; j++) d[o + j] = f(d[o + j] / sum);
  }
}

export function expit(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * An outlier detector from its scores: `score(x, minus)` gives score_samples - minus per row;
 * decision_function is score_samples - offset_ and predict is +1 (inlier) where the decision
 * is > 0, or also where it is 0 when `zeroIsInlier`, else -1, in the integer dtype sklearn uses.
 * Scores are float32 for the rows `f32Of` says numpy scores in float32 (`score` rounds them).
 */
export function outlierDetector(
  className: string,
  score: (x: Data, minus: number) => Float64Array,
  offset: number,
  predictDtype: 'int32' | 'int64',
  zeroIsInlier: boolean,
  f32Of: (x: Data) => boolean = () => false,
): Estimator {
  return {
    className,
    scoreSamples: (x) => floatTensor([x.rows], score(x, 0), f32Of(x)),
    decisionFunction: (x) => floatTensor([x.rows], score(x, offset), f32Of(x)),
    predict(x) {
      const d = score(x, offset);
      const label = (v: number): number => (v > 0 || (zeroIsInlier && v === 0) ? 1 : -1);
      return makeTensor({ dtype: predictDtype, shape: [x.rows], data: predictDtype === 'int32' ? Int32Array.from(d, label) : d.map(label) });
    },
  };
}

import { MlflowError, NotSupportedNativelyError } from '../../../errors.js';
import { einsumRowSquaresF32, pairwiseSumF32 } from '../numpy-f32-sums.js';
import { matrix, toMatrix, withF32, withInts, type Data, type Matrix } from '../data.js';
import type { Builder, Estimator } from '../estimator.js';
import { isInstance, type State } from '../state.js';

function checkCols(x: Matrix, f: number, who: string): void {
  if (x.cols !== f) {
    throw new MlflowError(`X has ${x.cols} features, but ${who} is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
  }
}

/**
 * A value's new value in column j; `r` rounds the result of each operation to the dtype numpy
 * computes in (Math.fround for float32 rows: sklearn's in-place `X -= mean_` on float32 X rounds
 * each step to float32), or leaves it (float64).
 */
export type ColumnFn = (v: number, j: number, r: (v: number) => number) => number;

const exact = (v: number): number => v;

/** Rounding to the dtype of `m`'s values: Math.fround for float32 rows, else none. */
export function roundingOf(m: Matrix): (v: number) => number {
  return m.f32 ? Math.fround : exact;
}

/**
 * Maps each value of column j through fn(value, j, r). float32 rows stay float32 (as sklearn's
 * dtype-preserving transformers keep them), each result rounded to float32.
 */
export function mapColumns(x: Data, f: number, who: string, fn: ColumnFn): Matrix {
  const m = toMatrix(x);
  checkCols(m, f, who);
  const r = roundingOf(m);
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < f; j++) out[i * f + j] = r(fn(m.data[i * f + j], j, r));
  }
  return withF32(matrix(m.rows, f, out), m.f32 === true);
}

/** A transformer that maps each value of column j through fn(value, j) (and back with inverse). */
function elementwise(s: State, f: number, fn: ColumnFn, inverse?: ColumnFn): Estimator {
  const est: Estimator = { className: s.className, transform: (x: Data) => mapColumns(x, f, s.inst.name, fn) };
  if (inverse) est.inverseTransform = (x: Data) => mapColumns(x, f, s.inst.name, inverse);
  return est;
}

function optionalFloats(s: State, key: string): Float64Array | null {
  return s.has(key) ? s.floats(key).data : null;
}

const standardScaler: Builder = (s) => {
  const mean = s.bool('with_mean', true) ? optionalFloats(s, 'mean_') : null;
  const scale = s.bool('with_std', true) ? optionalFloats(s, 'scale_') : null;
  const f = s.number('n_features_in_');
  // from 1.8 (array API support, PR #27113) mean_ and scale_ are cast to X's dtype first: on
  // float32 rows each is rounded to float32 before the operation
  const a = s.sklearnAtLeast(1, 8) ? (v: number, r: (v: number) => number) => r(v) : (v: number) => v;
  return elementwise(s, f, (v, j, r) => {
    const c = mean ? r(v - a(mean[j], r)) : v;
    return scale ? r(c / a(scale[j], r)) : c;
  }, (v, j, r) => {
    const c = scale ? r(v * a(scale[j], r)) : v;
    return mean ? r(c + a(mean[j], r)) : c;
  });
};

const robustScaler: Builder = (s) => {
  const center = s.bool('with_centering', true) ? optionalFloats(s, 'center_') : null;
  const scale = s.bool('with_scaling', true) ? optionalFloats(s, 'scale_') : null;
  return elementwise(s, s.number('n_features_in_'), (v, j, r) => {
    const c = center ? r(v - center[j]) : v;
    return scale ? r(c / scale[j]) : c;
  }, (v, j, r) => {
    const c = scale ? r(v * scale[j]) : v;
    return center ? r(c + center[j]) : c;
  });
};

const minMaxScaler: Builder = (s) => {
  const scale = s.floats('scale_').data;
  const min = s.floats('min_').data;
  const clip = s.bool('clip', false);
  const range = s.list('feature_range') as number[];
  const [lo, hi] = [Number(range[0]), Number(range[1])];
  // X *= scale_; X += min_ (two roundings on float32 rows)
  return elementwise(s, scale.length, (v, j, r) => {
    const t = r(r(v * scale[j]) + min[j]);
    return clip ? Math.min(hi, Math.max(lo, t)) : t;
  }, (v, j, r) => r(r(v - min[j]) / scale[j]));
};

const maxAbsScaler: Builder = (s) => {
  const scale = s.floats('scale_').data;
  return elementwise(s, scale.length, (v, j, r) => r(v / scale[j]), (v, j, r) => r(v * scale[j]));
};

const binarizer: Builder = (s) => {
  const t = s.numberOr('threshold', 0);
  return elementwise(s, s.number('n_features_in_'), (v) => (v > t ? 1 : 0));
};

const normalizer: Builder = (s) => {
  const norm = s.stringOr('norm', 'l2');
  if (!['l1', 'l2', 'max'].includes(norm)) s.fail(`unknown norm '${norm}'`);
  return {
    className: s.className,
    transform(x: Data) {
      const m = toMatrix(x);
      const r = roundingOf(m);
      const out = Float64Array.from(m.data);
      for (let i = 0; i < m.rows; i++) {
        const o = i * m.cols;
        let n = 0;
        // float32 rows: np.abs(X).sum(axis=1) and einsum's sum of squares in numpy's float32 order
        if (norm === 'l1' && m.f32) n = pairwiseSumF32(out.subarray(o, o + m.cols).map(Math.abs), 0, m.cols);
        else if (norm === 'l2' && m.f32) n = einsumRowSquaresF32(out, o, m.cols);
        else {
          for (let j = 0; j < m.cols; j++) {
            const v = Math.abs(out[o + j]);
            n = norm === 'l1' ? n + v : norm === 'l2' ? n + v * v : Math.max(n, v);
          }
        }
        if (norm === 'l2') n = r(Math.sqrt(n));
        if (n === 0) continue;
        for (let j = 0; j < m.cols; j++) out[o + j] = r(out[o + j] / n);
      }
      return withF32(matrix(m.rows, m.cols, out), m.f32 === true);
    },
  };
};

/** The powers of each output feature, in sklearn's order (degree by degree, combinations). */
function polynomialPowers(f: number, minDeg: number, maxDeg: number, interactionOnly: boolean, bias: boolean): number[][] {
  const out: number[][] = [];
  if (bias) out.push([]);
  const rec = (start: number, left: number, acc: number[]) => {
    if (left === 0) {
      out.push([...acc]);
      return;
    }
    for (let j = start; j < f; j++) {
      acc.push(j);
      rec(interactionOnly ? j + 1 : j, left - 1, acc);
      acc.pop();
    }
  };
  for (let d = Math.max(1, minDeg); d <= maxDeg; d++) rec(0, d, []);
  return out;
}

const polynomialFeatures: Builder = (s) => {
  const f = s.number('n_features_in_');
  const deg = s.raw('degree');
  let [minDeg, maxDeg] = [0, 2];
  if (typeof deg === 'number') maxDeg = deg;
  else if (Array.isArray(deg)) [minDeg, maxDeg] = [Number(deg[0]), Number(deg[1])];
  else s.fail('degree should be an int or a tuple');
  const terms = polynomialPowers(f, minDeg, maxDeg, s.bool('interaction_only', false), s.bool('include_bias', true));
  return {
    className: s.className,
    transform(x: Data) {
      const m = toMatrix(x);
      checkCols(m, f, s.inst.name);
      const r = roundingOf(m);
      const w = terms.length;
      const out = new Float64Array(m.rows * w);
      for (let i = 0; i < m.rows; i++) {
        for (let t = 0; t < w; t++) {
          // sklearn makes a degree-d term as x[j1] * (its degree d-1 term over j2..jd), in X's dtype
          const term = terms[t];
          let v = term.length === 0 ? 1 : m.data[i * f + term[term.length - 1]];
          for (let k = term.length - 2; k >= 0; k--) v = r(m.data[i * f + term[k]] * v);
          out[i * w + t] = v;
        }
      }
      return withF32(matrix(m.rows, w, out), m.f32 === true);
    },
  };
};

/** numpy functions a FunctionTransformer may name, applied element by element. */
const NUMPY_FUNCS: Record<string, (v: number) => number> = {
  log: Math.log, log1p: Math.log1p, log2: Math.log2, log10: Math.log10, exp: Math.exp, expm1: Math.expm1,
  sqrt: Math.sqrt, abs: Math.abs, absolute: Math.abs, square: (v) => v * v, negative: (v) => -v,
  sin: Math.sin, cos: Math.cos, tanh: Math.tanh, sign: Math.sign, reciprocal: (v) => 1 / v,
  floor: Math.floor, ceil: Math.ceil, trunc: Math.trunc, rint: roundHalfEven, cbrt: Math.cbrt,
  exp2: (v) => 2 ** v, arctan: Math.atan, arcsinh: Math.asinh, sinh: Math.sinh, cosh: Math.cosh,
};

/**
 * The numpy functions that keep an int64 column int64, computing in integers: np.reciprocal
 * divides in integers (1 and -1 are their own reciprocals, 0 gives int64's minimum, anything
 * else 0); np.square would wrap past int64 (and past 2^53 we could not hold the value exactly),
 * so such a square is refused. floor, ceil and trunc keep int64 from numpy 2.1 (INT64_ROUNDING).
 * The others (log, exp, sqrt, rint, ...) compute in float64.
 */
const INT64_FUNCS: Record<string, (v: number) => number> = {
  // 0 - v: an integer has no -0
  abs: Math.abs, absolute: Math.abs, negative: (v) => 0 - v, sign: Math.sign,
  square: (v) => {
    if (!Number.isSafeInteger(v * v)) {
      throw new MlflowError(`np.square of the int64 value ${v} is beyond 2^53 (numpy computes it in int64, wrapping past 2^63), which mlflow-ts cannot represent exactly`, 'INVALID_PARAMETER_VALUE');
    }
    return v * v;
  },
  reciprocal: (v) => (v === 0 ? -(2 ** 63) : Math.abs(v) === 1 ? v : 0),
};

/**
 * numpy's TypeError for a function on an object array holding None where the function calls a
 * Python operator or math function; the others call None's method named after them.
 */
const NONE_ERRORS: Record<string, string> = {
  abs: "bad operand type for abs(): 'NoneType'", absolute: "bad operand type for abs(): 'NoneType'",
  square: "unsupported operand type(s) for *: 'NoneType' and 'NoneType'", negative: "bad operand type for unary -: 'NoneType'",
  sign: "'<' not supported between instances of 'NoneType' and 'int'", reciprocal: "unsupported operand type(s) for /: 'int' and 'NoneType'",
  floor: 'must be real number, not NoneType', ceil: 'must be real number, not NoneType', trunc: "type NoneType doesn't define __trunc__ method",
};

/** numpy 2.1 (PR #26766) made floor, ceil and trunc identities on integers, keeping int64. */
const INT64_ROUNDING: Record<string, (v: number) => number> = { floor: (v) => v, ceil: (v) => v, trunc: (v) => v };

/** np.rint: to the nearest integer, halves to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * HistGradientBoosting's from_dtype preprocessor wraps sklearn's check_array (dtype float64) in
 * a functools.partial: on our float64 matrices it changes nothing. The partial is read as data;
 * nothing named in it is called.
 */
function isCheckArrayPartial(v: unknown): boolean {
  if (!isInstance(v) || v.module !== 'functools' || v.name !== 'partial') return false;
  const fn = v.args[0] as { kind?: string; module?: string; name?: string } | undefined;
  return fn?.kind === 'global' && fn.module === 'sklearn.utils.validation' && fn.name === 'check_array';
}

function numpyFuncName(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return null;
  const g = v as { kind?: string; module?: string; name?: string; args?: unknown[] };
  if (g.kind === 'global' && typeof g.module === 'string' && g.module.split('.')[0] === 'numpy') return g.name ?? null;
  // numpy < 2 pickles a ufunc as numpy.core._ufunc_reconstruct('numpy', name)
  if (isInstance(v) && v.name === '_ufunc_reconstruct' && typeof v.args[1] === 'string') return v.args[1];
  return null;
}

/** A numpy element-wise function on float64 values and, when it keeps int64, on int64 ones. */
interface ElementFunction {
  name: string;
  float: (v: number) => number;
  int64: ((v: number) => number) | null;
}

/**
 * A FunctionTransformer function: None is the identity, else a known numpy function. Which
 * functions keep int64 follows the pickle's scikit-learn version as a stand-in for numpy's:
 * floor/ceil/trunc from 1.6 (numpy 2.1 came out for it; with numpy 2.0 they answer float64).
 */
function elementFunction(s: State, key: string): ElementFunction | null {
  const func = s.raw(key);
  if (func === null || func === undefined || isCheckArrayPartial(func)) return null;
  const name = numpyFuncName(func);
  const fn = name && Object.hasOwn(NUMPY_FUNCS, name) ? NUMPY_FUNCS[name] : undefined;
  if (!name || !fn) return s.fail(`only FunctionTransformer ${key}=None and numpy element-wise functions (np.log1p, np.exp, ...) are supported natively`);
  const int64 = Object.hasOwn(INT64_FUNCS, name) ? INT64_FUNCS[name]
    : s.sklearnAtLeast(1, 6) && Object.hasOwn(INT64_ROUNDING, name) ? INT64_ROUNDING[name] : null;
  return { name, float: fn, int64 };
}

const functionTransformer: Builder = (s) => {
  for (const key of ['kw_args', 'inv_kw_args']) {
    const kw = s.raw(key);
    if (kw !== null && kw !== undefined && !(kw instanceof Map && kw.size === 0)) s.fail(`FunctionTransformer ${key} are not supported natively`);
  }
  const validates = s.raw('validate') === true;
  const apply = (fn: ElementFunction | null) => (x: Data): Data => {
    if (!fn) return x;
    // without validate, numpy applies the function to each column in its own dtype: on bools it
    // computes in float16 (log1p, exp, ...) or as a logical operation (negative)
    if (!validates && x.kind === 'table' && x.columns.some((c) => !(c instanceof Float64Array) && c.some((v) => typeof v === 'boolean'))) {
      throw new NotSupportedNativelyError('FunctionTransformer(validate=False) on a bool column (numpy computes in float16 there) is not supported natively');
    }
    // a column of missing values only (a one-row request's null) is pandas' object column of
    // None, and a numpy function on an object array calls None's method or operator: TypeError
    if (!validates && x.kind === 'table') {
      const at = x.columns.findIndex((c) => !(c instanceof Float64Array) && c.length > 0 && c.every((v) => v === null || v === undefined));
      if (at >= 0) {
        const column = x.names ? `'${x.names[at]}'` : String(at);
        const why = NONE_ERRORS[fn.name] ?? `loop of ufunc does not support argument 0 of type NoneType which has no callable ${fn.name} method`;
        throw new MlflowError(`${why} (np.${fn.name} of column ${column}: an object column of None, its values all missing)`, 'INVALID_PARAMETER_VALUE');
      }
    }
    const m = toMatrix(x);
    // int64 columns compute in integers: each column of a DataFrame passed as it is
    // (validate=False), or every column when check_array keeps int64 (all of them are)
    const marked = x.kind === 'csr' ? undefined : x.ints;
    const ints = !marked || (validates && !marked.every(Boolean)) ? null : marked;
    const int64 = fn.int64;
    const out = ints && int64 ? m.data.map((v, i) => (ints[i % m.cols] ? int64(v) : fn.float(v))) : m.data.map(fn.float);
    // a DataFrame stays one (numpy ufuncs on a DataFrame): the next step checks its names; the
    // columns the function kept int64 stay so
    return withInts(matrix(m.rows, m.cols, out, m.names), int64 ? ints ?? undefined : undefined);
  };
  return {
    className: s.className,
    transform: apply(elementFunction(s, 'func')),
    inverseTransform: apply(elementFunction(s, 'inverse_func')),
  };
};

export const preprocessingBuilders: Record<string, Builder> = {
  'sklearn.preprocessing.StandardScaler': standardScaler,
  'sklearn.preprocessing.MinMaxScaler': minMaxScaler,
  'sklearn.preprocessing.MaxAbsScaler': maxAbsScaler,
  'sklearn.preprocessing.RobustScaler': robustScaler,
  'sklearn.preprocessing.Normalizer': normalizer,
  'sklearn.preprocessing.Binarizer': binarizer,
  'sklearn.preprocessing.PolynomialFeatures': polynomialFeatures,
  'sklearn.preprocessing.FunctionTransformer': functionTransformer,
};

/** numpy element-wise functions (np.log1p is pickled as numpy.core._multiarray_umath.log1p). */
export function isNumpyFunction(module: string, name: string): boolean {
  return module.split('.')[0] === 'numpy' && Object.hasOwn(NUMPY_FUNCS, name);
}

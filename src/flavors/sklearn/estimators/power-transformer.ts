import { MlflowError } from '../../../errors.js';
import type { Data } from '../data.js';
import type { Builder, Estimator } from '../estimator.js';
import type { State } from '../state.js';
import { mapColumns } from './preprocessing.js';

const EPS = 2.220446049250313e-16; // np.spacing(1.0)
const EPS_F32 = 1.1920928955078125e-7; // np.finfo(np.float32).eps

type Forward = (x: number, l: number, r: (v: number) => number) => number;

/**
 * The Yeo-Johnson transform as the pickle's scikit-learn computes it on a value of a float64 or
 * float32 (r = Math.fround) column. Before 1.9 scikit-learn's own `((x + 1) ** l - 1) / l`;
 * from 1.9 scipy.stats.yeojohnson's `expm1(l * log1p(x)) / l`. On float32 rows the arithmetic
 * is float32 where numpy keeps float32: numpy 1.x (scikit-learn before 1.4.2 here) casts the
 * float64 lambda to float32 (value-based casting), and a transformer fitted on float32 rows
 * (lambdas_ float32) has float32 lambdas; otherwise (numpy 2, float64 lambdas_) only x + 1 and
 * log1p(x) are float32 and the rest is float64, rounded once when stored.
 * numpy computes float32 pow/log1p/expm1 with CPU-dispatched (AVX-512 SVML) kernels that are
 * not correctly rounded; ours are, so those values may differ by a few float32 ulps.
 */
function yeoJohnsonOf(s: State): Forward {
  const lam32 = s.isFloat32('lambdas_');
  const numpy1 = !s.sklearnAtLeast(1, 4, 2);
  if (!s.sklearnAtLeast(1, 9)) {
    return (x, l, r) => {
      const f32 = r === Math.fround && (numpy1 || lam32);
      if (Number.isNaN(x)) return NaN;
      if (x >= 0) {
        if (Math.abs(l) < EPS) return r(Math.log1p(x));
        const t = r(x + 1);
        return f32 ? r(r(r(Math.pow(t, r(l))) - 1) / r(l)) : r((Math.pow(t, l) - 1) / l);
      }
      if (Math.abs(l - 2) <= EPS) return r(-Math.log1p(-x));
      const t = r(-x + 1);
      const e = 2 - l;
      return f32 ? r(-r(r(Math.pow(t, r(e))) - 1) / r(e)) : r(-(Math.pow(t, e) - 1) / e);
    };
  }
  return (x, l, r) => {
    // scipy computes in the result type of x and lambda: float32 only for both float32
    const f32 = r === Math.fround && lam32;
    const eps = f32 ? EPS_F32 : EPS;
    const a = f32 ? r : (v: number) => v;
    if (Number.isNaN(x)) return NaN;
    if (x >= 0) {
      if (Math.abs(l) < eps) return r(Math.log1p(x));
      return r(a(Math.expm1(a(l * r(Math.log1p(x))))) / l);
    }
    if (Math.abs(l - 2) <= eps) return r(-Math.log1p(-x));
    const e = a(2 - l);
    return r(-a(Math.expm1(a(e * r(Math.log1p(-x))))) / e);
  };
}

/**
 * scipy.special.boxcox(x, lmbda), which computes in float64. On float32 rows its float32 loop
 * takes lambda as float32: under numpy 1.x (value-based casting) and for float32 lambdas_.
 */
function boxCoxOf(s: State): Forward {
  const lam32 = s.isFloat32('lambdas_') || !s.sklearnAtLeast(1, 4, 2);
  return (x, lmbda, r) => {
    const l = r === Math.fround && lam32 ? r(lmbda) : lmbda;
    return Math.abs(l) < 1e-19 ? Math.log(x) : Math.expm1(l * Math.log(x)) / l;
  };
}

function yeoJohnsonInverse(x: number, l: number): number {
  if (x >= 0) return Math.abs(l) < EPS ? Math.exp(x) - 1 : Math.pow(x * l + 1, 1 / l) - 1;
  return Math.abs(l - 2) > EPS ? 1 - Math.pow(-(2 - l) * x + 1, 1 / (2 - l)) : 1 - Math.exp(-x);
}

/** scipy.special.inv_boxcox(y, lmbda). */
function boxCoxInverse(y: number, l: number): number {
  return Math.abs(l) < 1e-19 ? Math.exp(y) : Math.exp(Math.log1p(l * y) / l);
}

/**
 * PowerTransformer: each column through Yeo-Johnson or Box-Cox with its fitted lambdas_, then
 * the fitted StandardScaler (_scaler) when standardize.
 */
const powerTransformer: Builder = (s, build) => {
  const method = s.string('method');
  if (method !== 'yeo-johnson' && method !== 'box-cox') s.fail(`method '${method}' is not supported natively`);
  const lambdas = s.floats('lambdas_').data;
  const f = lambdas.length;
  const scaler: Estimator | null = s.bool('standardize', true) ? build(s.instance('_scaler'), `${s.className}._scaler`) : null;
  const forward = method === 'box-cox' ? boxCoxOf(s) : yeoJohnsonOf(s);
  const backward = method === 'box-cox' ? boxCoxInverse : yeoJohnsonInverse;
  return {
    className: s.className,
    transform(x: Data) {
      if (method === 'box-cox') {
        const m = mapColumns(x, f, s.inst.name, (v) => v);
        if (m.data.some((v) => v <= 0)) {
          throw new MlflowError('The Box-Cox transformation can only be applied to strictly positive data', 'INVALID_PARAMETER_VALUE');
        }
      }
      const out = mapColumns(x, f, s.inst.name, (v, j, r) => forward(v, lambdas[j], r));
      return scaler ? scaler.transform!(out) : out;
    },
    inverseTransform(x: Data) {
      const scaled = scaler ? scaler.inverseTransform!(x) : x;
      return mapColumns(scaled, f, s.inst.name, (v, j) => backward(v, lambdas[j]));
    },
  };
};

export const powerTransformerBuilders: Record<string, Builder> = {
  'sklearn.preprocessing.PowerTransformer': powerTransformer,
};

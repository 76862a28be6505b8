import { MlflowError } from '../../../errors.js';
import type { Data } from '../data.js';
import type { Builder, Estimator } from '../estimator.js';
import { mapColumns } from './preprocessing.js';

const EPS = 2.220446049250313e-16; // np.spacing(1.0)

/** scipy.stats.yeojohnson(x, lmbda) (the stable expm1/log1p form; NaN stays NaN). */
function yeoJohnson(x: number, l: number): number {
  if (x >= 0) return Math.abs(l) < EPS ? Math.log1p(x) : Math.expm1(l * Math.log1p(x)) / l;
  if (Number.isNaN(x)) return NaN;
  return Math.abs(l - 2) > EPS ? -Math.expm1((2 - l) * Math.log1p(-x)) / (2 - l) : -Math.log1p(-x);
}

function yeoJohnsonInverse(x: number, l: number): number {
  if (x >= 0) return Math.abs(l) < EPS ? Math.exp(x) - 1 : Math.pow(x * l + 1, 1 / l) - 1;
  return Math.abs(l - 2) > EPS ? 1 - Math.pow(-(2 - l) * x + 1, 1 / (2 - l)) : 1 - Math.exp(-x);
}

/** scipy.special.boxcox(x, lmbda). */
function boxCox(x: number, l: number): number {
  return Math.abs(l) < 1e-19 ? Math.log(x) : Math.expm1(l * Math.log(x)) / l;
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
  const forward = method === 'box-cox' ? boxCox : yeoJohnson;
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
      const out = mapColumns(x, f, s.inst.name, (v, j) => forward(v, lambdas[j]));
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

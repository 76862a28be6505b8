import { MlflowError } from '../../errors.js';

/** How an objective turns margins into predictions (XGBoost's PredTransform). */
export type Transform = 'identity' | 'sigmoid' | 'exp' | 'hinge' | 'softprob' | 'softmax';

interface ObjectiveSpec {
  readonly transform: Transform;
  /** How base_score (a prediction) becomes a margin (XGBoost's ProbToMargin). */
  readonly link: 'identity' | 'logit' | 'log';
}

/** Every objective XGBoost 1.0-3.x can save, by name. */
const OBJECTIVES: Readonly<Record<string, ObjectiveSpec>> = {
  'reg:squarederror': { transform: 'identity', link: 'identity' },
  'reg:linear': { transform: 'identity', link: 'identity' },
  'reg:squaredlogerror': { transform: 'identity', link: 'identity' },
  'reg:pseudohubererror': { transform: 'identity', link: 'identity' },
  'reg:absoluteerror': { transform: 'identity', link: 'identity' },
  'reg:quantileerror': { transform: 'identity', link: 'identity' },
  'reg:logistic': { transform: 'sigmoid', link: 'logit' },
  'binary:logistic': { transform: 'sigmoid', link: 'logit' },
  // base_score is already a margin for logitraw (checked against XGBoost 1.7.4)
  'binary:logitraw': { transform: 'identity', link: 'identity' },
  'binary:hinge': { transform: 'hinge', link: 'identity' },
  'count:poisson': { transform: 'exp', link: 'log' },
  'reg:gamma': { transform: 'exp', link: 'log' },
  'reg:tweedie': { transform: 'exp', link: 'log' },
  'survival:cox': { transform: 'exp', link: 'log' },
  'survival:aft': { transform: 'exp', link: 'log' },
  'multi:softprob': { transform: 'softprob', link: 'identity' },
  'multi:softmax': { transform: 'softmax', link: 'identity' },
  'rank:pairwise': { transform: 'identity', link: 'identity' },
  'rank:ndcg': { transform: 'identity', link: 'identity' },
  'rank:map': { transform: 'identity', link: 'identity' },
};

export function objectiveSpec(name: string, file: string): ObjectiveSpec {
  const spec = OBJECTIVES[name];
  if (!spec) throw new MlflowError(`${file}: XGBoost objective '${name}' is not supported natively`, 'INVALID_PARAMETER_VALUE');
  return spec;
}

/** base_score as a margin, in float32 as XGBoost computes it. */
export function baseMargin(spec: ObjectiveSpec, score: number): number {
  const f = Math.fround;
  switch (spec.link) {
    case 'logit':
      if (!(score > 0 && score < 1)) {
        throw new MlflowError(`base_score must be in (0,1) for a logistic objective, got ${score}`, 'INVALID_PARAMETER_VALUE');
      }
      return f(-Math.log(f(f(1 / f(score)) - 1)));
    case 'log':
      if (!(score > 0)) throw new MlflowError(`base_score must be positive for this objective, got ${score}`, 'INVALID_PARAMETER_VALUE');
      return f(Math.log(f(score)));
    default:
      return f(score);
  }
}

/**
 * Applies the transform in place to rows x width margins (float32, as XGBoost computes them).
 * softmax (argmax) is returned as a new one-column array of class indices.
 */
export function transform(t: Transform, margins: Float32Array, rows: number, width: number): Float32Array {
  switch (t) {
    case 'identity':
      return margins;
    case 'sigmoid':
      for (let i = 0; i < margins.length; i++) margins[i] = 1 / (1 + Math.exp(-margins[i]));
      return margins;
    case 'exp':
      for (let i = 0; i < margins.length; i++) margins[i] = Math.exp(margins[i]);
      return margins;
    case 'hinge':
      for (let i = 0; i < margins.length; i++) margins[i] = margins[i] > 0 ? 1 : 0;
      return margins;
    case 'softprob':
      for (let r = 0; r < rows; r++) softmaxRow(margins, r * width, width);
      return margins;
    case 'softmax': {
      const out = new Float32Array(rows);
      for (let r = 0; r < rows; r++) {
        let best = 0;
        for (let k = 1; k < width; k++) if (margins[r * width + k] > margins[r * width + best]) best = k;
        out[r] = best;
      }
      return out;
    }
  }
}

function softmaxRow(a: Float32Array, at: number, width: number): void {
  let max = a[at];
  for (let k = 1; k < width; k++) max = Math.max(max, a[at + k]);
  let sum = 0;
  for (let k = 0; k < width; k++) {
    const e = Math.fround(Math.exp(a[at + k] - max));
    a[at + k] = e;
    sum = Math.fround(sum + e);
  }
  for (let k = 0; k < width; k++) a[at + k] = a[at + k] / sum;
}

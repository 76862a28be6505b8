import { MlflowError } from '../../errors.js';
import type { LightGBMText } from './text-model.js';

/** How an objective turns raw scores into predictions (LightGBM's ConvertOutput). */
export type Transform =
  | { readonly kind: 'identity' }
  | { readonly kind: 'sqrt' }
  | { readonly kind: 'sigmoid'; readonly scale: number }
  | { readonly kind: 'softmax' }
  | { readonly kind: 'exp' }
  | { readonly kind: 'log1p-exp' };

const REGRESSION = new Set(['regression', 'regression_l1', 'huber', 'fair', 'quantile', 'mape']);
const IDENTITY = new Set(['lambdarank', 'rank_xendcg', 'custom', 'none']);

export function objectiveTransform(m: LightGBMText, file: string): Transform {
  const name = m.objective;
  const sigmoid = (): Transform => {
    const scale = Number(m.objectiveOptions.sigmoid ?? 1);
    if (!(scale > 0)) throw new MlflowError(`${file}: objective ${name} has sigmoid:${m.objectiveOptions.sigmoid}`, 'INVALID_PARAMETER_VALUE');
    return { kind: 'sigmoid', scale };
  };
  // regression's sqrt option (its subclasses print it too) squares the raw score back
  if (REGRESSION.has(name)) return m.sqrt ? { kind: 'sqrt' } : { kind: 'identity' };
  if (IDENTITY.has(name)) return { kind: 'identity' };
  switch (name) {
    case 'binary': case 'multiclassova': return sigmoid();
    case 'multiclass': return { kind: 'softmax' };
    case 'poisson': case 'gamma': case 'tweedie': return { kind: 'exp' };
    case 'cross_entropy': return { kind: 'sigmoid', scale: 1 };
    case 'cross_entropy_lambda': return { kind: 'log1p-exp' };
    default:
      throw new MlflowError(`${file}: LightGBM objective '${name}' is not supported natively`, 'INVALID_PARAMETER_VALUE');
  }
}

/** Applies the transform in place to rows x width raw scores (float64, as LightGBM computes them). */
export function applyTransform(t: Transform, raw: Float64Array, rows: number, width: number): void {
  switch (t.kind) {
    case 'identity':
      return;
    case 'sqrt':
      for (let i = 0; i < raw.length; i++) raw[i] = Math.sign(raw[i]) * raw[i] * raw[i];
      return;
    case 'sigmoid':
      for (let i = 0; i < raw.length; i++) raw[i] = 1 / (1 + Math.exp(-t.scale * raw[i]));
      return;
    case 'exp':
      for (let i = 0; i < raw.length; i++) raw[i] = Math.exp(raw[i]);
      return;
    case 'log1p-exp':
      for (let i = 0; i < raw.length; i++) raw[i] = Math.log1p(Math.exp(raw[i]));
      return;
    case 'softmax':
      for (let r = 0; r < rows; r++) {
        const at = r * width;
        let max = -Infinity;
        for (let k = 0; k < width; k++) max = Math.max(max, raw[at + k]);
        let sum = 0;
        for (let k = 0; k < width; k++) {
          raw[at + k] = Math.exp(raw[at + k] - max);
          sum += raw[at + k];
        }
        for (let k = 0; k < width; k++) raw[at + k] /= sum;
      }
  }
}

import { MlflowError } from '../../../errors.js';
import { logitInv, notNative, type MojoMeta, type MojoReader } from './mojo-model.js';

/**
 * GLM MOJOs (GlmMojoReader): coefficients over the expanded design (one per categorical level,
 * level 0 dropped unless use_all_factor_levels, then the numeric columns, the intercept last),
 * NA replaced by the training mode/mean when mean_imputation is set. Multinomial and ordinal
 * models hold one such block of coefficients per class.
 */

const LINK_INV: Record<string, (x: number, power: number) => number> = {
  identity: (x) => x,
  logit: logitInv,
  log: (x) => Math.exp(x),
  inverse: (x) => 1 / (x < 0 ? Math.min(-1e-5, x) : Math.max(1e-5, x)),
  tweedie: (x, p) => (p === 0 ? Math.max(2e-16, Math.exp(x)) : Math.pow(x, 1 / p)),
};
const FAMILIES = new Set([
  'gaussian', 'binomial', 'quasibinomial', 'fractionalbinomial', 'multinomial', 'ordinal', 'poisson', 'gamma',
  'tweedie', 'negativebinomial',
]);
const BINOMIAL = new Set(['binomial', 'quasibinomial', 'fractionalbinomial']);

interface Design {
  readonly useAll: boolean;
  readonly cats: number;
  readonly catOffsets: readonly number[];
  readonly nums: number;
}

/** The level index of categorical i, checked as GlmMojoModel checks it. */
function levelIndex(meta: MojoMeta, d: number, i: number): number {
  if (!Number.isInteger(d)) {
    throw new MlflowError(
      `Column '${meta.columns[i]}' is NA (or not a level index) and this GLM has no mean imputation: H2O refuses the row (categorical value out of range)`,
      'BAD_REQUEST',
    );
  }
  return d;
}

/** Linear predictor of one coefficient block starting at `base`. */
function eta(meta: MojoMeta, g: Design, beta: readonly number[], base: number, p: number, row: Float64Array): number {
  let e = 0;
  const { catOffsets, cats } = g;
  for (let i = 0; i < cats; i++) {
    const d = row[i];
    let ival: number;
    if (g.useAll) ival = levelIndex(meta, d, i);
    else {
      if (d === 0) continue;
      ival = levelIndex(meta, d, i) - 1;
    }
    ival += catOffsets[i];
    if (ival < catOffsets[i + 1]) e += beta[base + ival];
  }
  const noff = catOffsets[cats];
  for (let i = 0; i < g.nums; i++) e += beta[base + noff + i] * row[cats + i];
  return e + beta[base + p - 1];
}

export const glmReader: MojoReader = {
  maxVersion: 1.0,
  read({ ini, meta }) {
    const family = ini.str('family');
    if (!FAMILIES.has(family)) throw notNative(meta, `family '${family}'`);
    for (const key of ini.info.keys()) {
      if (key.startsWith('interaction')) throw notNative(meta, `interactions ('${key}')`);
    }
    const g: Design = {
      useAll: ini.bool('use_all_factor_levels', false),
      cats: ini.num('cats'),
      catOffsets: ini.nums('cat_offsets'),
      nums: ini.num('nums'),
    };
    const catModes = ini.nums('cat_modes', []) ?? [];
    const numMeans = ini.nums('num_means', []) ?? [];
    const meanImputation = ini.bool('mean_imputation', false);
    const beta = ini.nums('beta');
    const impute = (row: Float64Array): void => {
      if (!meanImputation) return;
      for (let i = 0; i < g.cats; i++) if (Number.isNaN(row[i])) row[i] = catModes[i];
      for (let i = 0; i < g.nums; i++) if (Number.isNaN(row[g.cats + i])) row[g.cats + i] = numMeans[i];
    };
    const n = meta.nclasses;
    if (family === 'multinomial' || family === 'ordinal') {
      const p = beta.length / n;
      if (!Number.isInteger(p)) throw new MlflowError(`${meta.where}: GLM beta has ${beta.length} values for ${n} classes`, 'INVALID_PARAMETER_VALUE');
      const ordinal = family === 'ordinal';
      return {
        meta,
        predsSize: n + 1,
        score0(row, offset, preds) {
          impute(row);
          if (ordinal) {
            // cumulative logits: class c's probability is CDF(c) - CDF(c-1)
            let prev = 0;
            for (let c = 0; c < n - 1; c++) {
              const cdf = 1 / (1 + Math.exp(-(eta(meta, g, beta, c * p, p, row) + offset)));
              preds[c + 1] = cdf - prev;
              prev = cdf;
            }
            preds[n] = 1 - prev;
            preds[0] = 0;
            let best = 0;
            for (let c = 1; c < preds.length; c++) if (preds[c] > preds[best]) best = c;
            preds[0] = best - 1;
            return;
          }
          let max = 0;
          for (let c = 0; c < n; c++) {
            preds[c + 1] = eta(meta, g, beta, c * p, p, row);
            if (preds[c + 1] > max) max = preds[c + 1];
          }
          let sum = 0;
          for (let c = 1; c <= n; c++) sum += preds[c] = Math.exp(preds[c] - max);
          const inv = 1 / sum;
          let maxP = 0;
          preds[0] = 0;
          for (let c = 1; c <= n; c++) {
            if ((preds[c] *= inv) > maxP) {
              maxP = preds[c];
              preds[0] = c - 1;
            }
          }
        },
      };
    }
    const link = ini.str('link');
    const linkInv = LINK_INV[link];
    if (!linkInv) throw notNative(meta, `link '${link}'`);
    const power = ini.num('tweedie_link_power', 0);
    const binomial = BINOMIAL.has(family) && meta.nclasses === 2;
    return {
      meta,
      predsSize: binomial ? 3 : 1,
      score0(row, offset, preds) {
        impute(row);
        const mu = linkInv(eta(meta, g, beta, 0, beta.length, row) + offset, power);
        if (binomial) {
          preds[0] = mu >= meta.defaultThreshold ? 1 : 0;
          preds[1] = 1 - mu;
          preds[2] = mu;
        } else preds[0] = mu;
      },
    };
  },
};

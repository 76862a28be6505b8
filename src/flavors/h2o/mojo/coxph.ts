import { MlflowError } from '../../../errors.js';
import { notNative, type MojoReader } from './mojo-model.js';

/**
 * CoxPH MOJOs (h2o 3.32+): the linear predictor lp = x.beta - xmean.beta, with x the expanded
 * design (categorical dummies, level 0 dropped unless use_all_factor_levels, then numerics) and
 * xmean the training means of that design, stored as big-endian doubles in `x_mean_cat` and
 * `x_mean_num`. An NA input gives an NA lp. Stratified models and interactions are refused.
 */
export const coxphReader: MojoReader = {
  maxVersion: 1.0,
  read({ ini, src, meta }) {
    if (ini.num('strata_count', 0) > 0) throw notNative(meta, 'strata');
    const coef = ini.nums('coef');
    const cats = ini.num('cats');
    const catOffsets = ini.nums('cat_offsets');
    const useAll = ini.bool('use_all_factor_levels');
    const nCat = catOffsets[cats];
    const nums = coef.length - nCat;
    const numOffsets = ini.nums('num_offsets', undefined);
    if (numOffsets && numOffsets.some((o, i) => o !== nCat + i)) throw notNative(meta, 'interactions');
    const means = (name: string, n: number): Float64Array => {
      const bytes = src.bytes(name);
      if (bytes.length !== 8 * n) throw new MlflowError(`${meta.where}: ${name} holds ${bytes.length} bytes, ${n} doubles expected`, 'INVALID_PARAMETER_VALUE');
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return Float64Array.from({ length: n }, (_, i) => view.getFloat64(8 * i, false));
    };
    const xMeanCat = means('x_mean_cat', nCat);
    const xMeanNum = means('x_mean_num', nums);
    let lpBase = 0;
    for (let i = 0; i < nCat; i++) lpBase += xMeanCat[i] * coef[i];
    for (let i = 0; i < nums; i++) lpBase += xMeanNum[i] * coef[nCat + i];
    if (meta.nfeatures < cats + nums) throw new MlflowError(`${meta.where}: CoxPH has ${coef.length} coefficients for ${meta.nfeatures} inputs`, 'INVALID_PARAMETER_VALUE');
    return {
      meta,
      predsSize: 1,
      score0(row, _offset, preds) {
        let lp = 0;
        for (let i = 0; i < cats; i++) {
          const d = row[i];
          if (Number.isNaN(d)) {
            lp = NaN;
            continue;
          }
          const idx = useAll ? d + catOffsets[i] : d === 0 ? -1 : d - 1 + catOffsets[i];
          if (idx >= 0 && idx < catOffsets[i + 1]) lp += coef[idx];
        }
        for (let i = 0; i < nums; i++) lp += coef[nCat + i] * row[cats + i];
        preds[0] = lp - lpBase;
      },
    };
  },
};

import type { MojoReader } from './mojo-model.js';

/**
 * K-means MOJOs (KMeansMojoReader): the nearest center, by squared Euclidean distance over numeric
 * columns plus 1 per categorical mismatch, NA columns left out and the distance scaled up for them;
 * with `standardize`, NA numerics are set to the mean and numerics standardized, NA categoricals
 * set to the mode first.
 */
export const kmeansReader: MojoReader = {
  maxVersion: 1.0,
  read({ ini, meta }) {
    const standardize = ini.bool('standardize');
    const means = standardize ? ini.nums('standardize_means') : [];
    const mults = standardize ? ini.nums('standardize_mults', undefined) : undefined;
    const modes = standardize ? ini.nums('standardize_modes') : [];
    const k = ini.num('center_num');
    const centers: number[][] = [];
    for (let i = 0; i < k; i++) centers.push(ini.nums(`center_${i}`));
    const isCat = meta.columns.map((_, c) => meta.domains[c] !== null);
    return {
      meta,
      predsSize: 1,
      score0(row, _offset, preds) {
        if (standardize) {
          for (let i = 0; i < row.length; i++) {
            let d = row[i];
            if (modes[i] === -1) {
              if (Number.isNaN(d)) d = means[i];
              if (mults) d = (d - means[i]) * mults[i];
            } else if (Number.isNaN(d)) d = modes[i];
            row[i] = d;
          }
        }
        let best = -1;
        let bestDist = Number.MAX_VALUE;
        for (let c = 0; c < centers.length; c++) {
          const center = centers[c];
          let sqr = 0;
          let pts = row.length;
          for (let j = 0; j < center.length; j++) {
            const d = row[j];
            if (Number.isNaN(d)) {
              pts--;
              continue;
            }
            if (isCat[j]) {
              if (d !== center[j]) sqr += 1;
            } else {
              const delta = d - center[j];
              sqr += delta * delta;
            }
          }
          if (pts > 0 && pts < row.length) sqr *= row.length / pts;
          if (sqr < bestDist) {
            best = c;
            bestDist = sqr;
          }
        }
        preds[0] = best;
      },
    };
  },
};

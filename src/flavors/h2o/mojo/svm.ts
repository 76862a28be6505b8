import type { MojoReader } from './mojo-model.js';

/**
 * Sparkling Water's linear SVM MOJOs (SvmMojoReader): a weighted sum of the inputs (categoricals
 * by their level index, as h2o-genmodel does) plus the intercept; NA takes the training mean when
 * meanImputation is set. Binomial: class 1 above `threshold`, the margin kept as "probabilities".
 */
export const svmReader: MojoReader = {
  maxVersion: 1.0,
  read({ ini, meta }) {
    const meanImputation = ini.bool('meanImputation');
    const means = meanImputation ? ini.nums('means') : [];
    const weights = ini.nums('weights');
    const intercept = ini.num('interceptor');
    const defaultThreshold = ini.num('defaultThreshold');
    const threshold = ini.num('threshold');
    return {
      meta,
      predsSize: meta.nclasses === 1 ? 1 : 3,
      score0(row, _offset, preds) {
        preds.fill(0);
        let pred = intercept;
        for (let i = 0; i < row.length; i++) pred += (Number.isNaN(row[i]) && meanImputation ? means[i] : row[i]) * weights[i];
        if (meta.nclasses === 1) {
          preds[0] = pred;
        } else if (pred > threshold) {
          preds[2] = pred < defaultThreshold ? defaultThreshold : pred;
          preds[1] = preds[2] - 1;
          preds[0] = 1;
        } else {
          preds[2] = pred >= defaultThreshold ? defaultThreshold - 1 : pred;
          preds[1] = preds[2] + 1;
          preds[0] = 0;
        }
      },
    };
  },
};

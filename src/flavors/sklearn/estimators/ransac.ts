import type { Builder } from '../estimator.js';

/**
 * RANSACRegressor: predict is its estimator_'s (the model refitted on the inliers of the best
 * trial), any regressor built natively; the data-valid and model-valid callables and the loss
 * only matter at fit. A callable among them is refused by the pickle allow-list by name.
 */
const ransacRegressor: Builder = (s, build) => {
  const inner = build(s.raw('estimator_'), `${s.className}.estimator_`);
  if (!inner.predict) s.fail(`estimator_ (${inner.className}) has no predict`);
  return { className: s.className, predict: (x) => inner.predict!(x) };
};

export const ransacBuilders: Record<string, Builder> = {
  'sklearn.linear_model.RANSACRegressor': ransacRegressor,
};

import { MLFLOW_COMPAT_VERSION } from '../../version.js';

/**
 * The pip requirements of a packaged sklearn pickle, as far as the pickle itself tells them.
 *
 * MLflow writes the packages its loader imports, pinned to the versions installed where the model
 * was saved (mlflow first, then sorted: cloudpickle, numpy, pandas, psutil, scikit-learn, scipy).
 * Here nothing is installed to ask, so each line says what the pickle proves and no more:
 * - scikit-learn pinned to the `_sklearn_version` the estimator recorded;
 * - numpy by the module path its arrays were pickled under: `numpy.core` only exists up to numpy
 *   1.x and `numpy._core` from 2.0 (a numpy 1.x pickle loaded by numpy 2 works, but scikit-learn
 *   wheels built for numpy 1.x do not import under numpy 2, so `numpy<2` keeps the pair working);
 * - pandas and scipy when the pickle holds their objects (e.g. a fitted DataFrame index, a sparse
 *   matrix); cloudpickle when MLmodel says cloudpickle, as MLflow adds it for that format (a file
 *   naming cloudpickle's own functions is refused by the native reader before this point).
 * Versions not recorded in the pickle are left to pip, within those bounds.
 */
export function sklearnRequirements(
  modules: ReadonlySet<string>,
  sklearnVersion: string | null,
  serializationFormat: 'pickle' | 'cloudpickle',
): string[] {
  const roots = new Set([...modules].map((m) => m.split('.')[0]));
  const reqs: string[] = [];
  if (serializationFormat === 'cloudpickle') reqs.push('cloudpickle');
  const numpy2 = [...modules].some((m) => m === 'numpy._core' || m.startsWith('numpy._core.'));
  const numpy1 = [...modules].some((m) => m === 'numpy.core' || m.startsWith('numpy.core.'));
  if (numpy2) reqs.push('numpy>=2');
  else if (numpy1) reqs.push('numpy<2');
  else if (roots.has('numpy')) reqs.push('numpy');
  if (roots.has('pandas')) reqs.push('pandas');
  reqs.push(sklearnVersion ? `scikit-learn==${sklearnVersion}` : 'scikit-learn');
  if (roots.has('scipy')) reqs.push('scipy');
  return [`mlflow==${MLFLOW_COMPAT_VERSION}`, ...reqs];
}

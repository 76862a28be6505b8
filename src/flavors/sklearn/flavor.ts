import { MlflowError, ModelRaisedError, NotSupportedNativelyError } from '../../errors.js';
import type { FlavorModel, LoadContext } from '../flavor.js';
import { flavorFilePath } from '../../model/index.js';
import { loadSklearnEstimator } from './load.js';
import { callMethod, isSklearnMethod, methodsOf } from './methods.js';

export const FLAVOR_NAME = 'sklearn';

/**
 * Loads the `sklearn` flavor natively: the pickled estimator named by `pickled_model`, called
 * through the method `predict_fn` names (MLflow's python_function section; default predict),
 * with output as MLflow's pyfunc returns it (numpy arrays become Tensors).
 */
export async function loadSklearnFlavor(ctx: LoadContext): Promise<FlavorModel> {
  const format = ctx.conf.serialization_format ?? 'pickle';
  if (format !== 'pickle' && format !== 'cloudpickle') {
    throw new NotSupportedNativelyError(`flavors.sklearn.serialization_format '${String(format)}' is not supported natively`);
  }
  const pklPath = flavorFilePath(ctx.modelDir, ctx.conf, FLAVOR_NAME, 'pickled_model');
  const est = await loadSklearnEstimator(pklPath);
  const fn = ctx.conf.predict_fn ?? 'predict';
  if (typeof fn !== 'string' || !isSklearnMethod(fn)) {
    throw new NotSupportedNativelyError(
      `predict_fn '${String(fn)}' is not supported natively for ${est.className} (it has: ${methodsOf(est).join(', ')})`,
    );
  }
  const why = est.notNative?.[fn];
  if (why) throw new NotSupportedNativelyError(`${est.className}.${fn} (flavors.python_function.predict_fn) is not supported natively: ${why}`);
  if (!methodsOf(est).includes(fn)) {
    throw new MlflowError(`${est.className} has no method '${fn}' (flavors.python_function.predict_fn)`, 'INVALID_PARAMETER_VALUE');
  }
  return { predict: (input) => asModelError(() => callMethod(est, fn, input)) };
}

/**
 * What the estimator refuses at predict time (check_array on NaN or an empty input, an unknown
 * category, a wrong width) is sklearn raising a ValueError, not an MLflow check: it leaves as a
 * ModelRaisedError, which the scoring server answers as MLflow answers any error of the model.
 * Refusals of what mlflow-ts cannot do natively (NOT_IMPLEMENTED) keep their code.
 */
function asModelError<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof MlflowError && err.errorCode === 'INVALID_PARAMETER_VALUE') {
      throw new ModelRaisedError(err.message, { cause: err });
    }
    throw err;
  }
}

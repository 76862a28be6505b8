import { MlflowError } from '../errors.js';
import type { Model } from '../model/model.js';

/** Set by a SageMaker deployment to the flavor chosen with -f/--flavor (MLflow's container reads it). */
export const DEPLOYMENT_FLAVOR_ENV = 'MLFLOW_DEPLOYMENT_FLAVOR_NAME';

/**
 * MLflow's container `_serve`: the flavor named by MLFLOW_DEPLOYMENT_FLAVOR_NAME (python_function
 * when unset) must be one it serves and one the model has. mlflow-ts scores a python_function model
 * with whatever flavor loadPredictor picks, which answers as the pyfunc would; an unset variable
 * leaves the model's own flavors in charge, since the image also serves models without pyfunc.
 */
export function checkDeploymentFlavor(model: Model, env: NodeJS.ProcessEnv = process.env): void {
  const flavor = env[DEPLOYMENT_FLAVOR_ENV];
  if (flavor === undefined || flavor === '') return;
  if (flavor !== 'python_function') {
    throw new MlflowError(
      `${DEPLOYMENT_FLAVOR_ENV}='${flavor}': mlflow-ts serves the python_function flavor only (MLflow's container also serves mleap)`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  if (!('python_function' in model.flavors)) {
    throw new MlflowError(`${DEPLOYMENT_FLAVOR_ENV}='python_function', but the model has no python_function flavor (it has ${Object.keys(model.flavors).join(', ')})`, 'RESOURCE_DOES_NOT_EXIST');
  }
}

import { MlflowError } from '../../errors.js';
import { isFrame } from '../../frame/frame.js';
import { flavorPath } from '../../model/index.js';
import type { FlavorModel, LoadContext } from '../flavor.js';
import { loadMojo } from './mojo/read-mojo.js';
import type { MojoModel } from './mojo/mojo-model.js';
import { parsePredictionArgs, type PredictionArgs } from './prediction-args.js';
import { predictFrame } from './predict-frame.js';

/** H2O's own MLflow flavor (h2o-3's h2o-py-mlflow-flavor, module h2o_mlflow_flavor). */
export const MOJO_POJO_FLAVOR = 'h2o_mojo_pojo';

/**
 * Loads `h2o_mojo_pojo`: a MOJO is scored natively, with PredictCsv's output columns and the
 * `extra_prediction_args` it honours. A POJO is compiled Java and is refused.
 */
export async function loadMojoPojoFlavor(ctx: LoadContext): Promise<FlavorModel> {
  const type = ctx.conf.model_type;
  if (type === 'POJO') {
    throw new MlflowError(
      `flavors.${MOJO_POJO_FLAVOR}: this model is an H2O POJO (compiled Java classes), which mlflow-ts does not run natively; ` +
        'export the model as a MOJO, or use --runtime python (which needs Java)',
      'NOT_IMPLEMENTED',
    );
  }
  if (type !== 'MOJO') {
    throw new MlflowError(`flavors.${MOJO_POJO_FLAVOR}.model_type must be MOJO or POJO, not '${String(type)}'`, 'INVALID_PARAMETER_VALUE');
  }
  const args = parsePredictionArgs(ctx.conf.extra_prediction_args, `flavors.${MOJO_POJO_FLAVOR}.extra_prediction_args`);
  const model = await loadMojo(flavorPath(ctx.modelDir, ctx.conf, MOJO_POJO_FLAVOR, 'model_file'));
  return mojoFlavorModel(model, args);
}

/** predict for a loaded MOJO: a table in, PredictCsv's columns out. */
export function mojoFlavorModel(model: MojoModel, args: PredictionArgs): FlavorModel {
  return {
    predict(input) {
      if (!isFrame(input)) {
        throw new MlflowError('An H2O model takes a table (a DataFrame of named columns), not a tensor', 'BAD_REQUEST');
      }
      return predictFrame(model, input, args);
    },
  };
}

import { MlflowError } from '../../errors.js';

/** PredictCsv switches that `extra_prediction_args` may carry, as this scorer honours them. */
export interface PredictionArgs {
  /** --setConvertInvalidNum: a value that is not a number in a numeric column becomes NA. */
  convertInvalidNumbers: boolean;
  /** --predictCalibrated: calibrated class probabilities after the plain ones. */
  calibrated: boolean;
}

/** Reads `flavors.h2o_mojo_pojo.extra_prediction_args`, refusing by name what is not scored natively. */
export function parsePredictionArgs(value: unknown, field: string): PredictionArgs {
  const args: PredictionArgs = { convertInvalidNumbers: false, calibrated: false };
  if (value === undefined || value === null) return args;
  if (!Array.isArray(value) || value.some((a) => typeof a !== 'string')) {
    throw new MlflowError(`${field} must be a list of strings`, 'INVALID_PARAMETER_VALUE');
  }
  for (const a of value as string[]) {
    if (a === '--setConvertInvalidNum') args.convertInvalidNumbers = true;
    else if (a === '--predictCalibrated') args.calibrated = true;
    else if (a === '--decimal') continue; // the flavor always passes it
    else if (a === '--predictContributions' || a === '--leafNodeAssignment' || a === '--glrmReconstruct' || a === '--glrmIterNumber') {
      throw new MlflowError(`${field}: PredictCsv's ${a} is not supported natively; use --runtime python`, 'NOT_IMPLEMENTED');
    } else {
      throw new MlflowError(`${field}: '${a}' is not a PredictCsv option`, 'INVALID_PARAMETER_VALUE');
    }
  }
  return args;
}

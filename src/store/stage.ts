import { MlflowError } from '../errors.js';
import { STAGES, type Stage } from './entities.js';

/** MLflow's get_canonical_stage: stages match case-insensitively and are stored capitalized. */
export function canonicalStage(stage: string): Stage {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (found === undefined) {
    throw new MlflowError(
      `Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  return found;
}

import { MlflowError } from '../errors.js';

/** MLflow's scoring server app reads the model_config to load the model with from here. */
export const SERVING_MODEL_CONFIG_ENV = 'SERVING_MODEL_CONFIG';

/** The JSON object in SERVING_MODEL_CONFIG, undefined when unset or empty (as MLflow's app). */
export function servingModelConfig(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> | undefined {
  const text = env[SERVING_MODEL_CONFIG_ENV];
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new MlflowError(`${SERVING_MODEL_CONFIG_ENV} is not JSON: ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new MlflowError(`${SERVING_MODEL_CONFIG_ENV} must be a JSON object`, 'INVALID_PARAMETER_VALUE');
  return value as Record<string, unknown>;
}

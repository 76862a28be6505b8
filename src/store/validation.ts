import { MlflowError } from '../errors.js';

/**
 * Names that become file or folder names in a file store, checked as MLflow's
 * mlflow/utils/validation.py does, so that no name can reach outside its folder.
 */
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const KEY = /^[/\w.\- :]*$/;

export function validateRunId(runId: string): void {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) {
    throw new MlflowError(`Invalid run ID: '${String(runId)}'`, 'INVALID_PARAMETER_VALUE');
  }
}

export function validateExperimentId(experimentId: string): void {
  if (typeof experimentId !== 'string' || !/^[a-zA-Z0-9][\w-]{0,63}$/.test(experimentId)) {
    throw new MlflowError(`Invalid experiment ID: '${String(experimentId)}'`, 'INVALID_PARAMETER_VALUE');
  }
}

/** Metric, param and tag keys: MLflow's character set, and no path that climbs out. */
export function validateKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  const invalid = `Invalid ${kind} name: '${String(key)}'.`;
  if (typeof key !== 'string' || key === '') {
    throw new MlflowError(`${invalid} ${kind[0].toUpperCase()}${kind.slice(1)} name cannot be empty.`, 'INVALID_PARAMETER_VALUE');
  }
  if (!KEY.test(key)) {
    throw new MlflowError(
      `${invalid} Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  if (key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new MlflowError(`${invalid} Names cannot contain path segments '..', '.' or empty ones, nor start with '/'.`, 'INVALID_PARAMETER_VALUE');
  }
}

export function validateModelName(name: string): void {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new MlflowError('Registered model name cannot be empty.', 'INVALID_PARAMETER_VALUE');
  }
  if (/[/\\]/.test(name) || name === '.' || name === '..') {
    throw new MlflowError(`Invalid name: '${name}'. Registered model name cannot contain path separator`, 'INVALID_PARAMETER_VALUE');
  }
  if (name.includes('%')) {
    throw new MlflowError(`Invalid name: '${name}'. Registered model name cannot contain '%' character`, 'INVALID_PARAMETER_VALUE');
  }
}

export function validateModelVersion(version: string | number): string {
  const text = String(version);
  if (!/^\d+$/.test(text)) {
    throw new MlflowError(`Parameter 'version' must be an integer, got '${text}'.`, 'INVALID_PARAMETER_VALUE');
  }
  return String(Number(text));
}

export function validateAliasName(alias: string): void {
  if (typeof alias !== 'string' || !/^[\w-]{1,255}$/.test(alias)) {
    throw new MlflowError(
      `Invalid alias name: '${String(alias)}'. Alias names may only contain alphanumerics, underscores (_) and dashes (-).`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw new MlflowError(
      `'${alias}' alias name (case insensitive) is reserved.`,
      'INVALID_PARAMETER_VALUE',
    );
  }
}

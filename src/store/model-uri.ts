import { MlflowError } from '../errors.js';

/**
 * The registry and run URI forms MLflow accepts, parsed with MLflow's rules and error messages
 * (mlflow/store/artifact/utils/models.py, runs_artifact_repo.py).
 */
export interface ParsedModelsUri {
  name: string;
  /** a version number; otherwise a stage, an alias, or neither (= 'latest') */
  version?: string;
  stage?: string;
  alias?: string;
}

function improperModelsUri(uri: string): MlflowError {
  return new MlflowError(
    `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/model_name/suffix' ` +
      "or 'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' " +
      'and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.',
    'INVALID_PARAMETER_VALUE',
  );
}

export function parseModelsUri(uri: string): ParsedModelsUri {
  if (!uri.startsWith('models:')) throw improperModelsUri(uri);
  const rest = uri.slice('models:'.length);
  // models://<profile>/... names a Databricks workspace; there is no such registry here.
  if (!rest.startsWith('/') || rest.startsWith('//') || rest.length <= 1) throw improperModelsUri(uri);
  const parts = rest.replace(/^\/+/, '').split('/');
  if (parts.length > 2 || parts[0].trim() === '') throw improperModelsUri(uri);
  if (parts.length === 2) {
    const [name, suffix] = parts;
    if (suffix.trim() === '') throw improperModelsUri(uri);
    if (/^\d+$/.test(suffix)) return { name, version: suffix };
    if (suffix.toLowerCase() === 'latest') return { name };
    return { name, stage: suffix };
  }
  const at = parts[0].lastIndexOf('@');
  if (at < 0) throw improperModelsUri(uri);
  const name = parts[0].slice(0, at);
  const alias = parts[0].slice(at + 1);
  if (name.trim() === '' || alias.trim() === '') throw improperModelsUri(uri);
  return { name, alias };
}

export interface ParsedRunsUri {
  runId: string;
  /** the artifact path inside the run; undefined for the run's artifact root */
  artifactPath?: string;
}

export function parseRunsUri(uri: string): ParsedRunsUri {
  const improper = new MlflowError(
    `Not a proper runs:/ URI: ${uri}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'`,
    'INVALID_PARAMETER_VALUE',
  );
  if (!uri.startsWith('runs:')) throw improper;
  const rest = uri.slice('runs:'.length);
  if (!rest.startsWith('/') || rest.startsWith('//') || rest.length <= 1) throw improper;
  const [runId, ...pathParts] = rest.slice(1).split('/');
  if (runId === '') throw improper;
  const artifactPath = pathParts.join('/');
  if (climbsOut(artifactPath)) {
    throw new MlflowError(
      `Invalid artifact path '${artifactPath}' in ${uri}: it climbs out of the run's artifact root ('..' once percent-decoded)`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  return artifactPath === '' ? { runId } : { runId, artifactPath };
}

/**
 * Whether a run-relative path has a `..` segment, as written or once percent-decoded (as often
 * as decoding changes it: a file: or http artifact location decodes `%2e%2e`, `%252e%252e`...).
 */
function climbsOut(artifactPath: string): boolean {
  let current = artifactPath;
  for (let round = 0; round < 8; round++) {
    if (current.split(/[\\/]/).some((segment) => segment === '..')) return true;
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return false;
    }
    if (decoded === current) return false;
    current = decoded;
  }
  return true;
}

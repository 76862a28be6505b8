import { MlflowError } from '../errors.js';
import { uriScheme } from '../model/index.js';
import { localUriToPath } from './uri.js';

/** Where tracking data lives: MLFLOW_TRACKING_URI, else ./mlruns (as in MLflow). */
export function getTrackingUri(env: NodeJS.ProcessEnv = process.env): string {
  return env.MLFLOW_TRACKING_URI || './mlruns';
}

/** The registry: MLFLOW_REGISTRY_URI, else the tracking URI. */
export function getRegistryUri(trackingUri: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.MLFLOW_REGISTRY_URI || trackingUri;
}

export type StoreLocation = { kind: 'file'; root: string } | { kind: 'rest'; host: string };

/** A tracking or registry URI: a path or file: URI is a file store; http(s): is a server. */
export function parseStoreUri(uri: string): StoreLocation {
  const scheme = uriScheme(uri);
  if (scheme === undefined || scheme === 'file') return { kind: 'file', root: localUriToPath(uri) };
  if (scheme === 'http' || scheme === 'https') return { kind: 'rest', host: uri.replace(/\/+$/, '') };
  throw new MlflowError(
    `Tracking URI '${uri}' is not supported: mlflow-ts works with a local file store (a path or a file: URI) ` +
      'or an MLflow tracking server (http:// or https://)',
    'NOT_IMPLEMENTED',
  );
}

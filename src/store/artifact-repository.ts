import { MlflowError } from '../errors.js';
import { uriScheme } from '../model/index.js';
import type { ArtifactRepository } from './store.js';
import { LocalArtifactRepository } from './local-artifact-repository.js';
import { HttpArtifactRepository } from './http-artifact-repository.js';
import { S3ArtifactRepository } from './s3-artifact-repository.js';
import { GcsArtifactRepository } from './gcs-artifact-repository.js';
import { AzureBlobArtifactRepository } from './azure-blob-artifact-repository.js';
import { hostCredsFromEnv } from './rest-client.js';
import { relocateIntoStore } from './relocate.js';
import { localUriToPath } from './uri.js';

export interface ArtifactContext {
  /** the tracking URI, which mlflow-artifacts:/ paths without a host are served from */
  trackingUri: string;
  /** the file store root, to relocate file: artifact URIs recorded under another root */
  fileStoreRoot?: string;
}

/** The repository for an artifact URI: file:/paths, mlflow-artifacts:, http(s) artifact proxies, s3:, gs:, wasbs:. */
export function getArtifactRepository(uri: string, ctx: ArtifactContext): ArtifactRepository {
  const scheme = uriScheme(uri);
  if (scheme === undefined || scheme === 'file') {
    const local = localUriToPath(uri);
    return new LocalArtifactRepository(ctx.fileStoreRoot === undefined ? local : relocateIntoStore(local, ctx.fileStoreRoot));
  }
  if (scheme === 'mlflow-artifacts') {
    const url = resolveMlflowArtifactsUri(uri, ctx.trackingUri);
    return new HttpArtifactRepository(url, hostCredsFromEnv(new URL(url).origin));
  }
  if (scheme === 'http' || scheme === 'https') {
    return new HttpArtifactRepository(uri, hostCredsFromEnv(new URL(uri).origin));
  }
  if (scheme === 's3') return new S3ArtifactRepository(uri);
  if (scheme === 'gs') return new GcsArtifactRepository(uri);
  if (scheme === 'wasbs') return new AzureBlobArtifactRepository(uri);
  throw new MlflowError(
    `No artifact repository for '${uri}': mlflow-ts reads local artifacts (paths, file:), artifacts served by an ` +
      `MLflow server (mlflow-artifacts:, http(s):), S3 (s3:), Google Cloud Storage (gs:) and Azure Blob Storage (wasbs:), not '${scheme}:'`,
    'NOT_IMPLEMENTED',
  );
}

/**
 * `mlflow-artifacts:/<path>` -> `<tracking server>/api/2.0/mlflow-artifacts/artifacts/<path>`;
 * `mlflow-artifacts://host:port/<path>` names the server itself (http), as in MLflow.
 */
export function resolveMlflowArtifactsUri(uri: string, trackingUri: string): string {
  const rest = uri.slice('mlflow-artifacts:'.length);
  let base: string;
  let artifactPath: string;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    if (host === '') throw new MlflowError(`Not a proper mlflow-artifacts URI: '${uri}'`, 'INVALID_PARAMETER_VALUE');
    base = `http://${host}`;
    artifactPath = slash < 0 ? '' : rest.slice(slash);
  } else {
    const scheme = uriScheme(trackingUri);
    if (scheme !== 'http' && scheme !== 'https') {
      throw new MlflowError(
        `When an mlflow-artifacts URI was supplied, the tracking URI must be a valid http or https URI, but it was ` +
          `currently set to ${trackingUri}. Perhaps you forgot to set the tracking URI to the running MLflow server ` +
          '(the MLFLOW_TRACKING_URI environment variable).',
        'INVALID_PARAMETER_VALUE',
      );
    }
    base = trackingUri.replace(/\/+$/, '');
    artifactPath = rest;
  }
  return `${base}/api/2.0/mlflow-artifacts/artifacts/${artifactPath.replace(/^\/+/, '')}`.replace(/\/+$/, '');
}

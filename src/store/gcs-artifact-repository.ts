import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type * as Gcs from '@google-cloud/storage';
import { MlflowError, type ErrorCode } from '../errors.js';
import { importOptional } from '../optional-packages.js';
import type { FileInfo } from './entities.js';
import type { ArtifactRepository } from './store.js';
import { downloadObjectArtifacts, listFolder, parseBucketUri, treeKeys, writeObjects, type BucketLocation, type ObjectPage } from './object-keys.js';
import { logEachFile } from './log-files.js';

export type GcsLocation = BucketLocation;

/** `gs://bucket/path/to/dir` -> { bucket, key: 'path/to/dir' }. */
export function parseGcsUri(uri: string): GcsLocation {
  return parseBucketUri(uri, 'gs', 'a GCS');
}

export interface GcsOptions {
  /**
   * The JSON API's base URL (Python's client_options api_endpoint), called with the same
   * credentials as storage.googleapis.com would be; default https://storage.googleapis.com.
   */
  endpoint?: string;
}

/** The SDK is loaded on first use, so that `import('mlflow-ts')` never pays for it. */
function loadSdk(): Promise<typeof Gcs> {
  return importOptional(() => import('@google-cloud/storage'));
}

/**
 * MLFLOW_GCS_DEFAULT_TIMEOUT (seconds; -1 for none) as MLflow passes it to every upload and
 * download; unset, the client library's own default (60 s in Python's, here the SDK's).
 */
function timeoutMs(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.MLFLOW_GCS_DEFAULT_TIMEOUT;
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || (seconds < 0 && seconds !== -1)) {
    throw new MlflowError(`MLFLOW_GCS_DEFAULT_TIMEOUT must be a whole number of seconds or -1, got: ${raw}`, 'INVALID_PARAMETER_VALUE');
  }
  // The SDK has no "no timeout"; a day stands for it.
  return seconds === -1 ? 24 * 3600 * 1000 : seconds * 1000;
}

/** The message of an SDK error: the API's JSON error message when the body is one, else the error's own. */
function apiMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  try {
    const body = JSON.parse(message) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    // not a JSON body: the message is already the API's or the library's
  }
  return message;
}

/**
 * What Google's OAuth token endpoint answered when it refused to exchange the credentials (a
 * revoked refresh token, a deleted service-account key), or undefined for any other failure.
 */
function tokenRefusal(e: unknown): string | undefined {
  const err = e as { config?: { url?: unknown }; response?: { data?: unknown } } | null;
  const url = typeof err?.config?.url === 'string' ? err.config.url : String(err?.config?.url ?? '');
  if (!/^https:\/\/[a-z0-9.-]*googleapis\.com\/(oauth2\/v\d\/)?token\b/.test(url)) return undefined;
  const data = err?.response?.data as { error?: unknown; error_description?: unknown } | undefined;
  const parts = [data?.error, data?.error_description].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.length > 0 ? parts.join(': ') : apiMessage(e);
}

/** An SDK failure on `shown` as the MlflowError MLflow's codes give it; MlflowErrors pass through. */
function gcsFailure(shown: string, e: unknown): MlflowError {
  if (e instanceof MlflowError) return e;
  const status = (e as { code?: unknown } | null)?.code;
  const reason = apiMessage(e);
  const fail = (message: string, code: ErrorCode): MlflowError => new MlflowError(message, code, { cause: e });
  if (/Could not load the default credentials/.test(reason)) {
    return fail(
      `No Google Cloud credentials to read ${shown}, and Google Cloud Storage refused an anonymous request: set GOOGLE_APPLICATION_CREDENTIALS ` +
        'to a service account key file, run `gcloud auth application-default login`, or run where the GCE metadata server answers',
      'UNAUTHENTICATED',
    );
  }
  const keyFile = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  const refused = tokenRefusal(e);
  if (refused !== undefined) {
    const source = keyFile ? `the credentials in '${keyFile}' (GOOGLE_APPLICATION_CREDENTIALS)` : 'the Google Cloud credentials';
    return fail(`Google's token endpoint refused ${source} for ${shown}: ${refused}`, 'UNAUTHENTICATED');
  }
  if (keyFile && (reason.includes(keyFile) || (typeof status === 'string' && status.startsWith('ERR_OSSL')))) {
    return fail(`The Google credentials file '${keyFile}' (GOOGLE_APPLICATION_CREDENTIALS) cannot be used for ${shown}: ${reason}`, 'UNAUTHENTICATED');
  }
  if (status === 404) return fail(`${shown} does not exist in Google Cloud Storage: ${reason}`, 'RESOURCE_DOES_NOT_EXIST');
  if (status === 403) return fail(`Access denied to ${shown}: ${reason}`, 'PERMISSION_DENIED');
  if (status === 401) return fail(`Google Cloud Storage refused the credentials for ${shown}: ${reason}`, 'UNAUTHENTICATED');
  if (status === 'ETIMEDOUT' || /timeout/i.test(reason)) return fail(`Google Cloud Storage did not answer in time for ${shown}: ${reason}`, 'DEADLINE_EXCEEDED');
  return fail(`Google Cloud Storage failed on ${shown}: ${reason}`, 'INTERNAL_ERROR');
}

/**
 * Artifacts in Google Cloud Storage, as MLflow's GCSArtifactRepository, through Google's own
 * client (@google-cloud/storage, an optional package): credentials are found as google-auth finds
 * them for MLflow (GOOGLE_APPLICATION_CREDENTIALS, gcloud's application-default credentials, the
 * GCE/GKE/Cloud Run metadata server); without any, requests go anonymously, as MLflow's
 * anonymous client does (public buckets). STORAGE_EMULATOR_HOST points it at an emulator, without
 * credentials. The SDK retries what is safe to retry.
 */
export class GcsArtifactRepository implements ArtifactRepository {
  private readonly location: GcsLocation;
  private bucketPromise?: Promise<Gcs.Bucket>;

  constructor(
    readonly uri: string,
    private readonly options: GcsOptions = {},
  ) {
    this.location = parseGcsUri(uri);
  }

  /** One client per repository, made on first use. */
  private bucket(): Promise<Gcs.Bucket> {
    this.bucketPromise ??= loadSdk().then((sdk) => {
      // Python's client takes STORAGE_EMULATOR_HOST as host:port too; the Node SDK reads it
      // itself, as a URL, so a bare host gets the http:// an emulator speaks.
      const emulator = process.env.STORAGE_EMULATOR_HOST;
      if (emulator !== undefined && emulator !== '' && !/^https?:\/\//i.test(emulator)) process.env.STORAGE_EMULATOR_HOST = `http://${emulator}`;
      const timeout = timeoutMs(process.env);
      const storage = new sdk.Storage({
        ...(this.options.endpoint !== undefined ? { apiEndpoint: this.options.endpoint.replace(/\/+$/, ''), useAuthWithCustomEndpoint: true } : {}),
        ...(timeout !== undefined ? { timeout } : {}),
      });
      return storage.bucket(this.location.bucket);
    });
    return this.bucketPromise;
  }

  private keyOf(artifactPath?: string): string {
    const rel = (artifactPath ?? '').replace(/^\/+|\/+$/g, '');
    return [this.location.key, rel].filter((p) => p !== '').join('/');
  }

  private uriOf(key: string): string {
    return `gs://${this.location.bucket}/${key}`;
  }

  private get rootPrefix(): string {
    return this.location.key === '' ? '' : `${this.location.key}/`;
  }

  async logArtifact(localFile: string, artifactPath?: string): Promise<void> {
    const key = [this.keyOf(artifactPath), path.basename(localFile)].filter((p) => p !== '').join('/');
    const bucket = await this.bucket();
    try {
      // One multipart request per file (Python's client does the same up to 8 MiB, then resumable).
      await bucket.upload(localFile, { destination: key, resumable: false, contentType: 'application/octet-stream' });
    } catch (e) {
      throw gcsFailure(this.uriOf(key), e);
    }
  }

  async logArtifacts(localDir: string, artifactPath?: string): Promise<void> {
    await logEachFile(localDir, artifactPath, (file, dest) => this.logArtifact(file, dest));
  }

  /** Every page of objects.list for `prefix`: object names with sizes, and folder prefixes. */
  private async *listPages(prefix: string, delimiter?: string): AsyncGenerator<ObjectPage> {
    const shown = this.uriOf(prefix.replace(/\/+$/, ''));
    const bucket = await this.bucket();
    let query: Gcs.GetFilesOptions | null = { prefix, ...(delimiter !== undefined ? { delimiter } : {}), autoPaginate: false };
    while (query !== null) {
      let files: Gcs.File[];
      let next: Gcs.GetFilesOptions | null | undefined;
      let response: { prefixes?: unknown } | undefined;
      try {
        [files, next, response] = (await bucket.getFiles(query)) as [Gcs.File[], Gcs.GetFilesOptions | null | undefined, { prefixes?: unknown } | undefined];
      } catch (e) {
        throw gcsFailure(shown, e);
      }
      yield {
        objects: files.map((f) => ({ key: f.name, ...(f.metadata.size !== undefined ? { size: Number(f.metadata.size) } : {}) })),
        prefixes: (Array.isArray(response?.prefixes) ? response.prefixes : []).filter((p): p is string => typeof p === 'string'),
      };
      // The next query leaves autoPaginate out, which would fetch every remaining page at once.
      query = next ? { ...next, autoPaginate: false } : null;
    }
  }

  async listArtifacts(artifactPath?: string): Promise<FileInfo[]> {
    const dest = this.keyOf(artifactPath);
    const prefix = dest === '' ? '' : `${dest}/`;
    return listFolder(this.listPages(prefix, '/'), prefix, this.rootPrefix, this.uriOf(dest));
  }

  async downloadArtifacts(artifactPath?: string, dstDir?: string): Promise<string> {
    return downloadObjectArtifacts(artifactPath, dstDir, (rel, dir) => this.downloadTree(rel, dir));
  }

  /** Everything under the name `rel` gives, or that one object when nothing is under it. */
  private async downloadTree(rel: string, dir: string): Promise<void> {
    const dest = this.keyOf(rel);
    const shown = this.uriOf(dest);
    const bucket = await this.bucket();
    const keys = await treeKeys(this.listPages(dest === '' ? '' : `${dest}/`), dest, rel, shown);
    await writeObjects(dir, keys, this.rootPrefix, shown, (key) => Promise.resolve(objectStream(bucket.file(key), this.uriOf(key))));
  }
}

/** The object's bytes as a stream (checked against its CRC32C when the service sends one); a failure names the object. */
function objectStream(file: Gcs.File, shown: string): Readable {
  const body = file.createReadStream();
  const out = new PassThrough();
  body.on('error', (e) => out.destroy(gcsFailure(shown, e)));
  out.on('close', () => body.destroy());
  return body.pipe(out);
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { MlflowError } from '../errors.js';
import type { FileInfo } from './entities.js';
import type { ArtifactRepository } from './store.js';
import { gcsAccessToken } from './gcs-credentials.js';
import { downloadObjectArtifacts, listFolder, parseBucketUri, treeKeys, writeObjects, type BucketLocation, type ObjectPage } from './object-keys.js';
import { httpRequest, type HostCreds, type RequestOptions } from './rest-client.js';
import { logEachFile } from './log-files.js';

export type GcsLocation = BucketLocation;

/** `gs://bucket/path/to/dir` -> { bucket, key: 'path/to/dir' }. */
export function parseGcsUri(uri: string): GcsLocation {
  return parseBucketUri(uri, 'gs', 'a GCS');
}

export interface GcsOptions {
  /** the JSON API's base URL (Python's client_options api_endpoint); default https://storage.googleapis.com */
  endpoint?: string;
  env?: NodeJS.ProcessEnv;
}

interface GcsError {
  error?: { code?: number; message?: string };
}

/**
 * Artifacts in Google Cloud Storage, as MLflow's GCSArtifactRepository, over the GCS JSON API
 * (objects.list, objects.get ?alt=media, media upload) with the retries of every MLflow HTTP call.
 * STORAGE_EMULATOR_HOST points it at an emulator without credentials, as google-cloud-storage does.
 */
export class GcsArtifactRepository implements ArtifactRepository {
  private readonly location: GcsLocation;
  private readonly base: string;
  private readonly anonymous: boolean;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly uri: string,
    options: GcsOptions = {},
  ) {
    this.location = parseGcsUri(uri);
    this.env = options.env ?? process.env;
    const emulator = this.env.STORAGE_EMULATOR_HOST;
    this.anonymous = options.endpoint === undefined && Boolean(emulator);
    const base = options.endpoint ?? (emulator ? (/^https?:\/\//.test(emulator) ? emulator : `http://${emulator}`) : 'https://storage.googleapis.com');
    this.base = base.replace(/\/+$/, '');
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

  /** One JSON API call; 401/403/404 become errors that name `shown`. */
  private async call(shown: string, url: string, options: RequestOptions = {}): Promise<Response> {
    const creds: HostCreds = { host: this.base, ...(this.anonymous ? {} : { token: await gcsAccessToken(shown, this.env) }) };
    const response = await httpRequest(creds, url, { ...options, returnStatuses: [401, 403, 404] });
    if (response.ok) return response;
    const body = (await response.json().catch(() => ({}))) as GcsError;
    const reason = body.error?.message ?? `status ${response.status}`;
    if (response.status === 404) throw new MlflowError(`${shown} does not exist in Google Cloud Storage: ${reason}`, 'RESOURCE_DOES_NOT_EXIST');
    if (response.status === 403) throw new MlflowError(`Access denied to ${shown}: ${reason}`, 'PERMISSION_DENIED');
    throw new MlflowError(`Google Cloud Storage refused the credentials for ${shown}: ${reason}`, 'UNAUTHENTICATED');
  }

  private objectUrl(key: string): string {
    return `${this.base}/storage/v1/b/${encodeURIComponent(this.location.bucket)}/o/${encodeURIComponent(key)}`;
  }

  async logArtifact(localFile: string, artifactPath?: string): Promise<void> {
    const key = [this.keyOf(artifactPath), path.basename(localFile)].filter((p) => p !== '').join('/');
    await this.call(this.uriOf(key), `${this.base}/upload/storage/v1/b/${encodeURIComponent(this.location.bucket)}/o`, {
      method: 'POST',
      query: { uploadType: 'media', name: key },
      body: await fs.readFile(localFile),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
  }

  async logArtifacts(localDir: string, artifactPath?: string): Promise<void> {
    await logEachFile(localDir, artifactPath, (file, dest) => this.logArtifact(file, dest));
  }


  /** Every page of objects.list for `prefix`: object names with sizes, and folder prefixes. */
  private async *listPages(prefix: string, delimiter?: string): AsyncGenerator<ObjectPage> {
    const shown = this.uriOf(prefix.replace(/\/+$/, ''));
    let pageToken: string | undefined;
    do {
      const response = await this.call(shown, `${this.base}/storage/v1/b/${encodeURIComponent(this.location.bucket)}/o`, {
        query: { prefix, delimiter, pageToken },
      });
      const page = (await response.json().catch(() => undefined)) as
        | { items?: { name?: unknown; size?: unknown }[]; prefixes?: unknown[]; nextPageToken?: unknown }
        | undefined;
      if (page === undefined || page === null || typeof page !== 'object') {
        throw new MlflowError(`Google Cloud Storage answered the listing of ${shown} with something that is not JSON`, 'INTERNAL_ERROR');
      }
      yield {
        objects: (Array.isArray(page.items) ? page.items : [])
          .filter((i) => i !== null && typeof i === 'object' && typeof i.name === 'string')
          .map((i) => ({ key: i.name as string, ...(i.size !== undefined ? { size: Number(i.size) } : {}) })),
        prefixes: (Array.isArray(page.prefixes) ? page.prefixes : []).filter((p): p is string => typeof p === 'string'),
      };
      pageToken = typeof page.nextPageToken === 'string' && page.nextPageToken !== '' ? page.nextPageToken : undefined;
    } while (pageToken !== undefined);
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
    const keys = await treeKeys(this.listPages(dest === '' ? '' : `${dest}/`), dest, rel, shown);
    await writeObjects(dir, keys, this.rootPrefix, shown, async (key) => {
      const response = await this.call(this.uriOf(key), this.objectUrl(key), { query: { alt: 'media' } });
      return response.body === null ? undefined : Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    });
  }
}

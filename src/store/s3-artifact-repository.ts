import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import { MlflowError } from '../errors.js';
import { importOptional } from '../optional-packages.js';
import type { FileInfo } from './entities.js';
import type { ArtifactRepository } from './store.js';
import { downloadObjectArtifacts, listFolder, parseBucketUri, treeKeys, writeObjects, type BucketLocation, type ObjectPage } from './object-keys.js';
import { logEachFile } from './log-files.js';

type S3Sdk = typeof S3;

export type S3Location = BucketLocation;

/** `s3://bucket/path/to/dir` -> { bucket, key: 'path/to/dir' }. */
export function parseS3Uri(uri: string): S3Location {
  return parseBucketUri(uri, 's3', 'an S3');
}

/**
 * The S3 client MLflow's S3ArtifactRepository would make from the environment: the SDK's standard
 * credential chain (env, shared files, SSO, web identity, instance roles); the region from
 * AWS_REGION or AWS_DEFAULT_REGION (boto's name), else the SDK's own lookup; MLFLOW_S3_ENDPOINT_URL
 * for S3-compatible stores such as MinIO, addressed path-style as boto does for a custom
 * endpoint; MLFLOW_S3_IGNORE_TLS to skip certificate checks. The SDK retries throttling and 5xx
 * answers itself (its standard mode, AWS_MAX_ATTEMPTS), as boto does for MLflow.
 */
function makeClient(sdk: S3Sdk, env: NodeJS.ProcessEnv): S3.S3Client {
  const endpoint = env.MLFLOW_S3_ENDPOINT_URL || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (endpoint !== undefined ? 'us-east-1' : undefined);
  const ignoreTls = ['true', '1'].includes((env.MLFLOW_S3_IGNORE_TLS ?? '').toLowerCase());
  return new sdk.S3Client({
    ...(region !== undefined ? { region } : {}),
    ...(endpoint !== undefined
      ? {
          endpoint,
          forcePathStyle: true,
          // S3-compatible stores often reject the newer flexible checksums; send them only where S3 requires them.
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : { followRegionRedirects: true }),
    requestHandler: {
      // boto's defaults (60 s to connect, 60 s without data), so that a stalled store fails instead of hanging
      connectionTimeout: 60_000,
      requestTimeout: 60_000,
      // node:https fetched here, not imported: importing mlflow-ts should not load node:tls.
      ...(ignoreTls ? { httpsAgent: new (process.getBuiltinModule('node:https').Agent)({ rejectUnauthorized: false }) } : {}),
    },
  });
}

function loadSdk(): Promise<S3Sdk> {
  return importOptional(() => import('@aws-sdk/client-s3'), 's3') as Promise<S3Sdk>;
}

function errorName(e: unknown): string {
  return typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : 'Error';
}

function httpStatusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** An SDK failure as an MlflowError naming the S3 URI and the operation. */
function s3Failure(operation: string, uri: string, e: unknown): MlflowError {
  if (e instanceof MlflowError) return e;
  const name = errorName(e);
  const message = e instanceof Error ? e.message : String(e);
  const status = httpStatusOf(e);
  if (name === 'NoSuchBucket') {
    return new MlflowError(`${operation} ${uri} failed: the bucket '${parseS3Uri(uri).bucket}' does not exist (NoSuchBucket)`, 'RESOURCE_DOES_NOT_EXIST', { cause: e });
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    return new MlflowError(
      `${operation} ${uri} failed: access denied (${name}: ${message}). Check the AWS credentials in use ` +
        '(AWS_ACCESS_KEY_ID, AWS_PROFILE, instance role) and the bucket policy.',
      'PERMISSION_DENIED',
      { cause: e },
    );
  }
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'CredentialsProviderError' || name === 'ExpiredToken') {
    return new MlflowError(`${operation} ${uri} failed: no valid AWS credentials (${name}: ${message})`, 'UNAUTHENTICATED', { cause: e });
  }
  if (/region is missing/i.test(message)) {
    return new MlflowError(`${operation} ${uri} failed: no AWS region; set AWS_REGION or AWS_DEFAULT_REGION`, 'INVALID_STATE', { cause: e });
  }
  return new MlflowError(`${operation} ${uri} failed: ${name}: ${message}`, 'INTERNAL_ERROR', { cause: e });
}

/**
 * MLFLOW_S3_UPLOAD_EXTRA_ARGS: a JSON object of extra upload arguments, e.g.
 * {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "..."}; boto's ExtraArgs names are the
 * PutObject input names of the JS SDK.
 */
function uploadExtraArgs(env: NodeJS.ProcessEnv): Record<string, string> {
  const raw = env.MLFLOW_S3_UPLOAD_EXTRA_ARGS;
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new MlflowError(`MLFLOW_S3_UPLOAD_EXTRA_ARGS must be a JSON object of strings, got: ${raw}`, 'INVALID_PARAMETER_VALUE');
  }
  return parsed as Record<string, string>;
}

/**
 * Artifacts in S3 or an S3-compatible store, as MLflow's S3ArtifactRepository: `uri` is
 * `s3://bucket/path`; files are listed with ListObjectsV2, fetched with GetObject and uploaded
 * with PutObject.
 */
export class S3ArtifactRepository implements ArtifactRepository {
  private readonly location: S3Location;

  constructor(
    readonly uri: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.location = parseS3Uri(uri);
  }

  /** One client per operation, destroyed after it so no idle socket keeps the process alive. */
  private async withClient<T>(operation: string, uri: string, run: (client: S3.S3Client, sdk: S3Sdk) => Promise<T>): Promise<T> {
    const sdk = await loadSdk();
    const client = makeClient(sdk, this.env);
    try {
      return await run(client, sdk);
    } catch (e) {
      throw s3Failure(operation, uri, e);
    } finally {
      client.destroy();
    }
  }

  private keyOf(artifactPath?: string): string {
    const rel = (artifactPath ?? '').replace(/^\/+|\/+$/g, '');
    return [this.location.key, rel].filter((p) => p !== '').join('/');
  }

  private uriOf(key: string): string {
    return `s3://${this.location.bucket}/${key}`;
  }

  async logArtifact(localFile: string, artifactPath?: string): Promise<void> {
    const key = [this.keyOf(artifactPath), path.basename(localFile)].filter((p) => p !== '').join('/');
    await this.withClient('Uploading to', this.uriOf(key), async (client, sdk) => {
      const extra = uploadExtraArgs(this.env);
      await client.send(new sdk.PutObjectCommand({ ...extra, Bucket: this.location.bucket, Key: key, Body: await fs.readFile(localFile) }));
    });
  }

  async logArtifacts(localDir: string, artifactPath?: string): Promise<void> {
    await logEachFile(localDir, artifactPath, (file, dest) => this.logArtifact(file, dest));
  }


  /** Every page of a ListObjectsV2 listing of `prefix`. */
  private async *listPages(client: S3.S3Client, sdk: S3Sdk, prefix: string, delimiter?: string): AsyncGenerator<ObjectPage> {
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }),
      );
      yield {
        prefixes: (page.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined ? [] : [p.Prefix])),
        objects: (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ key: o.Key, ...(o.Size !== undefined ? { size: o.Size } : {}) }])),
      };
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async listArtifacts(artifactPath?: string): Promise<FileInfo[]> {
    const rel = (artifactPath ?? '').replace(/^\/+|\/+$/g, '');
    const dest = this.keyOf(rel);
    const prefix = dest === '' ? '' : `${dest}/`;
    const rootPrefix = this.location.key === '' ? '' : `${this.location.key}/`;
    const shown = this.uriOf(dest);
    return this.withClient('Listing', shown, (client, sdk) => listFolder(this.listPages(client, sdk, prefix, '/'), prefix, rootPrefix, shown));
  }

  async downloadArtifacts(artifactPath?: string, dstDir?: string): Promise<string> {
    return downloadObjectArtifacts(artifactPath, dstDir, (rel, dir) => this.downloadTree(rel, dir));
  }

  /** Everything under the key `rel` names, or that one object when nothing is under it. */
  private async downloadTree(rel: string, dir: string): Promise<void> {
    const dest = this.keyOf(rel);
    const shown = this.uriOf(dest);
    const rootPrefix = this.location.key === '' ? '' : `${this.location.key}/`;
    await this.withClient('Downloading', shown, async (client, sdk) => {
      const keys = await treeKeys(this.listPages(client, sdk, dest === '' ? '' : `${dest}/`), dest, rel, shown);
      await writeObjects(dir, keys, rootPrefix, shown, async (key) => {
        try {
          const object = await client.send(new sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
          return object.Body as Readable | undefined;
        } catch (e) {
          if (errorName(e) === 'NoSuchKey') throw new MlflowError(`No artifacts found at ${this.uriOf(key)}`, 'RESOURCE_DOES_NOT_EXIST', { cause: e });
          throw s3Failure('Downloading', this.uriOf(key), e);
        }
      });
    });
  }
}

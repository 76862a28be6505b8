import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MlflowError } from '../errors.js';
import type { FileInfo } from './entities.js';
import { resolveInside } from '../model/index.js';
import { downloadInto } from './download-dir.js';
import { isRequestTimeout } from './rest-client.js';

/**
 * Object stores (S3, GCS) have flat keys, not folders. These helpers turn listed keys into
 * local paths, refusing keys that would leave the download folder.
 */

/** An object store location: a bucket and a key prefix without leading or trailing '/' ('' for the whole bucket). */
export interface BucketLocation {
  bucket: string;
  key: string;
}

/** `<scheme>://bucket/path/to/dir` -> { bucket, key: 'path/to/dir' }; `store` names the service in the error. */
export function parseBucketUri(uri: string, scheme: 's3' | 'gs', store: string): BucketLocation {
  const m = new RegExp(`^${scheme}://([^/]+)(/.*)?$`, 'i').exec(uri);
  if (!m) throw new MlflowError(`Not ${store} URI: '${uri}'. ${store.replace(/^an? /, '')} URIs have the form ${scheme}://<bucket>/<path>`, 'INVALID_PARAMETER_VALUE');
  return { bucket: m[1], key: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/** `key` below `prefix`, refusing '.', '..' and empty segments (MLflow's verify_artifact_path). */
export function relativeKey(key: string, prefix: string, uri: string): string {
  const rel = key.slice(prefix.length);
  if (!key.startsWith(prefix) || rel.split('/').some((s) => s === '.' || s === '..' || s === '')) {
    throw new MlflowError(`The listing of ${uri} holds a key that is not a safe relative path: '${key}'`, 'INVALID_PARAMETER_VALUE');
  }
  return rel;
}

/**
 * Writes each object of `keys` under `dir`, at its key below `rootPrefix`; `open` fetches one
 * object's bytes (undefined for an empty body). Every key is checked before anything is fetched.
 */
export async function writeObjects(
  dir: string,
  keys: readonly string[],
  rootPrefix: string,
  uri: string,
  open: (key: string) => Promise<Readable | undefined>,
): Promise<void> {
  const targets = keys.map((key) => ({ key, local: resolveInside(dir, relativeKey(key, rootPrefix, uri), 'artifact_path') }));
  for (const { key, local } of targets) {
    await fs.mkdir(path.dirname(local), { recursive: true });
    // Opened right before it is piped, so that a body failing early has a listener.
    const body = await open(key);
    if (body === undefined) {
      await fs.writeFile(local, new Uint8Array());
      continue;
    }
    try {
      await pipeline(body, createWriteStream(local));
    } catch (err) {
      // A store that already named what failed (and gave it MLflow's code) is not renamed.
      if (err instanceof MlflowError) throw err;
      const code = isRequestTimeout(err) ? 'DEADLINE_EXCEEDED' : 'INTERNAL_ERROR';
      throw new MlflowError(`Downloading '${key}' from ${uri} failed: ${(err as Error).message}`, code, { cause: err });
    }
  }
}

/** One page of an object listing: "folders" (common prefixes) and objects. */
export interface ObjectPage {
  prefixes: string[];
  objects: { key: string; size?: number }[];
}

/** The entries directly under `prefix` (a listing made with delimiter '/'), sorted by path. */
export async function listFolder(pages: AsyncIterable<ObjectPage>, prefix: string, rootPrefix: string, uri: string): Promise<FileInfo[]> {
  const infos: FileInfo[] = [];
  for await (const page of pages) {
    for (const p of page.prefixes) infos.push({ path: relativeKey(p.replace(/\/+$/, ''), rootPrefix, uri), isDir: true });
    for (const o of page.objects) {
      // The folder's own marker object ('dir/') is not an entry of it.
      if (o.key === prefix) continue;
      infos.push({ path: relativeKey(o.key, rootPrefix, uri), isDir: false, ...(o.size !== undefined ? { fileSize: o.size } : {}) });
    }
  }
  return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The keys of every object under `dest` (a listing without delimiter), or `dest` itself when
 * nothing is under it and it names a single object (`rel` not empty).
 */
export async function treeKeys(pages: AsyncIterable<ObjectPage>, dest: string, rel: string, uri: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of pages) for (const o of page.objects) if (!o.key.endsWith('/')) keys.push(o.key);
  if (keys.length > 0) return keys;
  if (rel === '') throw new MlflowError(`No artifacts found at ${uri}`, 'RESOURCE_DOES_NOT_EXIST');
  return [dest];
}

/**
 * downloadArtifacts for object stores: `downloadTree(rel, dir)` writes what is under `rel` into a
 * fresh folder (see downloadInto); the answer is the local path of `rel` in it.
 */
export async function downloadObjectArtifacts(artifactPath: string | undefined, dstDir: string | undefined, downloadTree: (rel: string, dir: string) => Promise<void>): Promise<string> {
  const rel = (artifactPath ?? '').replace(/^\/+|\/+$/g, '');
  const dst = await downloadInto(dstDir, (dir) => downloadTree(rel, dir));
  return rel === '' ? dst : resolveInside(dst, rel, 'artifact_path');
}

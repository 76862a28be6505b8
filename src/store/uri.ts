import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MlflowError } from '../errors.js';
import { uriScheme } from '../model/index.js';

/** `file:///abs/path` as MLflow's path_to_local_file_uri writes it. */
export function localPathToFileUri(localPath: string): string {
  return pathToFileURL(path.resolve(localPath)).href;
}

/** True for plain paths and file: URIs, the locations a local artifact repository serves. */
export function isLocalUri(uri: string): boolean {
  const scheme = uriScheme(uri);
  return scheme === undefined || scheme === 'file';
}

/** The local path of a plain path or a file: URI (file:///abs, file:/abs, file:rel). */
export function localUriToPath(uri: string): string {
  if (!uri.startsWith('file:')) return path.resolve(uri);
  if (uri.startsWith('file://')) {
    try {
      return fileURLToPath(uri);
    } catch (err) {
      throw new MlflowError(`Not a local file URI: '${uri}' (${(err as Error).message})`, 'INVALID_PARAMETER_VALUE');
    }
  }
  return path.resolve(decodeURIComponent(uri.slice('file:'.length)));
}

/** Appends path segments to a URI or path with exactly one '/' between them. */
export function joinUri(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ''), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ''))].filter((p) => p !== '').join('/');
}

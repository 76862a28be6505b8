import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlflowError } from '../errors.js';

/** Turns a model URI into the local directory that holds its MLmodel file. */
export type ModelUriResolver = (uri: string) => Promise<string>;

const resolvers = new Map<string, ModelUriResolver>();

/**
 * Registers how to turn `scheme:` URIs into a local model directory. store/ registers runs:,
 * models:, mlflow-artifacts:, http(s):, s3: and gs: this way, so model/ never imports store/.
 */
export function registerModelUriResolver(scheme: string, resolve: ModelUriResolver): void {
  resolvers.set(scheme.toLowerCase().replace(/:$/, ''), resolve);
}

/** The URI's scheme, or undefined for a plain path (a one-letter scheme is a Windows drive). */
export function uriScheme(uri: string): string | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(uri);
  return m ? m[1].toLowerCase() : undefined;
}

/**
 * The local model directory for a path, a file:// URI, a path to an MLmodel file, or a URI whose
 * scheme was registered with registerModelUriResolver.
 */
export async function resolveModelDir(uri: string): Promise<string> {
  const scheme = uriScheme(uri);
  let local: string;
  if (scheme === undefined) {
    local = uri;
  } else if (scheme === 'file') {
    try {
      local = uri.startsWith('file://') ? fileURLToPath(uri) : uri.slice('file:'.length);
    } catch (e) {
      throw new MlflowError(`Invalid file URI '${uri}': ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: e });
    }
  } else {
    const resolve = resolvers.get(scheme);
    if (!resolve) {
      const known = ['file', ...resolvers.keys()].map((s) => `${s}:`).join(', ');
      throw new MlflowError(
        `No resolver for model URI '${uri}': scheme '${scheme}:' is not registered (known: ${known}; import mlflow-ts's store to add runs:, models: and http(s):)`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    local = await resolve(uri);
  }
  local = path.resolve(local);
  let info;
  try {
    info = await stat(local);
  } catch (e) {
    throw unreadableModelPath(local, e);
  }
  return info.isDirectory() ? local : path.dirname(local);
}

/** Why a model path cannot be read, by its errno: only a missing path "does not exist". */
function unreadableModelPath(local: string, e: unknown): MlflowError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') {
    return new MlflowError(`Model path '${local}' cannot be resolved: it is a symbolic link loop (ELOOP)`, 'INVALID_PARAMETER_VALUE', { cause: e });
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') return new MlflowError(`Model path '${local}' does not exist`, 'RESOURCE_DOES_NOT_EXIST', { cause: e });
  return new MlflowError(`Model path '${local}' cannot be read: ${(e as Error).message}`, 'PERMISSION_DENIED', { cause: e });
}

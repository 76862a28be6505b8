import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { MlflowError } from '../errors.js';

/**
 * Resolves a path written in an MLmodel file against the model directory, refusing any path
 * that leaves it: absolute paths, `..` segments that climb out, and symlinks (of the path or of
 * any directory on the way) that point outside. `field` names the MLmodel field in the error,
 * e.g. 'flavors.sklearn.pickled_model'.
 *
 * Model.load checks the flavor fields it knows (checkFlavorPaths below); a flavor loader should
 * still resolve each file it opens through this (or flavorPath), which also covers fields that
 * list does not name.
 */
export function resolveInside(modelDir: string, relPath: string, field: string): string {
  if (typeof relPath !== 'string' || relPath === '') {
    throw new MlflowError(`Field '${field}' must be a non-empty relative path`, 'INVALID_PARAMETER_VALUE');
  }
  if (relPath.includes('\0')) {
    throw new MlflowError(`Field '${field}' contains a NUL byte`, 'INVALID_PARAMETER_VALUE');
  }
  if (path.isAbsolute(relPath) || path.win32.isAbsolute(relPath)) {
    throw new MlflowError(
      `Field '${field}' is an absolute path ('${relPath}'); model files must be inside the model directory`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  const root = path.resolve(modelDir);
  const target = path.resolve(root, relPath);
  if (!isInside(root, target)) {
    throw new MlflowError(`Field '${field}' ('${relPath}') points outside the model directory`, 'INVALID_PARAMETER_VALUE');
  }
  const realRoot = realOrSelf(root);
  const realTarget = realOfNearestExisting(target);
  if (!isInside(realRoot, realTarget)) {
    throw new MlflowError(
      `Field '${field}' ('${relPath}') resolves through a symlink to outside the model directory`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  return target;
}

/** resolveInside for a flavor's field: `flavorPath(dir, conf, 'sklearn', 'pickled_model')`. */
export function flavorPath(modelDir: string, conf: Record<string, unknown>, flavor: string, key: string): string {
  const field = `flavors.${flavor}.${key}`;
  const v = conf[key];
  if (typeof v !== 'string') {
    throw new MlflowError(`Field '${field}' is missing or not a path string in MLmodel`, 'INVALID_PARAMETER_VALUE');
  }
  return resolveInside(modelDir, v, field);
}

/**
 * flavorPath for a field that must name a file (a pickle, a booster, an ONNX graph): `.` or any
 * folder is refused by name here, rather than failing later as an unreadable file.
 */
export function flavorFilePath(modelDir: string, conf: Record<string, unknown>, flavor: string, key: string): string {
  const file = flavorPath(modelDir, conf, flavor, key);
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    const what = path.resolve(modelDir) === file ? 'the model folder itself' : 'a folder';
    throw new MlflowError(`Field 'flavors.${flavor}.${key}' ('${String(conf[key])}') names ${what}, not a file`, 'INVALID_PARAMETER_VALUE');
  }
  return file;
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** realpath of p, or of its nearest existing ancestor joined with the rest, for files not yet there. */
function realOfNearestExisting(p: string): string {
  let rest = '';
  let cur = p;
  for (;;) {
    try {
      return path.join(realpathSync(cur), rest);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      rest = path.join(path.basename(cur), rest);
      cur = parent;
    }
  }
}

/**
 * Flavor fields that name a file or directory of the model, across MLflow's built-in flavors.
 * Fields that MLflow allows to be absolute and never reads from the model directory
 * (langchain's `model_code_path` and `config`, the `uri` of pyfunc artifacts) are not listed.
 */
export const FLAVOR_PATH_FIELDS = [
  'data', 'code', 'model_path', 'pickled_model', 'saved_model_dir', 'model_data', 'model_file', 'model_dir',
  'python_model', 'input_schema', 'onnx_model', 'keras_model', 'model_binary', 'model',
] as const;

/**
 * Checks every known path field of every flavor (and python_function's `env` files and the
 * `path` of each pyfunc artifact) with resolveInside. Model.load calls it for local models, so a
 * model whose MLmodel points outside its directory is refused before any flavor reads a file.
 */
export function checkFlavorPaths(modelDir: string, flavors: Record<string, Record<string, unknown>>): void {
  for (const [flavor, conf] of Object.entries(flavors)) {
    for (const key of FLAVOR_PATH_FIELDS) {
      const v = conf[key];
      // `model` is also a plain setting in some flavors (a name, a dict): only strings that look like paths are checked.
      if (typeof v === 'string' && (key !== 'model' || /[\\/.]/.test(v))) resolveInside(modelDir, v, `flavors.${flavor}.${key}`);
    }
    const env = conf.env;
    if (typeof env === 'string') resolveInside(modelDir, env, `flavors.${flavor}.env`);
    else if (env && typeof env === 'object') {
      for (const [k, v] of Object.entries(env as Record<string, unknown>)) {
        if (typeof v === 'string') resolveInside(modelDir, v, `flavors.${flavor}.env.${k}`);
      }
    }
    const artifacts = conf.artifacts;
    if (artifacts && typeof artifacts === 'object') {
      for (const [name, a] of Object.entries(artifacts as Record<string, unknown>)) {
        const p = a && typeof a === 'object' ? (a as { path?: unknown }).path : undefined;
        if (typeof p === 'string') resolveInside(modelDir, p, `flavors.${flavor}.artifacts.${name}.path`);
      }
    }
  }
}

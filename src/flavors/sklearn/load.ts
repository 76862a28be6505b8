import { NotSupportedNativelyError } from '../../errors.js';
import { loadPickleFile } from '../../formats/pickle/index.js';
import { allowSklearnGlobal, buildEstimator, unsupportedMessage } from './build.js';
import type { Estimator } from './estimator.js';
import { loadBoosterBuildersFor } from './estimators/booster-wrappers.js';

/** The class the pickle reader refused ("refused to load global 'module.Name'"), if that was the error. */
function refusedClass(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const m = /refused to load global '([^']+)'/.exec(e.message);
  return m ? m[1] : null;
}

/**
 * Reads a pickle, joblib or cloudpickle file of a fitted estimator and rebuilds it. Only the
 * classes implemented here may appear in the file; any other class is refused by name.
 */
export async function loadSklearnEstimator(path: string): Promise<Estimator> {
  return (await readSklearnPickle(path)).estimator;
}

/**
 * The pickled object as read (for its state, e.g. _sklearn_version), the estimator built from it,
 * and the modules of every class and function the pickle names (what it needs installed).
 */
export async function readSklearnPickle(path: string): Promise<{ pickled: unknown; estimator: Estimator; modules: Set<string> }> {
  let pickled: unknown;
  const modules = new Set<string>();
  try {
    pickled = await loadPickleFile(path, { allowGlobal: allowSklearnGlobal, source: path, onGlobal: (module) => modules.add(module) });
  } catch (e) {
    const cls = refusedClass(e);
    if (cls) {
      throw new NotSupportedNativelyError(`${path}: ${unsupportedMessage(cls)}`, { cause: e });
    }
    throw e;
  }
  await loadBoosterBuildersFor(modules);
  return { pickled, estimator: buildEstimator(pickled, path), modules };
}

/** `_sklearn_version` from a pickled estimator's state (what requirements.txt pins). */
export function pickledSklearnVersion(obj: unknown): string | null {
  if (typeof obj === 'object' && obj !== null && (obj as { kind?: unknown }).kind === 'instance') {
    const v = (obj as { state: Record<string, unknown> }).state._sklearn_version;
    return typeof v === 'string' ? v : null;
  }
  return null;
}


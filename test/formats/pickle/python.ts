import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Debian's Python, with numpy, pandas, joblib and scikit-learn 1.2.1 (the pyenv one first on PATH has none). */
export const PYTHON = '/usr/bin/python3';

/** Loads pickles with Python's own pickle.load (see the script's docstring for its job format). */
export const LOAD_WRITTEN = join(import.meta.dirname, 'load_written.py');

/** Why the Python checks cannot run here, or undefined when they can. */
export const pythonMissing = ((): string | undefined => {
  try {
    const v = execFileSync(PYTHON, ['-c', 'import sklearn, joblib, pandas; print(sklearn.__version__)'], { encoding: 'utf8' }).trim();
    return v === '1.2.1' ? undefined : `${PYTHON} has scikit-learn ${v}, not 1.2.1`;
  } catch {
    return `${PYTHON} with numpy, pandas, joblib and scikit-learn 1.2.1 is not available`;
  }
})();

/** Appended to a test's name, so a skipped run says why. */
export const pythonNote = pythonMissing ? ` [skipped: ${pythonMissing}]` : '';

export interface LoadReport {
  checked: number;
  failures: Record<string, string>;
}

export function loadWithPython(job: { predict?: string[][]; same?: string[][] }): LoadReport {
  return JSON.parse(execFileSync(PYTHON, [LOAD_WRITTEN], { input: JSON.stringify(job), encoding: 'utf8', maxBuffer: 1 << 24 })) as LoadReport;
}

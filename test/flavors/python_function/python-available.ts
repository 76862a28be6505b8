import { spawnSync } from 'node:child_process';

/**
 * The bridge tests run the worker on Debian's /usr/bin/python3 (numpy, pandas, scikit-learn,
 * cloudpickle from apt; scripts/install-system-deps.sh installs them). The python3 first on PATH
 * may lack them, so MLFLOW_TS_PYTHON points at it unless the caller chose another.
 */
process.env.MLFLOW_TS_PYTHON ??= '/usr/bin/python3';
export const PYTHON = process.env.MLFLOW_TS_PYTHON;

const probe = spawnSync(PYTHON, ['-c', 'import numpy, pandas, sklearn, cloudpickle'], { encoding: 'utf8' });
export const pythonReady = probe.status === 0;
export const skipReason = pythonReady
  ? ''
  : `${PYTHON} cannot import numpy, pandas, sklearn and cloudpickle (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}); ` +
    'run scripts/install-system-deps.sh or set MLFLOW_TS_PYTHON';
if (!pythonReady) console.warn(`[python_function tests skipped] ${skipReason}`);

export { loadPythonFunction, type BridgeOptions, type PythonBridgeModel } from './load.js';
export { preparePythonEnv, localPython, defaultEnvRoot, type EnvManager, type PreparedEnv, type PrepareEnvOptions } from './prepare-env.js';
export { envFiles, envName, readPythonEnvSpec, type EnvFiles } from './env-spec.js';
export { WORKER_SCRIPT } from './python-worker.js';
export { saveModel, type SavePythonFunctionOptions } from './save-model.js';

/** The Python bridge: loadPredictor falls back to it for any model with a python_function flavor. */

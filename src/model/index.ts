/**
 * model/: the MLmodel file and what sits beside it (signature, input example, environment files),
 * read and written as MLflow 2.22.1 does. Path safety: Model.load refuses flavors whose known path
 * fields leave the model directory (checkFlavorPaths); flavor loaders resolve every file they open
 * with resolveInside/flavorPath. URIs other than paths and file:// resolve through resolvers that
 * store/ registers (registerModelUriResolver); model/ never imports store/.
 */
export { Model, MLMODEL_FILE_NAME, type FlavorConf, type ModelInit } from './model.js';
export type { SavedInputExampleInfo } from './input-example.js';
export type { SaveOptions } from './save.js';
export {
  AnyType, ArrayType, ColSpec, DATA_TYPES, MapType, ModelSignature, ObjectType, ParamSchema, ParamSpec, Property, Schema,
  TensorSpec, normalizeNumpyDtype, validateParamValue,
  type ColType, type DataType, type InputSpec, type ParamType, type SignatureDict,
} from './signature.js';
export {
  inferColType, inferExampleOutputSchema, inferParamSchema, inferSchema, inferSignature, inferSignatureFromExample, mergeTypes, sameType,
} from './infer-signature.js';
export { registerModelUriResolver, resolveModelDir, uriScheme, type ModelUriResolver } from './uri-resolver.js';
export { FLAVOR_PATH_FIELDS, checkFlavorPaths, flavorFilePath, flavorPath, resolveInside } from './path-safety.js';
export {
  INPUT_EXAMPLE_FILE, SERVING_INPUT_FILE, inputExampleFiles, loadInputExample, saveInputExample, tensorToList,
  type InputExample, type InputExampleFiles, type LoadedInputExample,
} from './input-example.js';
export {
  CONDA_ENV_FILE, PYTHON_ENV_FILE, REQUIREMENTS_FILE, condaYaml, defaultPythonEnvironment, parseCondaYaml,
  parsePythonEnvYaml, parseRequirements, pythonEnvYaml, readPythonEnvironment, requirementsTxt, writeEnvironmentFiles,
  type CondaEnv, type PythonEnvFile, type PythonEnvironment,
} from './environment.js';
export { totalFileSize } from './model-size.js';
export { PyFloat, parsePyJson, pyFloatRepr, pyJsonDumps } from '../formats/python-json.js';
export { formatUtcTime, isoformat, nowUtcTime, parseCreatedTime } from './time.js';
export { parseYaml11, stringifyYaml11 } from './yaml.js';

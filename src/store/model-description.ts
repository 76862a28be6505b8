import { MLMODEL_FILE_NAME, Model, loadInputExample, parsePyJson, readPythonEnvironment, resolveModelDir } from '../model/index.js';

/** What `models describe` reports about a model: plain JSON, snake_case as in the MLmodel file. */
export interface ModelDescription {
  model_uri: string;
  local_path: string;
  run_id?: string;
  artifact_path?: string;
  model_uuid?: string;
  mlflow_version?: string;
  utc_time_created?: string;
  model_size_bytes?: number;
  flavors: Record<string, Record<string, unknown>>;
  /** the schemas as parsed JSON lists (MLflow stores them as JSON strings); null when absent */
  signature: { inputs: unknown; outputs: unknown; params: unknown } | null;
  input_example: { type: string; pandas_orient?: string; example: unknown; serving_input: unknown } | null;
  environment: { python: string; build_dependencies: string[]; requirements: string[] } | null;
}

/**
 * Loads a model's metadata from any model URI (a path, file:, runs:/, models:/, ...) with its
 * signature, input example and Python environment. Reads files only; runs nothing.
 */
export async function describeModel(modelUri: string): Promise<ModelDescription> {
  const dir = await resolveModelDir(modelUri);
  const model = await Model.load(dir);
  const signature = model.signature;
  const example = await loadInputExample(dir, model);
  const env = await readPythonEnvironment(dir);
  return {
    model_uri: modelUri,
    local_path: dir,
    ...(model.runId !== undefined && { run_id: model.runId }),
    ...(model.artifactPath !== undefined && { artifact_path: model.artifactPath }),
    ...(model.modelUuid !== undefined && { model_uuid: model.modelUuid }),
    ...(model.mlflowVersion !== undefined && { mlflow_version: model.mlflowVersion }),
    ...(model.utcTimeCreated !== undefined && { utc_time_created: model.utcTimeCreated }),
    ...(model.modelSizeBytes !== undefined && { model_size_bytes: model.modelSizeBytes }),
    flavors: model.flavors,
    signature:
      signature === undefined
        ? null
        : {
            inputs: signature.inputs ? parsePyJson(signature.inputs.toJson(), `${MLMODEL_FILE_NAME} signature.inputs`) : null,
            outputs: signature.outputs ? parsePyJson(signature.outputs.toJson(), `${MLMODEL_FILE_NAME} signature.outputs`) : null,
            params:
              signature.params && signature.params.length > 0
                ? parsePyJson(signature.params.toJson(), `${MLMODEL_FILE_NAME} signature.params`)
                : null,
          },
    input_example:
      example === undefined
        ? null
        : {
            type: example.info.type,
            ...(example.info.pandas_orient !== undefined && { pandas_orient: example.info.pandas_orient }),
            example: example.example,
            serving_input: example.servingInput,
          },
    environment: env === undefined ? null : { python: env.python, build_dependencies: env.buildDependencies, requirements: env.requirements },
  };
}

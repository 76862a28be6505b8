import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { MLMODEL_FILE_NAME, Model, uriScheme } from '../model/index.js';
import type { ModelVersion } from './entities.js';
import { MlflowClient } from './client.js';
import { parseRunsUri } from './model-uri.js';

export interface LogModelOptions {
  runId: string;
  /** where the model goes inside the run's artifacts, e.g. 'model' */
  artifactPath: string;
  /** a saved model directory (MLmodel and the files its flavors name) */
  modelDir: string;
  /** the MLmodel to write; by default the one in modelDir */
  model?: Model;
  /** also register the logged model under this name (a new version) */
  registeredModelName?: string;
  client?: MlflowClient;
}

export interface ModelInfo {
  runId: string;
  artifactPath: string;
  /** runs:/<run_id>/<artifact_path> */
  modelUri: string;
  model: Model;
  registeredModelVersion?: ModelVersion;
}

/**
 * Logs a saved model to a run as mlflow.<flavor>.log_model does: the model's files go under
 * `artifactPath` in the run's artifacts with an MLmodel that names the run and the artifact path,
 * and the run's `mlflow.log-model.history` tag gains the model's summary.
 */
export async function logModel(options: LogModelOptions): Promise<ModelInfo> {
  const client = options.client ?? new MlflowClient();
  const artifactPath = options.artifactPath.replace(/^\/+|\/+$/g, '');
  if (artifactPath === '') throw new MlflowError('logModel needs a non-empty artifactPath', 'INVALID_PARAMETER_VALUE');
  const source = options.model ?? (await Model.load(options.modelDir));
  const model = Model.fromDict(source.toDict(), MLMODEL_FILE_NAME);
  model.runId = options.runId;
  model.artifactPath = artifactPath;

  const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-log-model-'));
  try {
    const dir = path.join(staging, 'model');
    await fs.cp(options.modelDir, dir, { recursive: true });
    await fs.writeFile(path.join(dir, MLMODEL_FILE_NAME), model.toYaml());
    await client.logArtifacts(options.runId, dir, artifactPath);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  await client.tracking.recordLoggedModel(options.runId, loggedModelTags(model));

  const modelUri = `runs:/${options.runId}/${artifactPath}`;
  const info: ModelInfo = { runId: options.runId, artifactPath, modelUri, model };
  if (options.registeredModelName !== undefined) {
    info.registeredModelVersion = await registerModel(modelUri, options.registeredModelName, { client });
  }
  return info;
}

/** MLflow's Model.get_tags_dict: the identity fields and the flavors without their 'config'. */
export function loggedModelTags(model: Model): Record<string, unknown> {
  const flavors: Record<string, unknown> = {};
  for (const [name, conf] of Object.entries(model.flavors)) {
    const { config: _config, ...rest } = conf;
    flavors[name] = rest;
  }
  const tags: Record<string, unknown> = {};
  if (model.runId !== undefined) tags.run_id = model.runId;
  if (model.artifactPath !== undefined) tags.artifact_path = model.artifactPath;
  if (model.utcTimeCreated !== undefined) tags.utc_time_created = model.utcTimeCreated;
  if (model.modelUuid !== undefined) tags.model_uuid = model.modelUuid;
  tags.flavors = flavors;
  return tags;
}

/**
 * mlflow.register_model: creates the registered model when it does not exist yet and a new
 * version of it from modelUri. A runs:/ URI is stored as the run's artifact location (with the
 * run id), as MLflow does.
 */
export async function registerModel(
  modelUri: string,
  name: string,
  options: { client?: MlflowClient; description?: string } = {},
): Promise<ModelVersion> {
  const client = options.client ?? new MlflowClient();
  try {
    await client.createRegisteredModel(name);
  } catch (err) {
    if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
  }
  let source = modelUri;
  let runId: string | undefined;
  if (uriScheme(modelUri) === 'runs') {
    runId = parseRunsUri(modelUri).runId;
    source = await client.resolveArtifactUri(modelUri);
  }
  return client.createModelVersion(name, source, runId, options.description);
}

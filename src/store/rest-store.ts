import { MlflowError } from '../errors.js';
import { pyJsonDumps } from '../model/index.js';
import type { Experiment, ModelVersion, RegisteredModel, Run, RunInfo, RunStatus } from './entities.js';
import type { CreateModelVersionArgs, CreateRunArgs, LogBatch, RegistryStore, TrackingStore } from './store.js';
import { callEndpoint, type HostCreds, type RequestOptions } from './rest-client.js';

type Json = Record<string, unknown>;
type KeyValue = { key: string; value: string };

/**
 * An MLflow tracking server through its REST API 2.0 (the endpoints of mlflow/server/handlers.py),
 * for both tracking and the model registry.
 */
export class RestStore implements TrackingStore, RegistryStore {
  constructor(readonly creds: HostCreds) {}

  private call<T = Json>(endpoint: string, options: RequestOptions = {}): Promise<T> {
    return callEndpoint<T>(this.creds, `mlflow/${endpoint}`, options);
  }

  async createExperiment(name: string, artifactLocation?: string): Promise<string> {
    const body = await this.call<{ experiment_id: string }>('experiments/create', {
      method: 'POST',
      json: { name, artifact_location: artifactLocation },
    });
    return String(body.experiment_id);
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const body = await this.call<{ experiment: Json }>('experiments/get', { query: { experiment_id: experimentId } });
    return toExperiment(body.experiment);
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const body = await this.call<{ experiment: Json }>('experiments/get-by-name', { query: { experiment_name: name } });
      return toExperiment(body.experiment);
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  async createRun(args: CreateRunArgs): Promise<Run> {
    const body = await this.call<{ run: Json }>('runs/create', {
      method: 'POST',
      json: {
        experiment_id: args.experimentId,
        user_id: args.userId,
        start_time: args.startTime,
        tags: toKeyValues(args.tags),
        run_name: args.runName,
      },
    });
    return toRun(body.run);
  }

  async getRun(runId: string): Promise<Run> {
    const body = await this.call<{ run: Json }>('runs/get', { query: { run_id: runId } });
    return toRun(body.run);
  }

  async updateRunInfo(runId: string, status: RunStatus, endTime: number | null, runName?: string): Promise<RunInfo> {
    const body = await this.call<{ run_info: Json }>('runs/update', {
      method: 'POST',
      json: { run_id: runId, run_uuid: runId, status, end_time: endTime ?? undefined, run_name: runName },
    });
    return toRunInfo(body.run_info);
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    await this.call('runs/log-batch', {
      method: 'POST',
      json: {
        run_id: runId,
        metrics: (batch.metrics ?? []).map((m) => ({ ...m, value: protoJsonDouble(m.value) })),
        params: toKeyValues(batch.params ?? {}),
        tags: toKeyValues(batch.tags ?? {}),
      },
    });
  }

  async recordLoggedModel(runId: string, modelTags: Record<string, unknown>): Promise<void> {
    await this.call('runs/log-model', { method: 'POST', json: { run_id: runId, model_json: pyJsonDumps(modelTags) } });
  }

  async createRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    const body = await this.call<{ registered_model: Json }>('registered-models/create', { method: 'POST', json: { name, description } });
    return toRegisteredModel(body.registered_model);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const body = await this.call<{ registered_model: Json }>('registered-models/get', { query: { name } });
    return toRegisteredModel(body.registered_model);
  }

  async createModelVersion(args: CreateModelVersionArgs): Promise<ModelVersion> {
    const body = await this.call<{ model_version: Json }>('model-versions/create', {
      method: 'POST',
      json: { name: args.name, source: args.source, run_id: args.runId, description: args.description },
    });
    return toModelVersion(body.model_version);
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const body = await this.call<{ model_version: Json }>('model-versions/get', { query: { name, version } });
    return toModelVersion(body.model_version);
  }

  async getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    const body = await this.call<{ model_versions?: Json[] }>('registered-models/get-latest-versions', {
      method: 'POST',
      json: { name, stages: stages ?? [] },
    });
    return (body.model_versions ?? []).map(toModelVersion);
  }

  async transitionModelVersionStage(name: string, version: string, stage: string, archiveExistingVersions = false): Promise<ModelVersion> {
    const body = await this.call<{ model_version: Json }>('model-versions/transition-stage', {
      method: 'POST',
      json: { name, version, stage, archive_existing_versions: archiveExistingVersions },
    });
    return toModelVersion(body.model_version);
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('registered-models/alias', { method: 'POST', json: { name, alias, version } });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.call('registered-models/alias', { method: 'DELETE', query: { name, alias } });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const body = await this.call<{ model_version: Json }>('registered-models/alias', { query: { name, alias } });
    return toModelVersion(body.model_version);
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const body = await this.call<{ artifact_uri: string }>('model-versions/get-download-uri', { query: { name, version } });
    if (typeof body.artifact_uri !== 'string') {
      throw new MlflowError(`The MLflow server gave no artifact_uri for model ${name} version ${version}`, 'INTERNAL_ERROR');
    }
    return body.artifact_uri;
  }
}

function toKeyValues(record: Record<string, string>): KeyValue[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

function fromKeyValues(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of Array.isArray(list) ? (list as KeyValue[]) : []) out[String(item.key)] = String(item.value ?? '');
  return out;
}

function str(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function nullable(value: unknown): string | null {
  return value === undefined || value === null ? null : String(value);
}

// Proto JSON may carry int64 fields as strings; MLflow's server sends numbers. Accept both.
function num(value: unknown): number {
  return value === undefined || value === null ? 0 : Number(value);
}

function toExperiment(e: Json): Experiment {
  if (e === undefined || e === null) throw new MlflowError('The MLflow server answered without an experiment', 'INTERNAL_ERROR');
  return {
    experimentId: str(e.experiment_id),
    name: str(e.name),
    artifactLocation: str(e.artifact_location),
    lifecycleStage: e.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    creationTime: e.creation_time === undefined ? undefined : num(e.creation_time),
    lastUpdateTime: e.last_update_time === undefined ? undefined : num(e.last_update_time),
    tags: fromKeyValues(e.tags),
  };
}

function toRunInfo(i: Json): RunInfo {
  if (i === undefined || i === null) throw new MlflowError('The MLflow server answered without run info', 'INTERNAL_ERROR');
  return {
    runId: str(i.run_id ?? i.run_uuid),
    runName: str(i.run_name),
    experimentId: str(i.experiment_id),
    userId: str(i.user_id),
    status: (str(i.status) || 'RUNNING') as RunStatus,
    startTime: num(i.start_time),
    endTime: i.end_time === undefined || i.end_time === null ? null : num(i.end_time),
    artifactUri: str(i.artifact_uri),
    lifecycleStage: i.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
  };
}

function toRun(r: Json): Run {
  if (r === undefined || r === null) throw new MlflowError('The MLflow server answered without a run', 'INTERNAL_ERROR');
  const data = (r.data ?? {}) as Json;
  const metrics: Record<string, number> = {};
  for (const m of Array.isArray(data.metrics) ? (data.metrics as Json[]) : []) metrics[str(m.key)] = Number(m.value);
  return {
    info: toRunInfo(r.info as Json),
    data: { metrics, params: fromKeyValues(data.params), tags: fromKeyValues(data.tags) },
  };
}

function toModelVersion(v: Json): ModelVersion {
  if (v === undefined || v === null) throw new MlflowError('The MLflow server answered without a model version', 'INTERNAL_ERROR');
  return {
    name: str(v.name),
    version: str(v.version),
    creationTimestamp: num(v.creation_timestamp),
    lastUpdatedTimestamp: num(v.last_updated_timestamp),
    currentStage: str(v.current_stage) || 'None',
    description: nullable(v.description),
    source: str(v.source),
    runId: nullable(v.run_id),
    runLink: nullable(v.run_link),
    status: str(v.status) || 'READY',
    statusMessage: nullable(v.status_message),
    userId: nullable(v.user_id),
    aliases: Array.isArray(v.aliases) ? v.aliases.map(String) : [],
    tags: fromKeyValues(v.tags),
  };
}

function toRegisteredModel(m: Json): RegisteredModel {
  if (m === undefined || m === null) throw new MlflowError('The MLflow server answered without a registered model', 'INTERNAL_ERROR');
  const aliases: Record<string, string> = {};
  for (const a of Array.isArray(m.aliases) ? (m.aliases as Json[]) : []) aliases[str(a.alias)] = str(a.version);
  return {
    name: str(m.name),
    creationTimestamp: num(m.creation_timestamp),
    lastUpdatedTimestamp: num(m.last_updated_timestamp),
    description: nullable(m.description),
    aliases,
    tags: fromKeyValues(m.tags),
    latestVersions: (Array.isArray(m.latest_versions) ? (m.latest_versions as Json[]) : []).map(toModelVersion),
  };
}

/**
 * A double as protobuf's JSON mapping writes it, which MLflow's client sends (message_to_json):
 * NaN and the infinities as the strings "NaN", "Infinity", "-Infinity". JSON.stringify would
 * turn them into null, which the server refuses as a missing value.
 */
function protoJsonDouble(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

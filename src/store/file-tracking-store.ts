import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { MlflowError } from '../errors.js';
import type { Experiment, Metric, Run, RunInfo, RunStatus } from './entities.js';
import type { CreateRunArgs, LogBatch, TrackingStore } from './store.js';
import { readYamlFile, writeYamlFile } from './yaml-file.js';
import { validateExperimentId, validateKey, validateRunId } from './validation.js';
import { pyFloatRepr, pyJsonDumps } from '../model/index.js';
import { joinUri, localPathToFileUri } from './uri.js';
import { listFilesRecursive, readValueFiles, writeText } from './fs-util.js';
import { randomRunName } from './run-name.js';

const TRASH = '.trash';
const MODELS = 'models';
const META = 'meta.yaml';
const DEFAULT_EXPERIMENT_ID = '0';
/** mlflow.entities.RunStatus numbers, as meta.yaml stores them */
const STATUS_CODES: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const SOURCE_TYPE_LOCAL = 4;
const LOGGED_MODELS_TAG = 'mlflow.log-model.history';

/**
 * The tracking half of MLflow's file store (mlflow/store/tracking/file_store.py), folder for
 * folder: `<root>/<experiment_id>/meta.yaml`, `<root>/<experiment_id>/<run_id>/{meta.yaml,
 * params/, metrics/, tags/, artifacts/}`, deleted experiments under `<root>/.trash`.
 */
export class FileTrackingStore implements TrackingStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** MLflow creates the root, the default experiment "0" and .trash when it opens a new store. */
  async ensureRoot(): Promise<void> {
    if (!existsSync(this.root)) {
      await fs.mkdir(this.root, { recursive: true });
      await this.createExperimentWithId('Default', DEFAULT_EXPERIMENT_ID);
    }
    await fs.mkdir(path.join(this.root, TRASH), { recursive: true });
  }

  async createExperiment(name: string, artifactLocation?: string): Promise<string> {
    if (typeof name !== 'string' || name === '') {
      throw new MlflowError('Invalid experiment name: \'\'', 'INVALID_PARAMETER_VALUE');
    }
    await this.ensureRoot();
    if ((await this.getExperimentByName(name)) !== undefined) {
      throw new MlflowError(`Experiment '${name}' already exists.`, 'RESOURCE_ALREADY_EXISTS');
    }
    return this.createExperimentWithId(name, uniqueIntegerId(), artifactLocation);
  }

  private async createExperimentWithId(name: string, experimentId: string, artifactLocation?: string): Promise<string> {
    const now = Date.now();
    await writeYamlFile(path.join(this.root, experimentId, META), {
      artifact_location: artifactLocation ?? localPathToFileUri(path.join(this.root, experimentId)),
      creation_time: now,
      experiment_id: experimentId,
      last_update_time: now,
      lifecycle_stage: 'active',
      name,
    });
    return experimentId;
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    validateExperimentId(experimentId);
    const dir = this.experimentDir(experimentId);
    if (dir === undefined) {
      throw new MlflowError(`Could not find experiment with ID ${experimentId}`, 'RESOURCE_DOES_NOT_EXIST');
    }
    return this.readExperiment(dir);
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    for (const id of await this.listSubdirs(this.root)) {
      if (id === TRASH || id === MODELS || !existsSync(path.join(this.root, id, META))) continue;
      const experiment = await this.readExperiment(path.join(this.root, id));
      if (experiment.name === name && experiment.lifecycleStage === 'active') return experiment;
    }
    return undefined;
  }

  async createRun(args: CreateRunArgs): Promise<Run> {
    const experiment = await this.getExperiment(args.experimentId);
    if (experiment.lifecycleStage !== 'active') {
      throw new MlflowError(`Could not create run under non-active experiment with ID ${args.experimentId}.`, 'INVALID_STATE');
    }
    const tagName = args.tags['mlflow.runName'];
    if (args.runName !== undefined && tagName !== undefined && args.runName !== tagName) {
      throw new MlflowError(
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values " +
          `(run_name='${args.runName}', mlflow.runName='${tagName}').`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    const runName = args.runName ?? tagName ?? randomRunName();
    const runId = randomUUID().replaceAll('-', '');
    const info: RunInfo = {
      runId,
      runName,
      experimentId: experiment.experimentId,
      userId: args.userId,
      status: 'RUNNING',
      startTime: args.startTime,
      endTime: null,
      artifactUri: joinUri(experiment.artifactLocation, runId, 'artifacts'),
      lifecycleStage: 'active',
    };
    const runDir = path.join(this.root, experiment.experimentId, runId);
    await writeYamlFile(path.join(runDir, META), { ...persistedRunInfo(info), deleted_time: null });
    for (const sub of ['metrics', 'params', 'artifacts']) await fs.mkdir(path.join(runDir, sub), { recursive: true });
    await this.writeTags(runDir, { ...args.tags, 'mlflow.runName': runName });
    return this.getRun(runId);
  }

  async getRun(runId: string): Promise<Run> {
    const { info, runDir } = await this.findRun(runId);
    const [metrics, params, tags] = await Promise.all([
      this.readMetrics(runDir),
      readValueFiles(path.join(runDir, 'params')),
      readValueFiles(path.join(runDir, 'tags')),
    ]);
    return { info, data: { metrics, params, tags } };
  }

  async updateRunInfo(runId: string, status: RunStatus, endTime: number | null, runName?: string): Promise<RunInfo> {
    const { info, runDir } = await this.findRun(runId);
    checkRunIsActive(info);
    const updated: RunInfo = { ...info, status, endTime, runName: runName ?? info.runName };
    if (runName !== undefined) await this.writeTags(runDir, { 'mlflow.runName': runName });
    await writeYamlFile(path.join(runDir, META), persistedRunInfo(updated));
    return updated;
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const { info, runDir } = await this.findRun(runId);
    checkRunIsActive(info);
    for (const [key, value] of Object.entries(batch.params ?? {})) {
      validateKey('param', key);
      const file = path.join(runDir, 'params', key);
      if (existsSync(file)) {
        const current = await fs.readFile(file, 'utf8');
        if (current !== value) {
          throw new MlflowError(
            `Changing param values is not allowed. Param with key='${key}' was already logged with value='${current}' ` +
              `for run ID='${runId}'. Attempted logging new value '${value}'.`,
            'INVALID_PARAMETER_VALUE',
          );
        }
      }
      await writeText(file, value);
    }
    for (const metric of batch.metrics ?? []) {
      validateKey('metric', metric.key);
      const file = path.join(runDir, 'metrics', metric.key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.appendFile(file, `${metric.timestamp} ${metricValueText(metric.value)} ${metric.step}\n`);
    }
    const tags = batch.tags ?? {};
    await this.writeTags(runDir, tags);
    const newName = tags['mlflow.runName'];
    if (newName !== undefined && newName !== info.runName) {
      await writeYamlFile(path.join(runDir, META), persistedRunInfo({ ...info, runName: newName }));
    }
  }

  async recordLoggedModel(runId: string, modelTags: Record<string, unknown>): Promise<void> {
    const { info, runDir } = await this.findRun(runId);
    checkRunIsActive(info);
    const file = path.join(runDir, 'tags', LOGGED_MODELS_TAG);
    let history: unknown[] = [];
    if (existsSync(file)) {
      const parsed: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
      if (!Array.isArray(parsed)) throw new MlflowError(`Malformed ${file}: expected a JSON list`, 'INTERNAL_ERROR');
      history = parsed;
    }
    await writeText(file, pyJsonDumps([...history, modelTags]));
  }

  /** The run's folder and parsed meta.yaml; RESOURCE_DOES_NOT_EXIST when no experiment holds it. */
  async findRun(runId: string): Promise<{ info: RunInfo; runDir: string }> {
    validateRunId(runId);
    const experimentDirs = [
      ...(await this.listSubdirs(this.root)).filter((d) => d !== TRASH && d !== MODELS).map((d) => path.join(this.root, d)),
      ...(await this.listSubdirs(path.join(this.root, TRASH))).map((d) => path.join(this.root, TRASH, d)),
    ];
    for (const experimentDir of experimentDirs) {
      const runDir = path.join(experimentDir, runId);
      if (!existsSync(path.join(runDir, META))) continue;
      const info = readRunInfo(await readYamlFile(path.join(runDir, META)), path.join(runDir, META));
      if (info.experimentId !== path.basename(experimentDir)) {
        throw new MlflowError(`Run '${runId}' metadata is in invalid state.`, 'INVALID_STATE');
      }
      if (info.runName === '') info.runName = (await readValueFiles(path.join(runDir, 'tags')))['mlflow.runName'] ?? '';
      return { info, runDir };
    }
    throw new MlflowError(`Run '${runId}' not found`, 'RESOURCE_DOES_NOT_EXIST');
  }

  private experimentDir(experimentId: string): string | undefined {
    for (const parent of [this.root, path.join(this.root, TRASH)]) {
      const dir = path.join(parent, experimentId);
      if (existsSync(path.join(dir, META))) return dir;
    }
    return undefined;
  }

  private async readExperiment(dir: string): Promise<Experiment> {
    const file = path.join(dir, META);
    const meta = await readYamlFile(file);
    const tags = await readValueFiles(path.join(dir, 'tags'));
    return {
      experimentId: String(meta.experiment_id),
      name: requireString(meta.name, 'name', file),
      artifactLocation: requireString(meta.artifact_location, 'artifact_location', file),
      lifecycleStage: meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
      creationTime: optionalNumber(meta.creation_time),
      lastUpdateTime: optionalNumber(meta.last_update_time),
      tags,
    };
  }

  private async writeTags(runDir: string, tags: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(tags)) {
      validateKey('tag', key);
      await writeText(path.join(runDir, 'tags', key), value);
    }
  }

  private async readMetrics(runDir: string): Promise<Record<string, number>> {
    const dir = path.join(runDir, 'metrics');
    const out: Record<string, number> = {};
    for (const key of await listFilesRecursive(dir)) {
      const history = parseMetricLines(key, await fs.readFile(path.join(dir, key), 'utf8'));
      const latest = history.reduce((a, b) =>
        b.step > a.step || (b.step === a.step && (b.timestamp > a.timestamp || (b.timestamp === a.timestamp && b.value > a.value))) ? b : a,
      );
      out[key] = latest.value;
    }
    return out;
  }

  private async listSubdirs(dir: string): Promise<string[]> {
    try {
      return (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch {
      return [];
    }
  }
}

export function parseMetricLines(key: string, text: string): Metric[] {
  const metrics: Metric[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parts = line.trim().split(' ');
    if (parts.length !== 2 && parts.length !== 3) {
      throw new MlflowError(
        `Metric '${key}' is malformed; persisted metric data contained ${parts.length} fields. Expected 2 or 3 fields.`,
        'INTERNAL_ERROR',
      );
    }
    metrics.push({ key, timestamp: Number(parts[0]), value: parsePythonFloat(parts[1]), step: parts.length === 3 ? Number(parts[2]) : 0 });
  }
  if (metrics.length === 0) throw new MlflowError(`Metric '${key}' is malformed. No data found.`, 'INTERNAL_ERROR');
  return metrics;
}

/** str(float) in Python: as repr, but 'nan', 'inf', '-inf' for the non-finite values. */
function metricValueText(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return pyFloatRepr(value);
}

function parsePythonFloat(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  return Number(text);
}

function checkRunIsActive(info: RunInfo): void {
  if (info.lifecycleStage !== 'active') {
    throw new MlflowError(
      `The run ${info.runId} must be in the 'active' state. Current state is ${info.lifecycleStage}.`,
      'INVALID_PARAMETER_VALUE',
    );
  }
}

/** The keys MLflow writes in a run's meta.yaml (the legacy source_* and tags fields included). */
function persistedRunInfo(info: RunInfo): Record<string, unknown> {
  return {
    artifact_uri: info.artifactUri,
    end_time: info.endTime,
    entry_point_name: '',
    experiment_id: info.experimentId,
    lifecycle_stage: info.lifecycleStage,
    run_id: info.runId,
    run_name: info.runName,
    run_uuid: info.runId,
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: info.startTime,
    status: STATUS_CODES[info.status],
    tags: [],
    user_id: info.userId,
  };
}

function readRunInfo(meta: Record<string, unknown>, file: string): RunInfo {
  const code = meta.status === undefined ? 1 : Number(meta.status);
  const status = (Object.keys(STATUS_CODES) as RunStatus[]).find((s) => STATUS_CODES[s] === code);
  if (status === undefined) throw new MlflowError(`Malformed ${file}: unknown run status ${String(meta.status)}`, 'INTERNAL_ERROR');
  const runId = String(meta.run_id ?? meta.run_uuid);
  return {
    runId,
    runName: typeof meta.run_name === 'string' ? meta.run_name : '',
    experimentId: String(meta.experiment_id),
    userId: meta.user_id === null || meta.user_id === undefined ? '' : String(meta.user_id),
    status,
    startTime: Number(meta.start_time ?? 0),
    endTime: meta.end_time === null || meta.end_time === undefined ? null : Number(meta.end_time),
    artifactUri: requireString(meta.artifact_uri, 'artifact_uri', file),
    lifecycleStage: meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
  };
}

function requireString(value: unknown, field: string, file: string): string {
  if (typeof value !== 'string') throw new MlflowError(`Malformed ${file}: '${field}' must be a string`, 'INTERNAL_ERROR');
  return value;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** MLflow's experiment ids in a file store: a random positive integer of 18 digits. */
function uniqueIntegerId(): string {
  const n = randomBytes(8).readBigUInt64BE() % 900_000_000_000_000_000n;
  return String(n + 100_000_000_000_000_000n);
}

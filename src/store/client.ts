import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { MLMODEL_FILE_NAME, stringifyYaml11, uriScheme } from '../model/index.js';
import type { Experiment, FileInfo, ModelVersion, RegisteredModel, Run, RunInfo, RunStatus } from './entities.js';
import type { ArtifactRepository, RegistryStore, TrackingStore } from './store.js';
import type { FileTrackingStore } from './file-tracking-store.js';
import { ARTIFACT_REPOSITORY_METHODS, deferredStore, loadOnce, REGISTRY_STORE_METHODS, TRACKING_STORE_METHODS } from './deferred-store.js';
import { getRegistryUri, getTrackingUri, parseStoreUri, type StoreLocation } from './tracking-uri.js';
import { parseRunsUri } from './model-uri.js';
import { modelVersionForUri } from './registry-uri.js';
import { joinUri } from './uri.js';

/** models:/ sources may point at other registry URIs; more hops than this is a loop. */
const MAX_URI_HOPS = 8;

/**
 * MLflow's MlflowClient: experiments, runs, artifacts and the model registry, on the store that
 * MLFLOW_TRACKING_URI (and MLFLOW_REGISTRY_URI) select: a file store or a tracking server.
 * The URIs are checked when the client is made; the store's code (and a tracking server's
 * credentials from the environment) is loaded at the first call (see deferred-store.ts).
 */
export class MlflowClient {
  readonly trackingUri: string;
  readonly registryUri: string;
  readonly tracking: TrackingStore;
  readonly registry: RegistryStore;
  /** the file store root, when tracking is a file store */
  private readonly fileRoot?: string;
  private readonly openTracking: () => Promise<TrackingStore>;

  constructor(trackingUri: string = getTrackingUri(), registryUri: string = getRegistryUri(trackingUri)) {
    this.trackingUri = trackingUri;
    this.registryUri = registryUri;
    const t = parseStoreUri(trackingUri);
    if (t.kind === 'file') this.fileRoot = t.root;
    this.openTracking = loadOnce(() => openStore(t, 'tracking'));
    this.tracking = deferredStore(this.openTracking, TRACKING_STORE_METHODS);
    const r = parseStoreUri(registryUri);
    this.registry = deferredStore(loadOnce(() => openStore(r, 'registry')), REGISTRY_STORE_METHODS);
  }

  // --- experiments and runs

  createExperiment(name: string, artifactLocation?: string): Promise<string> {
    return this.tracking.createExperiment(name, artifactLocation);
  }

  getExperiment(experimentId: string): Promise<Experiment> {
    return this.tracking.getExperiment(experimentId);
  }

  getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.tracking.getExperimentByName(name);
  }

  /** The id of the active experiment with this name, created when there is none. */
  async getOrCreateExperiment(name: string): Promise<string> {
    const existing = await this.getExperimentByName(name);
    return existing?.experimentId ?? (await this.createExperiment(name));
  }

  /**
   * Starts a run. Like mlflow.start_run, it records who and what started it (mlflow.user,
   * mlflow.source.name, mlflow.source.type) unless the caller's tags say otherwise.
   */
  async createRun(options: { experimentId?: string; runName?: string; tags?: Record<string, string>; startTime?: number } = {}): Promise<Run> {
    const experimentId = options.experimentId ?? '0';
    // A file store's default experiment is made on first use, as MLflow's FileStore does.
    if (this.fileRoot !== undefined && experimentId === '0') await ((await this.openTracking()) as FileTrackingStore).ensureRoot();
    const user = userName();
    const tags = {
      'mlflow.user': user,
      'mlflow.source.name': process.argv[1] ? path.relative(process.cwd(), process.argv[1]) : '',
      'mlflow.source.type': 'LOCAL',
      ...options.tags,
    };
    return this.tracking.createRun({ experimentId, userId: user, startTime: options.startTime ?? Date.now(), tags, runName: options.runName });
  }

  getRun(runId: string): Promise<Run> {
    return this.tracking.getRun(runId);
  }

  logParam(runId: string, key: string, value: unknown): Promise<void> {
    return this.tracking.logBatch(runId, { params: { [key]: value === null || value === undefined ? '' : String(value) } });
  }

  logMetric(runId: string, key: string, value: number, options: { timestamp?: number; step?: number } = {}): Promise<void> {
    return this.tracking.logBatch(runId, { metrics: [{ key, value, timestamp: options.timestamp ?? Date.now(), step: options.step ?? 0 }] });
  }

  setTag(runId: string, key: string, value: unknown): Promise<void> {
    return this.tracking.logBatch(runId, { tags: { [key]: value === null || value === undefined ? '' : String(value) } });
  }

  setTerminated(runId: string, status: RunStatus = 'FINISHED', endTime: number = Date.now()): Promise<RunInfo> {
    return this.tracking.updateRunInfo(runId, status, endTime);
  }

  // --- artifacts

  /** The repository of a run's artifacts (its artifact_uri). */
  async runArtifacts(runId: string): Promise<ArtifactRepository> {
    const run = await this.getRun(runId);
    return this.openArtifactRepository(run.info.artifactUri);
  }

  /** The repository of any artifact URI; its scheme's code loads at the first call. */
  artifactRepository(uri: string): ArtifactRepository {
    return deferredStore(loadOnce(() => this.openArtifactRepository(uri)), ARTIFACT_REPOSITORY_METHODS);
  }

  private async openArtifactRepository(uri: string): Promise<ArtifactRepository> {
    const { getArtifactRepository } = await import('./artifact-repository.js');
    return getArtifactRepository(uri, { trackingUri: this.trackingUri, fileStoreRoot: this.fileRoot });
  }

  async logArtifacts(runId: string, localDir: string, artifactPath?: string): Promise<void> {
    await (await this.runArtifacts(runId)).logArtifacts(localDir, artifactPath);
  }

  async logArtifact(runId: string, localFile: string, artifactPath?: string): Promise<void> {
    await (await this.runArtifacts(runId)).logArtifact(localFile, artifactPath);
  }

  async listArtifacts(runId: string, artifactPath?: string): Promise<FileInfo[]> {
    return (await this.runArtifacts(runId)).listArtifacts(artifactPath);
  }

  async downloadArtifacts(runId: string, artifactPath?: string, dstDir?: string): Promise<string> {
    return (await this.runArtifacts(runId)).downloadArtifacts(artifactPath, dstDir);
  }

  // --- registry

  createRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    return this.registry.createRegisteredModel(name, description);
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.registry.getRegisteredModel(name);
  }

  createModelVersion(name: string, source: string, runId?: string, description?: string): Promise<ModelVersion> {
    return this.registry.createModelVersion({ name, source, runId, description });
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.registry.getModelVersion(name, version);
  }

  getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    return this.registry.getLatestVersions(name, stages);
  }

  transitionModelVersionStage(name: string, version: string, stage: string, archiveExistingVersions = false): Promise<ModelVersion> {
    return this.registry.transitionModelVersionStage(name, version, stage, archiveExistingVersions);
  }

  setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    return this.registry.setRegisteredModelAlias(name, alias, version);
  }

  deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    return this.registry.deleteRegisteredModelAlias(name, alias);
  }

  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.registry.getModelVersionByAlias(name, alias);
  }

  getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    return this.registry.getModelVersionDownloadUri(name, version);
  }

  /** The model version a models:/ URI names (by version, stage, alias, or 'latest'). */
  getModelVersionForUri(modelsUri: string): Promise<ModelVersion> {
    return modelVersionForUri(this.registry, modelsUri);
  }

  // --- model URIs

  /**
   * The artifact location behind a runs:/ or models:/ URI (e.g. runs:/<id>/model ->
   * file:///.../<id>/artifacts/model); other URIs are returned as they are.
   */
  async resolveArtifactUri(uri: string): Promise<string> {
    let current = uri;
    for (let hop = 0; hop < MAX_URI_HOPS; hop++) {
      const scheme = uriScheme(current);
      if (scheme === 'runs') {
        const { runId, artifactPath } = parseRunsUri(current);
        const run = await this.getRun(runId);
        return artifactPath === undefined ? run.info.artifactUri : joinUri(run.info.artifactUri, artifactPath);
      }
      if (scheme !== 'models') return current;
      const mv = await this.getModelVersionForUri(current);
      current = await this.getModelVersionDownloadUri(mv.name, mv.version);
    }
    throw new MlflowError(`Model URI '${uri}' resolves through more than ${MAX_URI_HOPS} registry sources`, 'INVALID_PARAMETER_VALUE');
  }

  /**
   * A local folder holding the artifacts behind any model URI: a local artifact path as it is, a
   * remote one downloaded into dstDir (or a new folder removed when the process exits).
   */
  async downloadUri(uri: string, dstDir?: string): Promise<string> {
    let registered: ModelVersion | undefined;
    let source = uri;
    if (uriScheme(uri) === 'models') {
      registered = await this.getModelVersionForUri(uri);
      source = await this.getModelVersionDownloadUri(registered.name, registered.version);
    }
    const repository = await this.openArtifactRepository(await this.resolveArtifactUri(source));
    const dir = await repository.downloadArtifacts(undefined, dstDir);
    // MLflow's ModelsArtifactRepository writes the name and version beside a downloaded MLmodel.
    // A local store's folder is handed out as it is, and is not written to here (MLflow would).
    const { LocalArtifactRepository } = await import('./local-artifact-repository.js');
    const copied = dstDir !== undefined || !(repository instanceof LocalArtifactRepository);
    if (registered && copied && existsSync(path.join(dir, MLMODEL_FILE_NAME))) {
      await writeFile(path.join(dir, REGISTERED_MODEL_META_FILE), registeredModelMeta(registered));
    }
    return dir;
  }
}

/** The file MLflow writes into a model downloaded through a models:/ URI. */
export const REGISTERED_MODEL_META_FILE = 'registered_model_meta';

/** Its content, as MLflow's write_yaml (yaml.safe_dump, keys sorted); the version is a string. */
function registeredModelMeta(mv: ModelVersion): string {
  return stringifyYaml11({ model_name: mv.name, model_version: String(mv.version) });
}

/** The store at a tracking or registry location: a file store, or a tracking server's REST API. */
async function openStore(at: StoreLocation, role: 'tracking'): Promise<TrackingStore>;
async function openStore(at: StoreLocation, role: 'registry'): Promise<RegistryStore>;
async function openStore(at: StoreLocation, role: 'tracking' | 'registry'): Promise<TrackingStore | RegistryStore> {
  if (at.kind === 'file') {
    return role === 'tracking'
      ? new (await import('./file-tracking-store.js')).FileTrackingStore(at.root)
      : new (await import('./file-registry-store.js')).FileRegistryStore(at.root);
  }
  const [{ RestStore }, { hostCredsFromEnv }] = await Promise.all([import('./rest-store.js'), import('./rest-client.js')]);
  return new RestStore(hostCredsFromEnv(at.host));
}

function userName(): string {
  try {
    return process.getBuiltinModule('node:os').userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

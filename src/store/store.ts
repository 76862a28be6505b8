import type {
  Experiment,
  FileInfo,
  Metric,
  ModelVersion,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
} from './entities.js';

/** A tracking backend: the file store (./mlruns) or an MLflow tracking server over REST. */
export interface TrackingStore {
  createExperiment(name: string, artifactLocation?: string): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment>;
  /** undefined when no active experiment has that name */
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  createRun(args: CreateRunArgs): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  updateRunInfo(runId: string, status: RunStatus, endTime: number | null, runName?: string): Promise<RunInfo>;
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  /** Appends a logged model's summary (Model.get_tags_dict) to the run's mlflow.log-model.history tag. */
  recordLoggedModel(runId: string, modelTags: Record<string, unknown>): Promise<void>;
}

export interface CreateRunArgs {
  experimentId: string;
  userId: string;
  startTime: number;
  tags: Record<string, string>;
  runName?: string;
}

export interface LogBatch {
  metrics?: Metric[];
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

/** A model registry backend: the file store's models/ folder or the REST API. */
export interface RegistryStore {
  createRegisteredModel(name: string, description?: string): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  createModelVersion(args: CreateModelVersionArgs): Promise<ModelVersion>;
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  /** the latest version in each requested stage (every stage when none is given) */
  getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]>;
  transitionModelVersionStage(name: string, version: string, stage: string, archiveExistingVersions?: boolean): Promise<ModelVersion>;
  setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void>;
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;
  getModelVersionDownloadUri(name: string, version: string): Promise<string>;
}

export interface CreateModelVersionArgs {
  name: string;
  source: string;
  runId?: string;
  description?: string;
}

/** Where a run's (or a model version's) files live: a local folder, an HTTP artifact proxy or S3. */
export interface ArtifactRepository {
  /** copies every file under localDir to artifactPath (the repository root when omitted) */
  logArtifacts(localDir: string, artifactPath?: string): Promise<void>;
  logArtifact(localFile: string, artifactPath?: string): Promise<void>;
  /** the entries directly under path, with paths relative to the repository root */
  listArtifacts(path?: string): Promise<FileInfo[]>;
  /**
   * A local path holding the artifact (file or folder). A local repository returns its own path;
   * a remote one downloads into dstDir, or into a new folder that is removed when the process
   * exits (download-dir.ts). A failed download leaves nothing behind.
   */
  downloadArtifacts(path?: string, dstDir?: string): Promise<string>;
}

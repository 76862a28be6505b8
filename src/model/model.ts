import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { MLFLOW_COMPAT_VERSION } from '../version.js';
import { formatUtcTime, nowUtcTime, parseCreatedTime } from './time.js';
import { ModelSignature, type ParamSchema, type Schema } from './signature.js';
import { checkFlavorPaths } from './path-safety.js';
import { resolveModelDir, uriScheme } from './uri-resolver.js';
import { parseYaml11, stringifyYaml11 } from './yaml.js';
import { saveModelDir, type SaveOptions } from './save.js';
import type { SavedInputExampleInfo } from './input-example.js';

export const MLMODEL_FILE_NAME = 'MLmodel';

export type FlavorConf = Record<string, unknown>;

/** The MLmodel fields, camelCased; `extra` keeps every key MLflow may add that we do not know. */
export interface ModelInit {
  artifactPath?: string;
  authPolicy?: Record<string, unknown>;
  databricksRuntime?: string;
  envVars?: string[];
  flavors?: Record<string, FlavorConf>;
  isSignatureFromTypeHint?: boolean;
  metadata?: Record<string, unknown>;
  mlflowVersion?: string;
  modelId?: string;
  modelSizeBytes?: number;
  modelUuid?: string;
  prompts?: unknown[] | null;
  resources?: Record<string, unknown>;
  runId?: string;
  savedInputExampleInfo?: SavedInputExampleInfo;
  signature?: ModelSignature;
  typeHintFromExample?: boolean;
  utcTimeCreated?: string;
  extra?: Record<string, unknown>;
}

/** MLmodel key -> Model field, for every top-level key MLflow writes. */
const KEYS = {
  artifact_path: 'artifactPath',
  auth_policy: 'authPolicy',
  databricks_runtime: 'databricksRuntime',
  env_vars: 'envVars',
  flavors: 'flavors',
  is_signature_from_type_hint: 'isSignatureFromTypeHint',
  metadata: 'metadata',
  mlflow_version: 'mlflowVersion',
  model_id: 'modelId',
  model_size_bytes: 'modelSizeBytes',
  model_uuid: 'modelUuid',
  prompts: 'prompts',
  resources: 'resources',
  run_id: 'runId',
  saved_input_example_info: 'savedInputExampleInfo',
  signature: 'signature',
  type_hint_from_example: 'typeHintFromExample',
  utc_time_created: 'utcTimeCreated',
} as const satisfies Record<string, keyof ModelInit>;

type Key = keyof typeof KEYS;

/**
 * An MLmodel file as a typed object (MLflow's mlflow.models.Model). Reads every field MLflow
 * writes (and the 2018, 1.x, 2.x and 3.x shapes), keeps unknown keys, and writes the file as
 * MLflow does: keys sorted, signature schemas as Python-spaced JSON strings, YAML 1.1.
 */
export class Model {
  artifactPath?: string;
  authPolicy?: Record<string, unknown>;
  databricksRuntime?: string;
  envVars?: string[];
  flavors: Record<string, FlavorConf>;
  isSignatureFromTypeHint?: boolean;
  metadata?: Record<string, unknown>;
  mlflowVersion?: string;
  modelId?: string;
  modelSizeBytes?: number;
  modelUuid?: string;
  /** MLflow 2.21+ writes `prompts: null` on every model; undefined means the key is absent. */
  prompts?: unknown[] | null;
  resources?: Record<string, unknown>;
  runId?: string;
  savedInputExampleInfo?: SavedInputExampleInfo;
  signature?: ModelSignature;
  typeHintFromExample?: boolean;
  utcTimeCreated?: string;
  /** Top-level keys this version does not know (e.g. 2018's `time_created`), written back as is. */
  extra: Record<string, unknown>;
  /** Set for models made here (not read from a file): they get MLflow 2.22's signature flags on write. */
  private readonly isNew?: boolean;

  /**
   * A new model, filled in as MLflow's Model() is: mlflow_version, a fresh model_uuid,
   * utc_time_created now, `prompts: null`; once it has a signature it is written with
   * `is_signature_from_type_hint: false` and `type_hint_from_example: false`, as MLflow 2.22 does.
   */
  constructor(init: ModelInit = {}) {
    this.flavors = {};
    this.extra = {};
    this.mlflowVersion = MLFLOW_COMPAT_VERSION;
    // uuid.uuid4().hex, as MLflow writes it: a version 4 UUID as 32 hex digits. node:crypto is
    // taken here, not imported: importing mlflow-ts should not load it (start-up, issue #16).
    this.modelUuid = process.getBuiltinModule('node:crypto').randomUUID().replaceAll('-', '');
    this.utcTimeCreated = nowUtcTime();
    this.prompts = null;
    this.isNew = true;
    Object.assign(this, withoutUndefined(init));
  }

  addFlavor(name: string, params: FlavorConf = {}): this {
    this.flavors[name] = { ...params };
    return this;
  }

  /** When the model was created: `utc_time_created`, or 2018's `time_created` (epoch seconds or a string). */
  createdAt(): Date | undefined {
    return parseCreatedTime(this.utcTimeCreated, this.extra.time_created);
  }

  getInputSchema(): Schema | undefined {
    return this.signature?.inputs;
  }

  getOutputSchema(): Schema | undefined {
    return this.signature?.outputs;
  }

  getParamsSchema(): ParamSchema | undefined {
    return this.signature?.params;
  }

  /** The MLmodel dict with MLflow's snake_case keys (signature as JSON strings). */
  toDict(): Record<string, unknown> {
    const out: Record<string, unknown> = { ...this.extra };
    if (this.isNew && this.signature) {
      out.is_signature_from_type_hint = false;
      out.type_hint_from_example = false;
    }
    for (const [key, field] of Object.entries(KEYS) as [Key, keyof ModelInit][]) {
      const v = this[field as keyof this];
      if (v === undefined) continue;
      out[key] = v instanceof ModelSignature ? v.toDict() : v;
    }
    return out;
  }

  /** The MLmodel file text. */
  toYaml(): string {
    return stringifyYaml11(this.toDict());
  }

  /** Builds a Model from a parsed MLmodel dict; `source` names the file in errors. */
  static fromDict(dict: unknown, source = MLMODEL_FILE_NAME): Model {
    if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) {
      throw new MlflowError(`${source}: expected a YAML mapping at the top level`, 'INVALID_PARAMETER_VALUE');
    }
    const d = dict as Record<string, unknown>;
    const m = Object.create(Model.prototype) as Model;
    m.flavors = readFlavors(d.flavors, source);
    m.extra = {};
    for (const [key, value] of Object.entries(d)) {
      if (key === 'flavors') continue;
      if (!Object.hasOwn(KEYS, key)) {
        m.extra[key] = value;
        continue;
      }
      // A null known key (e.g. `signature: null`) is written back as null, not as a typed value.
      if (value === null && key !== 'prompts') {
        m.extra[key] = null;
        continue;
      }
      const field = KEYS[key as Key];
      const where = `${source}: field '${key}'`;
      switch (key as Key) {
        case 'signature':
          m.signature = wrap(source, () => ModelSignature.fromDict(value, 'signature'));
          break;
        case 'utc_time_created':
          m.utcTimeCreated = value instanceof Date ? formatUtcTime(value) : asText(value, where);
          break;
        case 'mlflow_version':
        case 'databricks_runtime':
          (m as unknown as Record<string, unknown>)[field] = asText(value, where);
          break;
        case 'artifact_path':
        case 'run_id':
        case 'model_uuid':
        case 'model_id':
          (m as unknown as Record<string, unknown>)[field] = asText(value, where);
          break;
        case 'model_size_bytes':
          if (typeof value !== 'number' || !Number.isFinite(value)) {
            throw new MlflowError(`${where} must be a number of bytes`, 'INVALID_PARAMETER_VALUE');
          }
          m.modelSizeBytes = value as number;
          break;
        case 'is_signature_from_type_hint':
        case 'type_hint_from_example':
          (m as unknown as Record<string, unknown>)[field] = value;
          break;
        case 'saved_input_example_info':
          if (typeof value !== 'object' || Array.isArray(value)) {
            throw new MlflowError(`${where} must be a mapping`, 'INVALID_PARAMETER_VALUE');
          }
          m.savedInputExampleInfo = value as SavedInputExampleInfo;
          break;
        default:
          (m as unknown as Record<string, unknown>)[field] = value;
      }
    }
    return m;
  }

  /** Parses MLmodel text as PyYAML's safe_load would (YAML 1.1). */
  static fromYaml(text: string, source = MLMODEL_FILE_NAME): Model {
    return Model.fromDict(parseYaml11(text, source), source);
  }

  /**
   * Loads the MLmodel of a model directory, an MLmodel file path, a file:// URI, or any URI whose
   * scheme is registered with registerModelUriResolver. Refuses a model whose flavors point outside
   * its directory (see checkFlavorPaths), naming the field.
   */
  static async load(uriOrDir: string): Promise<Model> {
    let file: string | undefined;
    const scheme = uriScheme(uriOrDir);
    if (scheme === undefined || scheme === 'file') {
      const local = path.resolve(scheme === 'file' ? await resolveModelDir(uriOrDir) : uriOrDir);
      const info = await stat(local).catch(() => undefined);
      if (info?.isFile()) file = local;
    }
    file ??= path.join(await resolveModelDir(uriOrDir), MLMODEL_FILE_NAME);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new MlflowError(
        code === 'ENOENT' ? `Could not find an "${MLMODEL_FILE_NAME}" configuration file at "${path.dirname(file)}"` : `Cannot read ${file}: ${(e as Error).message}`,
        'RESOURCE_DOES_NOT_EXIST',
        { cause: e },
      );
    }
    const model = Model.fromYaml(text, file);
    checkFlavorPaths(path.dirname(file), model.flavors);
    return model;
  }

  /**
   * Writes the model directory atomically (into a temporary sibling, then renamed), in MLflow's
   * order: input example, the flavor's files (options.writeFiles), model_size_bytes, MLmodel, then
   * the environment files. Refuses an existing non-empty directory, as MLflow does.
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await saveModelDir(this, dir, options);
  }
}

function readFlavors(v: unknown, source: string): Record<string, FlavorConf> {
  if (v === undefined || v === null) {
    throw new MlflowError(`${source}: field 'flavors' is missing; an MLmodel file needs at least one flavor`, 'INVALID_PARAMETER_VALUE');
  }
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new MlflowError(`${source}: field 'flavors' must be a mapping of flavor name to its settings`, 'INVALID_PARAMETER_VALUE');
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) {
    throw new MlflowError(`${source}: field 'flavors' is empty; an MLmodel file needs at least one flavor`, 'INVALID_PARAMETER_VALUE');
  }
  const out: Record<string, FlavorConf> = {};
  for (const [name, conf] of entries) {
    if (conf === null) {
      out[name] = {};
      continue;
    }
    if (typeof conf !== 'object' || Array.isArray(conf)) {
      throw new MlflowError(`${source}: field 'flavors.${name}' must be a mapping`, 'INVALID_PARAMETER_VALUE');
    }
    out[name] = conf as FlavorConf;
  }
  return out;
}

function asText(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new MlflowError(`${where} must be a string`, 'INVALID_PARAMETER_VALUE');
}

function wrap<T>(source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof MlflowError) throw new MlflowError(`${source}: ${e.message}`, e.errorCode, { cause: e });
    throw e;
  }
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

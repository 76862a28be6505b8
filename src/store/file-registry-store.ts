import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { STAGES, type ModelVersion, type RegisteredModel } from './entities.js';
import type { CreateModelVersionArgs, RegistryStore } from './store.js';
import { readYamlFile, writeYamlFile } from './yaml-file.js';
import { validateAliasName, validateModelName, validateModelVersion } from './validation.js';
import { canonicalStage } from './stage.js';
import { readValueFiles } from './fs-util.js';
import { modelVersionForUri } from './registry-uri.js';

const META = 'meta.yaml';
const DELETED_STAGE = 'Deleted_Internal';

/**
 * The registry half of MLflow's file store (mlflow/store/model_registry/file_store.py):
 * `<root>/models/<name>/meta.yaml`, `version-<n>/meta.yaml`, `aliases/<alias>` (holds the
 * version), `tags/<key>`.
 */
export class FileRegistryStore implements RegistryStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private modelDir(name: string): string {
    validateModelName(name);
    return path.join(this.root, 'models', name);
  }

  private existingModelDir(name: string): string {
    const dir = this.modelDir(name);
    if (!existsSync(path.join(dir, META))) {
      throw new MlflowError(`Registered Model with name=${name} not found`, 'RESOURCE_DOES_NOT_EXIST');
    }
    return dir;
  }

  async createRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    const dir = this.modelDir(name);
    if (existsSync(dir)) {
      throw new MlflowError(`Registered Model (name=${name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
    }
    const now = Date.now();
    await writeYamlFile(path.join(dir, META), {
      aliases: {},
      creation_timestamp: now,
      description: description ?? null,
      last_updated_timestamp: now,
      name,
    });
    return this.getRegisteredModel(name);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const dir = this.existingModelDir(name);
    const file = path.join(dir, META);
    const meta = await readYamlFile(file);
    return {
      name: String(meta.name ?? name),
      creationTimestamp: Number(meta.creation_timestamp ?? 0),
      lastUpdatedTimestamp: Number(meta.last_updated_timestamp ?? 0),
      description: typeof meta.description === 'string' ? meta.description : null,
      aliases: await readValueFiles(path.join(dir, 'aliases')),
      tags: await readValueFiles(path.join(dir, 'tags')),
      latestVersions: await this.getLatestVersions(name),
    };
  }

  async createModelVersion(args: CreateModelVersionArgs): Promise<ModelVersion> {
    const dir = this.existingModelDir(args.name);
    let storageLocation = args.source;
    if (args.source.startsWith('models:')) {
      const mv = await modelVersionForUri(this, args.source);
      storageLocation = await this.getModelVersionDownloadUri(mv.name, mv.version);
    }
    const versions = await this.listVersions(dir);
    const next = versions.reduce((max, v) => Math.max(max, Number(v.version)), 0) + 1;
    const now = Date.now();
    await writeYamlFile(path.join(dir, `version-${next}`, META), {
      aliases: [],
      creation_timestamp: now,
      current_stage: 'None',
      description: args.description ?? null,
      last_updated_timestamp: now,
      name: args.name,
      run_id: args.runId ?? null,
      run_link: null,
      source: args.source,
      status: 'READY',
      status_message: null,
      storage_location: storageLocation,
      user_id: null,
      version: next,
    });
    await this.touchModel(args.name, now);
    return this.getModelVersion(args.name, String(next));
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return (await this.readVersion(name, version)).version;
  }

  async getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    const dir = this.existingModelDir(name);
    const wanted = stages === undefined || stages.length === 0 ? [...STAGES] : stages.map(canonicalStage);
    const latest = new Map<string, ModelVersion>();
    for (const mv of await this.listVersions(dir)) {
      if (!wanted.includes(mv.currentStage as (typeof STAGES)[number])) continue;
      const seen = latest.get(mv.currentStage);
      if (seen === undefined || Number(seen.version) < Number(mv.version)) latest.set(mv.currentStage, mv);
    }
    return wanted.flatMap((stage) => latest.get(stage) ?? []);
  }

  async transitionModelVersionStage(name: string, version: string, stage: string, archiveExistingVersions = false): Promise<ModelVersion> {
    const target = canonicalStage(stage);
    if (archiveExistingVersions && target !== 'Staging' && target !== 'Production') {
      throw new MlflowError(
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. ` +
          'Valid stages are Staging, Production',
        'INVALID_PARAMETER_VALUE',
      );
    }
    const now = Date.now();
    const { version: mv, dir } = await this.readVersion(name, version);
    if (archiveExistingVersions) {
      for (const other of await this.listVersions(this.existingModelDir(name))) {
        if (other.version !== mv.version && other.currentStage === target) {
          await this.saveVersion(path.join(dir, '..', `version-${other.version}`), { ...other, currentStage: 'Archived', lastUpdatedTimestamp: now });
        }
      }
    }
    const updated = { ...mv, currentStage: target, lastUpdatedTimestamp: now };
    await this.saveVersion(dir, updated);
    await this.touchModel(name, now);
    return updated;
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    validateAliasName(alias);
    const dir = this.existingModelDir(name);
    const mv = await this.getModelVersion(name, version);
    await fs.mkdir(path.join(dir, 'aliases'), { recursive: true });
    await fs.writeFile(path.join(dir, 'aliases', alias), mv.version, 'utf8');
    await this.touchModel(name, Date.now());
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateAliasName(alias);
    const file = path.join(this.existingModelDir(name), 'aliases', alias);
    if (existsSync(file)) {
      await fs.rm(file);
      await this.touchModel(name, Date.now());
    }
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateAliasName(alias);
    const file = path.join(this.existingModelDir(name), 'aliases', alias);
    if (!existsSync(file)) {
      throw new MlflowError(`Registered model alias ${alias} not found.`, 'INVALID_PARAMETER_VALUE');
    }
    return this.getModelVersion(name, (await fs.readFile(file, 'utf8')).trim());
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const mv = await this.readVersion(name, version);
    return mv.storageLocation ?? mv.version.source;
  }

  private async readVersion(name: string, version: string): Promise<{ version: ModelVersion; dir: string; storageLocation?: string }> {
    const v = validateModelVersion(version);
    const dir = path.join(this.existingModelDir(name), `version-${v}`);
    const notFound = new MlflowError(`Model Version (name=${name}, version=${v}) not found`, 'RESOURCE_DOES_NOT_EXIST');
    if (!existsSync(path.join(dir, META))) throw notFound;
    const read = await this.readVersionDir(dir);
    if (read.version.currentStage === DELETED_STAGE) throw notFound;
    return { ...read, dir };
  }

  private async readVersionDir(dir: string): Promise<{ version: ModelVersion; storageLocation?: string }> {
    const file = path.join(dir, META);
    const meta = await readYamlFile(file);
    const version = String(meta.version);
    const aliases = Object.entries(await readValueFiles(path.join(dir, '..', 'aliases')))
      .filter(([, v]) => v.trim() === version)
      .map(([alias]) => alias);
    const nullableString = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
    if (typeof meta.source !== 'string') throw new MlflowError(`Malformed ${file}: 'source' must be a string`, 'INTERNAL_ERROR');
    return {
      version: {
        name: String(meta.name),
        version,
        creationTimestamp: Number(meta.creation_timestamp ?? 0),
        lastUpdatedTimestamp: Number(meta.last_updated_timestamp ?? 0),
        currentStage: String(meta.current_stage ?? 'None'),
        description: nullableString(meta.description),
        source: meta.source,
        runId: nullableString(meta.run_id),
        runLink: nullableString(meta.run_link),
        status: String(meta.status ?? 'READY'),
        statusMessage: nullableString(meta.status_message),
        userId: nullableString(meta.user_id),
        aliases,
        tags: await readValueFiles(path.join(dir, 'tags')),
      },
      storageLocation: typeof meta.storage_location === 'string' ? meta.storage_location : undefined,
    };
  }

  private async listVersions(modelDir: string): Promise<ModelVersion[]> {
    const entries = await fs.readdir(modelDir, { withFileTypes: true });
    const versions: ModelVersion[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || !/^version-\d+$/.test(e.name) || !existsSync(path.join(modelDir, e.name, META))) continue;
      const { version } = await this.readVersionDir(path.join(modelDir, e.name));
      if (version.currentStage !== DELETED_STAGE) versions.push(version);
    }
    return versions;
  }

  private async saveVersion(dir: string, mv: ModelVersion): Promise<void> {
    const file = path.join(dir, META);
    const previous = await readYamlFile(file);
    await writeYamlFile(file, {
      ...previous,
      aliases: mv.aliases,
      current_stage: mv.currentStage,
      description: mv.description,
      last_updated_timestamp: mv.lastUpdatedTimestamp,
    });
  }

  /** MLflow rewrites the registered model's meta.yaml (with its aliases map) on every change. */
  private async touchModel(name: string, now: number): Promise<void> {
    const dir = this.existingModelDir(name);
    const file = path.join(dir, META);
    const meta = await readYamlFile(file);
    await writeYamlFile(file, { ...meta, aliases: await readValueFiles(path.join(dir, 'aliases')), last_updated_timestamp: now });
  }
}

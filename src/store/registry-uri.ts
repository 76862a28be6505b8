import { MlflowError } from '../errors.js';
import type { ModelVersion } from './entities.js';
import type { RegistryStore } from './store.js';
import { parseModelsUri } from './model-uri.js';

/** The model version a models:/ URI names: by number, alias, stage (its newest) or 'latest'. */
export async function modelVersionForUri(registry: RegistryStore, modelsUri: string): Promise<ModelVersion> {
  const parsed = parseModelsUri(modelsUri);
  if (parsed.version !== undefined) return registry.getModelVersion(parsed.name, parsed.version);
  if (parsed.alias !== undefined) return registry.getModelVersionByAlias(parsed.name, parsed.alias);
  const latest = await registry.getLatestVersions(parsed.name, parsed.stage === undefined ? undefined : [parsed.stage]);
  if (latest.length === 0) {
    const stageText = parsed.stage === undefined ? '' : ` and stage '${parsed.stage}'`;
    // MLflow's _get_latest_model_version raises a bare MlflowException: INTERNAL_ERROR.
    throw new MlflowError(`No versions of model with name '${parsed.name}'${stageText} found`, 'INTERNAL_ERROR');
  }
  return latest.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
}

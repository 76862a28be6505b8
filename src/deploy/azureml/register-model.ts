import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import type { Rollback } from '../rollback.js';
import type { ArmClient } from './arm-client.js';
import { BlobContainer, type BlobAuth } from './blob-container.js';
import type { TokenProvider } from './credentials.js';

/** Azure Storage's Entra ID scope, for datastores that hold no secret (identity-based access). */
export const STORAGE_SCOPE = 'https://storage.azure.com/.default';

export interface RegisterModelOptions {
  /** Model asset name and version to create. */
  name: string;
  version: string;
  /** The local model directory: uploaded as the folder `model`, which the image finds under AZUREML_MODEL_DIR. */
  modelDir: string;
  /** Tokens for Azure Storage when the datastore holds no key or SAS. */
  getStorageToken: TokenProvider;
  /** Replaces https://<account>.blob.<endpoint> (tests point it at a local server). */
  blobServiceUrl?: string;
  say: (message: string) => void;
}

interface Datastore {
  name: string;
  accountName: string;
  containerName: string;
  endpoint: string;
  protocol: string;
}

/** The workspace's default datastore (workspaceblobstore unless changed); it must be Azure Blob. */
async function defaultDatastore(arm: ArmClient): Promise<Datastore> {
  const list = await arm.request('GET', '/datastores?isDefault=true');
  const ds = (list?.value as { name?: string; properties?: Record<string, unknown> }[] | undefined)?.[0];
  const p = ds?.properties ?? {};
  if (!ds?.name) throw new MlflowError(`Azure ML workspace '${arm.ws.workspace}' has no default datastore`, 'RESOURCE_DOES_NOT_EXIST');
  if (p.datastoreType !== 'AzureBlob' || typeof p.accountName !== 'string' || typeof p.containerName !== 'string') {
    throw new MlflowError(`The default datastore '${ds.name}' is ${String(p.datastoreType)}, not an Azure Blob container; models are uploaded to Azure Blob`, 'INVALID_STATE');
  }
  return {
    name: ds.name,
    accountName: p.accountName,
    containerName: p.containerName,
    endpoint: typeof p.endpoint === 'string' ? p.endpoint : 'core.windows.net',
    protocol: typeof p.protocol === 'string' ? p.protocol : 'https',
  };
}

/** The datastore's secret (listSecrets): an account key or a SAS token; identity-based datastores have none. */
async function datastoreAuth(arm: ArmClient, ds: Datastore, getStorageToken: TokenProvider): Promise<BlobAuth> {
  const secrets = await arm.request('POST', `/datastores/${encodeURIComponent(ds.name)}/listSecrets`, undefined, true);
  if (secrets?.secretsType === 'AccountKey' && typeof secrets.key === 'string') return { kind: 'key', key: secrets.key };
  if (secrets?.secretsType === 'Sas' && typeof secrets.sasToken === 'string') return { kind: 'sas', token: secrets.sasToken };
  return { kind: 'bearer', getToken: getStorageToken };
}

/** Every file below `dir`, as paths relative to it with '/' separators. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * Uploads the model directory to the workspace's default datastore and registers it as a model
 * version (a custom_model asset pointing at the uploaded folder), so an online deployment can
 * mount it. Adds undo steps for the blobs and the version to `rollback`. Returns the version's ARM id.
 */
export async function registerModel(arm: ArmClient, rollback: Rollback, o: RegisterModelOptions): Promise<string> {
  const ds = await defaultDatastore(arm);
  const auth = await datastoreAuth(arm, ds, o.getStorageToken);
  const blobs = new BlobContainer(ds.accountName, ds.containerName, o.blobServiceUrl ?? `${ds.protocol}://${ds.accountName}.blob.${ds.endpoint}`, auth);
  const prefix = `mlflow-ts/${o.name}/${o.version}/model`;
  const files = await listFiles(o.modelDir);
  o.say(`Uploading ${files.length} model files to ${blobs.url(prefix)}`);
  const uploaded: string[] = [];
  rollback.add(`uploaded model files under ${prefix}`, async () => {
    for (const blob of uploaded) await blobs.delete(blob);
  });
  for (const file of files) {
    const blob = `${prefix}/${file}`;
    await blobs.upload(blob, path.join(o.modelDir, ...file.split('/')));
    uploaded.push(blob);
  }

  const ws = arm.ws;
  const modelUri =
    `azureml://subscriptions/${ws.subscriptionId}/resourcegroups/${ws.resourceGroup}/workspaces/${ws.workspace}` +
    `/datastores/${ds.name}/paths/${prefix}`;
  const versionPath = `/models/${encodeURIComponent(o.name)}/versions/${encodeURIComponent(o.version)}`;
  o.say(`Registering model ${o.name}:${o.version}`);
  await arm.request('PUT', versionPath, { properties: { modelType: 'custom_model', modelUri, description: 'MLflow model served by mlflow-ts' } });
  rollback.add(`model ${o.name}:${o.version}`, () => arm.request('DELETE', versionPath));
  return arm.resourceId(versionPath);
}

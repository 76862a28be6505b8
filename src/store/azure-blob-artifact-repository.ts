import path from 'node:path';
import type { Readable } from 'node:stream';
import type * as AzureBlob from '@azure/storage-blob';
import { MlflowError } from '../errors.js';
import { azureFailure, defaultAzureCredential, loadBlobSdk } from './azure-sdk.js';
import type { FileInfo } from './entities.js';
import type { ArtifactRepository } from './store.js';
import { downloadObjectArtifacts, listFolder, treeKeys, writeObjects, type ObjectPage } from './object-keys.js';
import { logEachFile } from './log-files.js';

/** A wasbs:// location: the container, the storage account, its Blob endpoint's suffix and the path ('' for the whole container). */
export interface WasbsLocation {
  container: string;
  account: string;
  /** e.g. blob.core.windows.net */
  suffix: string;
  key: string;
}

/**
 * `wasbs://<container>@<account>.blob.core.windows.net/<path>` (or .chinacloudapi.cn), the
 * form MLflow's AzureBlobArtifactRepository reads; anything else is refused as MLflow does.
 */
export function parseWasbsUri(uri: string): WasbsLocation {
  const m = /^wasbs:\/\/([^@/]+)@([^./]+)\.(blob\.core\.(?:windows\.net|chinacloudapi\.cn))(\/.*)?$/i.exec(uri);
  if (!m) {
    throw new MlflowError(
      `Not a proper wasbs URI: '${uri}'. WASBS URI must be of the form <container>@<account>.blob.core.windows.net or <container>@<account>.blob.core.chinacloudapi.cn`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  return { container: m[1], account: m[2], suffix: m[3], key: (m[4] ?? '').replace(/^\/+|\/+$/g, '') };
}

/**
 * The container client MLflow would make: from AZURE_STORAGE_CONNECTION_STRING when set (its
 * endpoint wins over the URI's account, which is how Azurite is reached), else the account's
 * endpoint with AZURE_STORAGE_ACCESS_KEY, else with DefaultAzureCredential.
 */
async function containerClient(location: WasbsLocation, env: NodeJS.ProcessEnv): Promise<AzureBlob.ContainerClient> {
  const sdk = await loadBlobSdk();
  const connection = env.AZURE_STORAGE_CONNECTION_STRING;
  if (connection !== undefined) {
    try {
      return sdk.BlobServiceClient.fromConnectionString(connection).getContainerClient(location.container);
    } catch (e) {
      throw new MlflowError(`AZURE_STORAGE_CONNECTION_STRING is not a usable connection string: ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: e });
    }
  }
  const accountUrl = `https://${location.account}.${location.suffix}`;
  const key = env.AZURE_STORAGE_ACCESS_KEY;
  const credential = key !== undefined ? new sdk.StorageSharedKeyCredential(location.account, key) : await defaultAzureCredential();
  return new sdk.BlobServiceClient(accountUrl, credential).getContainerClient(location.container);
}

/**
 * Artifacts in Azure Blob Storage, as MLflow's AzureBlobArtifactRepository, through Microsoft's
 * @azure/storage-blob (optional package group 'azure'): listed by hierarchy with '/', downloaded
 * blob by blob, uploaded as block blobs that replace any of the same name.
 */
export class AzureBlobArtifactRepository implements ArtifactRepository {
  private readonly location: WasbsLocation;
  private clientPromise?: Promise<AzureBlob.ContainerClient>;

  constructor(
    readonly uri: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.location = parseWasbsUri(uri);
  }

  private client(): Promise<AzureBlob.ContainerClient> {
    this.clientPromise ??= containerClient(this.location, this.env);
    return this.clientPromise;
  }

  private keyOf(artifactPath?: string): string {
    const rel = (artifactPath ?? '').replace(/^\/+|\/+$/g, '');
    return [this.location.key, rel].filter((p) => p !== '').join('/');
  }

  private uriOf(key: string): string {
    const { container, account, suffix } = this.location;
    return `wasbs://${container}@${account}.${suffix}/${key}`;
  }

  private get rootPrefix(): string {
    return this.location.key === '' ? '' : `${this.location.key}/`;
  }

  async logArtifact(localFile: string, artifactPath?: string): Promise<void> {
    const key = [this.keyOf(artifactPath), path.basename(localFile)].filter((p) => p !== '').join('/');
    const client = await this.client();
    try {
      await client.getBlockBlobClient(key).uploadFile(localFile);
    } catch (e) {
      throw azureFailure(`Uploading to ${this.uriOf(key)}`, e);
    }
  }

  async logArtifacts(localDir: string, artifactPath?: string): Promise<void> {
    await logEachFile(localDir, artifactPath, (file, dest) => this.logArtifact(file, dest));
  }

  /** Every page of a listing of `prefix`: by hierarchy ('/') when `delimiter`, else flat. */
  private async *listPages(prefix: string, delimiter: boolean): AsyncGenerator<ObjectPage> {
    const shown = this.uriOf(prefix.replace(/\/+$/, ''));
    const client = await this.client();
    const pages = delimiter ? client.listBlobsByHierarchy('/', { prefix }).byPage() : client.listBlobsFlat({ prefix }).byPage();
    try {
      for await (const page of pages) {
        const segment = page.segment as { blobItems: AzureBlob.BlobItem[]; blobPrefixes?: AzureBlob.BlobPrefix[] };
        yield {
          objects: segment.blobItems.map((b) => ({ key: b.name, ...(b.properties.contentLength !== undefined ? { size: b.properties.contentLength } : {}) })),
          prefixes: (segment.blobPrefixes ?? []).map((p) => p.name),
        };
      }
    } catch (e) {
      throw azureFailure(`Listing ${shown}`, e);
    }
  }

  async listArtifacts(artifactPath?: string): Promise<FileInfo[]> {
    const dest = this.keyOf(artifactPath);
    const prefix = dest === '' ? '' : `${dest}/`;
    return listFolder(this.listPages(prefix, true), prefix, this.rootPrefix, this.uriOf(dest));
  }

  async downloadArtifacts(artifactPath?: string, dstDir?: string): Promise<string> {
    return downloadObjectArtifacts(artifactPath, dstDir, (rel, dir) => this.downloadTree(rel, dir));
  }

  /** Everything under the name `rel` gives, or that one blob when nothing is under it. */
  private async downloadTree(rel: string, dir: string): Promise<void> {
    const dest = this.keyOf(rel);
    const shown = this.uriOf(dest);
    const client = await this.client();
    const keys = await treeKeys(this.listPages(dest === '' ? '' : `${dest}/`, false), dest, rel, shown);
    await writeObjects(dir, keys, this.rootPrefix, shown, async (key) => {
      try {
        return (await client.getBlobClient(key).download()).readableStreamBody as Readable | undefined;
      } catch (e) {
        throw azureFailure(`Downloading ${this.uriOf(key)}`, e);
      }
    });
  }
}

import type * as AzureBlob from '@azure/storage-blob';
import { azureFailure, loadBlobSdk } from '../../store/azure-sdk.js';
import type { TokenProvider } from './credentials.js';

/** Files above this size go up in blocks of this size (Put Block + Put Block List), not in one request. */
export const BLOCK_SIZE = 64 * 1024 * 1024;

/** How requests to the container are authorized: an account key, a SAS token, or an Entra ID token. */
export type BlobAuth = { kind: 'key'; key: string } | { kind: 'sas'; token: string } | { kind: 'bearer'; getToken: TokenProvider };

/** One Azure Blob Storage container, through @azure/storage-blob: upload and delete block blobs. */
export class BlobContainer {
  private clientPromise?: Promise<AzureBlob.ContainerClient>;

  constructor(
    readonly account: string,
    readonly container: string,
    /** e.g. https://<account>.blob.core.windows.net */
    readonly serviceUrl: string,
    private readonly auth: BlobAuth,
  ) {}

  /** The blob's URL without credentials (for messages). */
  url(blobPath: string): string {
    return `${this.serviceUrl.replace(/\/+$/, '')}/${this.container}/${blobPath.split('/').map(encodeURIComponent).join('/')}`;
  }

  private client(): Promise<AzureBlob.ContainerClient> {
    this.clientPromise ??= loadBlobSdk().then((sdk) => {
      const base = `${this.serviceUrl.replace(/\/+$/, '')}/${encodeURIComponent(this.container)}`;
      if (this.auth.kind === 'sas') return new sdk.ContainerClient(`${base}?${this.auth.token.replace(/^\?/, '')}`);
      if (this.auth.kind === 'key') return new sdk.ContainerClient(base, new sdk.StorageSharedKeyCredential(this.account, this.auth.key));
      const getToken = this.auth.getToken;
      // The token is renewed by whoever provides it; an hour is what Entra ID tokens last at least.
      return new sdk.ContainerClient(base, { getToken: async () => ({ token: await getToken(), expiresOnTimestamp: Date.now() + 3_600_000 }) });
    });
    return this.clientPromise;
  }

  /** Uploads a local file as a block blob (replacing one of that name): in one Put Blob when small, else block by block. */
  async upload(blobPath: string, file: string, blockSize = BLOCK_SIZE): Promise<void> {
    const blob = (await this.client()).getBlockBlobClient(blobPath);
    try {
      await blob.uploadFile(file, { blockSize, maxSingleShotSize: blockSize, concurrency: 1, blobHTTPHeaders: { blobContentType: 'application/octet-stream' } });
    } catch (e) {
      throw azureFailure(`Azure Storage PUT ${this.url(blobPath)}`, e);
    }
  }

  async delete(blobPath: string): Promise<void> {
    const blob = (await this.client()).getBlockBlobClient(blobPath);
    try {
      await blob.delete();
    } catch (e) {
      throw azureFailure(`Azure Storage DELETE ${this.url(blobPath)}`, e);
    }
  }
}

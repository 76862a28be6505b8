import { createHmac } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { MlflowError } from '../../errors.js';
import type { TokenProvider } from './credentials.js';

/** The Blob service REST version we speak: Put Blob takes up to 5000 MiB in one request since 2019-12-12. */
export const STORAGE_API_VERSION = '2021-08-06';

/** Files above this size go up in blocks of this size (Put Block + Put Block List), not read whole into memory. */
export const BLOCK_SIZE = 64 * 1024 * 1024;

/** How requests to the container are authorized: an account key, a SAS token, or an Entra ID token. */
export type BlobAuth = { kind: 'key'; key: string } | { kind: 'sas'; token: string } | { kind: 'bearer'; getToken: TokenProvider };

/**
 * The Shared Key signature of a Blob service request (Azure Storage's "Authorize with Shared
 * Key"): HMAC-SHA256, keyed with the base64-decoded account key, over the verb, the standard
 * headers in their fixed order (Content-Length empty when 0), the x-ms-* headers sorted, and
 * the canonicalized resource: /account/container/blob, then each query parameter as
 * `\nname:value`, sorted by name.
 */
export function sharedKeySignature(
  account: string,
  key: string,
  method: string,
  resource: string,
  headers: Record<string, string>,
  query: Record<string, string> = {},
): string {
  const h = (name: string): string => headers[name.toLowerCase()] ?? '';
  const length = h('content-length') === '0' ? '' : h('content-length');
  const msHeaders = Object.keys(headers)
    .filter((k) => k.toLowerCase().startsWith('x-ms-'))
    .map((k) => `${k.toLowerCase()}:${headers[k].trim()}`)
    .sort();
  const stringToSign = [
    method.toUpperCase(),
    h('content-encoding'),
    h('content-language'),
    length,
    h('content-md5'),
    h('content-type'),
    h('date'),
    h('if-modified-since'),
    h('if-match'),
    h('if-none-match'),
    h('if-unmodified-since'),
    h('range'),
    ...msHeaders,
    `/${account}${resource}${Object.keys(query)
      .sort()
      .map((k) => `\n${k.toLowerCase()}:${query[k]}`)
      .join('')}`,
  ].join('\n');
  return createHmac('sha256', Buffer.from(key, 'base64')).update(stringToSign, 'utf8').digest('base64');
}

/** One Azure Blob Storage container: upload and delete block blobs. */
export class BlobContainer {
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

  /** Put Blob: the whole file as one block blob, replacing any blob of that name. */
  async put(blobPath: string, data: Buffer): Promise<void> {
    await this.send('PUT', blobPath, data, { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/octet-stream' });
  }

  /** Uploads a local file: in one Put Blob when small, else block by block, then the block list. */
  async upload(blobPath: string, file: string, blockSize = BLOCK_SIZE): Promise<void> {
    const { size } = await stat(file);
    if (size <= blockSize) return this.put(blobPath, await readFile(file));
    const handle = await open(file, 'r');
    try {
      const ids: string[] = [];
      for (let offset = 0; offset < size; offset += blockSize) {
        const block = Buffer.alloc(Math.min(blockSize, size - offset));
        await handle.read(block, 0, block.length, offset);
        // Block ids: base64 of equal-length strings, as the service requires within one blob.
        const id = Buffer.from(`block-${String(ids.length).padStart(6, '0')}`).toString('base64');
        await this.send('PUT', blobPath, block, {}, { comp: 'block', blockid: id });
        ids.push(id);
      }
      const list = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`;
      await this.send('PUT', blobPath, Buffer.from(list), { 'content-type': 'application/xml', 'x-ms-blob-content-type': 'application/octet-stream' }, { comp: 'blocklist' });
    } finally {
      await handle.close();
    }
  }

  async delete(blobPath: string): Promise<void> {
    await this.send('DELETE', blobPath);
  }

  private async send(method: string, blobPath: string, body?: Buffer, extra: Record<string, string> = {}, query: Record<string, string> = {}): Promise<void> {
    const headers: Record<string, string> = {
      'x-ms-date': new Date().toUTCString(),
      'x-ms-version': STORAGE_API_VERSION,
      'content-length': String(body?.length ?? 0),
      ...extra,
    };
    const params = [new URLSearchParams(query).toString()];
    if (this.auth.kind === 'key') {
      const resource = `/${this.container}/${blobPath.split('/').map(encodeURIComponent).join('/')}`;
      headers.authorization = `SharedKey ${this.account}:${sharedKeySignature(this.account, this.auth.key, method, resource, headers, query)}`;
    } else if (this.auth.kind === 'sas') {
      params.push(this.auth.token.replace(/^\?/, ''));
    } else {
      headers.authorization = `Bearer ${await this.auth.getToken()}`;
    }
    const where = this.url(blobPath);
    const search = params.filter((p) => p !== '').join('&');
    const res = await fetch(search === '' ? where : `${where}?${search}`, { method, headers, body }).catch((e: unknown) => {
      throw new MlflowError(`${method} ${where} failed: ${(e as Error).message}`, 'TEMPORARILY_UNAVAILABLE');
    });
    if (!res.ok) {
      const text = await res.text();
      // Storage errors are XML: <Error><Code>AuthenticationFailed</Code><Message>...</Message></Error>
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
      throw new MlflowError(`Azure Storage ${method} ${where} failed (${res.status})${code ? `: ${code}` : ''}`, res.status === 403 ? 'PERMISSION_DENIED' : 'INTERNAL_ERROR');
    }
    await res.arrayBuffer();
  }
}

import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small in-memory server answering the part of the Google Cloud Storage JSON API that
 * @google-cloud/storage calls for MLflow's artifact operations, as Google documents it
 * (https://cloud.google.com/storage/docs/json_api/v1/objects/list, objects/get with alt=media,
 * multipart uploads, and its JSON errors). Like fake-gcs-server, it answers with and without the
 * /storage/v1 prefix: the Node SDK drops it when STORAGE_EMULATOR_HOST is set.
 *
 * It also plays the GCE metadata server (https://cloud.google.com/compute/docs/metadata/overview):
 * the ping google-auth-library sends to detect it and the default service account's token, both
 * only for requests carrying `Metadata-Flavor: Google`, answered with that header as Google does.
 */
export class FakeGcsServer {
  /** bucket -> object name -> bytes */
  readonly buckets = new Map<string, Map<string, Buffer>>();
  readonly requests: { method: string; path: string; query: Record<string, string>; authorization?: string }[] = [];
  /** objects (bucket/name) whose download answers 403 */
  readonly deniedObjects = new Set<string>();
  /** the bearer token API calls must carry (undefined: no check, as an emulator) */
  requiredToken?: string;
  /** the token the metadata server hands out (undefined: it is not there, 404) */
  metadataToken?: string;
  /** metadata server requests, by path */
  readonly metadataRequests: string[] = [];
  pageSize = 3;
  private server?: http.Server;
  url = '';

  put(bucket: string, name: string, data: Buffer | string): void {
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
    this.buckets.get(bucket)!.set(name, Buffer.from(data));
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams.entries());
    const json = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    if (url.pathname.startsWith('/computeMetadata/')) return this.metadata(req, url.pathname, json);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, authorization: req.headers.authorization });
    const error = (code: number, message: string): void => json(code, { error: { code, message, errors: [{ message, domain: 'global' }] } });
    if (this.requiredToken !== undefined && req.headers.authorization !== `Bearer ${this.requiredToken}`) return error(401, 'Invalid Credentials');

    const apiPath = url.pathname.replace(/^\/storage\/v1(?=\/)/, '');
    const list = /^\/b\/([^/]+)\/o$/.exec(apiPath);
    const get = /^\/b\/([^/]+)\/o\/(.+)$/.exec(apiPath);
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const bucket = decodeURIComponent((list ?? get ?? upload)?.[1] ?? '');
    const objects = this.buckets.get(bucket);
    if (objects === undefined) return error(404, 'The specified bucket does not exist.');
    if (list && req.method === 'GET') return this.list(objects, query, json);
    if (get && req.method === 'GET' && query.alt === 'media') {
      const name = decodeURIComponent(get[2]);
      if (this.deniedObjects.has(`${bucket}/${name}`)) {
        return error(403, `caller does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).`);
      }
      const data = objects.get(name);
      if (data === undefined) return error(404, `No such object: ${bucket}/${name}`);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) });
      res.end(data);
      return;
    }
    if (upload && req.method === 'POST' && query.uploadType === 'multipart') {
      const parts = multipartParts(body, req.headers['content-type'] ?? '');
      if (parts.length !== 2) return error(400, 'A multipart upload has a metadata part and a media part');
      const metadata = JSON.parse(parts[0].toString('utf8')) as { name?: string };
      const name = metadata.name ?? query.name;
      if (!name) return error(400, 'Required: object name');
      objects.set(name, parts[1]);
      // The SDK checks what it sent against the checksums the service computed and answers.
      const md5Hash = createHash('md5').update(parts[1]).digest('base64');
      return json(200, { kind: 'storage#object', name, bucket, size: String(parts[1].length), md5Hash, crc32c: crc32c(parts[1]) });
    }
    error(400, `Unsupported request: ${req.method} ${url.pathname}`);
  }

  private list(objects: Map<string, Buffer>, query: Record<string, string>, json: (status: number, payload: unknown) => void): void {
    const prefix = query.prefix ?? '';
    const delimiter = query.delimiter ?? '';
    const items: { kind: string; name: string; size: string }[] = [];
    const prefixes = new Set<string>();
    for (const name of [...objects.keys()].filter((k) => k.startsWith(prefix)).sort()) {
      const at = delimiter === '' ? -1 : name.indexOf(delimiter, prefix.length);
      if (at >= 0) prefixes.add(name.slice(0, at + delimiter.length));
      else items.push({ kind: 'storage#object', name, size: String(objects.get(name)!.length) });
    }
    // Pages over objects; prefixes come with the first page, as the real API may spread them.
    const start = query.pageToken === undefined ? 0 : Number(Buffer.from(query.pageToken, 'base64').toString('utf8'));
    const page = items.slice(start, start + this.pageSize);
    const more = start + this.pageSize < items.length;
    json(200, {
      kind: 'storage#objects',
      ...(page.length > 0 ? { items: page } : {}),
      ...(start === 0 && prefixes.size > 0 ? { prefixes: [...prefixes] } : {}),
      ...(more ? { nextPageToken: Buffer.from(String(start + this.pageSize)).toString('base64') } : {}),
    });
  }

  private metadata(req: http.IncomingMessage, pathname: string, json: (status: number, payload: unknown, headers?: Record<string, string>) => void): void {
    this.metadataRequests.push(pathname);
    const flavor = { 'Metadata-Flavor': 'Google' };
    if (req.headers['metadata-flavor'] !== 'Google' || this.metadataToken === undefined) return json(403, {}, flavor);
    if (pathname === '/computeMetadata/v1/instance' || pathname === '/computeMetadata/v1/instance/') return json(200, {}, flavor);
    if (pathname === '/computeMetadata/v1/instance/service-accounts/default/token') {
      return json(200, { access_token: this.metadataToken, expires_in: 3599, token_type: 'Bearer' }, flavor);
    }
    json(404, {}, flavor);
  }
}

/** The bodies of a multipart/related request's parts (headers stripped). */
function multipartParts(body: Buffer, contentType: string): Buffer[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (boundary === undefined) return [];
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    // the part ends with the CRLF that precedes the next delimiter
    parts.push(part.subarray(headerEnd + 4, part.length - 2));
    at = next;
  }
  return parts;
}

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) as GCS reports it: the big-endian 4 bytes in base64. */
function crc32c(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

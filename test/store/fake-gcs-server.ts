import { createVerify, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small in-memory server answering as the Google Cloud Storage JSON API documents
 * (https://cloud.google.com/storage/docs/json_api/v1/objects/list, objects/get with alt=media,
 * media uploads, and its JSON errors), plus an OAuth token endpoint that checks service-account
 * JWT assertions (RFC 7523) against a public key and refresh-token grants.
 */
export class FakeGcsServer {
  /** bucket -> object name -> bytes */
  readonly buckets = new Map<string, Map<string, Buffer>>();
  readonly requests: { method: string; path: string; query: Record<string, string>; authorization?: string }[] = [];
  /** objects (bucket/name) whose download answers 403 */
  readonly deniedObjects = new Set<string>();
  /** the bearer token API calls must carry (undefined: no check, as an emulator) */
  requiredToken?: string;
  /** the key service-account assertions must be signed with */
  serviceAccountKey?: KeyObject;
  /** the refresh grant that is accepted */
  refreshGrant?: { client_id: string; client_secret: string; refresh_token: string };
  /** claims of every JWT assertion accepted */
  readonly assertions: Record<string, unknown>[] = [];
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
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, authorization: req.headers.authorization });
    const json = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(payload));
    };
    const error = (code: number, message: string): void => json(code, { error: { code, message, errors: [{ message, domain: 'global' }] } });
    if (url.pathname === '/token' && req.method === 'POST') return this.token(new URLSearchParams(body.toString('utf8')), json);
    if (this.requiredToken !== undefined && req.headers.authorization !== `Bearer ${this.requiredToken}`) return error(401, 'Invalid Credentials');

    const list = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const get = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
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
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(data);
      return;
    }
    if (upload && req.method === 'POST' && query.uploadType === 'media' && query.name) {
      objects.set(query.name, body);
      return json(200, { kind: 'storage#object', name: query.name, bucket, size: String(body.length) });
    }
    error(400, 'Unsupported request');
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

  private token(form: URLSearchParams, json: (status: number, payload: unknown) => void): void {
    if (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
      const valid =
        this.serviceAccountKey !== undefined &&
        signature !== undefined &&
        createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(this.serviceAccountKey, signature, 'base64url');
      if (!valid) return json(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      this.assertions.push(JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>);
      return json(200, { access_token: 'ya29.service-account', expires_in: 3599, token_type: 'Bearer' });
    }
    if (form.get('grant_type') === 'refresh_token') {
      const g = this.refreshGrant;
      if (g && form.get('client_id') === g.client_id && form.get('client_secret') === g.client_secret && form.get('refresh_token') === g.refresh_token) {
        return json(200, { access_token: 'ya29.user', expires_in: 3599, token_type: 'Bearer' });
      }
      return json(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    }
    json(400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
  }
}

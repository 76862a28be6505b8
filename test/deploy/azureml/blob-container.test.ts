import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BlobContainer } from '../../../src/deploy/azureml/index.js';
import { MlflowError } from '../../../src/errors.js';

const KEY = Buffer.from('another-fake-account-key').toString('base64');

/** Azure Storage's Shared Key check, from the request as the service receives it (query values decoded). */
function expectedSignature(method: string, u: URL, h: http.IncomingHttpHeaders): string {
  const v = (name: string): string => (h[name] as string | undefined) ?? '';
  const ms = Object.keys(h).filter((k) => k.startsWith('x-ms-')).sort().map((k) => `${k}:${v(k)}`);
  const length = v('content-length') === '0' ? '' : v('content-length');
  const query = [...u.searchParams.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, val]) => `\n${k}:${val}`).join('');
  const resource = `/acct${u.pathname.slice('/acct'.length)}${query}`;
  const lines = [method, v('content-encoding'), v('content-language'), length, v('content-md5'), v('content-type'), v('date'), v('if-modified-since'), v('if-match'), v('if-none-match'), v('if-unmodified-since'), v('range'), ...ms, resource];
  return createHmac('sha256', Buffer.from(KEY, 'base64')).update(lines.join('\n')).digest('base64');
}

/** A Blob service for one account: Put Blob, Put Block, Put Block List, Delete Blob; Shared Key checked. */
const requests: string[] = [];
const blobs = new Map<string, Buffer>();
const blocks = new Map<string, Buffer>();
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const u = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const body = Buffer.concat(chunks);
    const comp = u.searchParams.get('comp');
    requests.push(`${method} ${u.pathname}${comp ? ` ${comp}` : ''}`);
    if (req.headers.authorization !== `SharedKey acct:${expectedSignature(method, u, req.headers)}`) {
      return void res.writeHead(403).end('<Error><Code>AuthenticationFailed</Code></Error>');
    }
    const blob = decodeURIComponent(u.pathname);
    if (method === 'PUT' && comp === 'block') blocks.set(`${blob}#${u.searchParams.get('blockid')}`, body);
    else if (method === 'PUT' && comp === 'blocklist') {
      const ids = [...body.toString('utf8').matchAll(/<Latest>([^<]+)<\/Latest>/g)].map((m) => m[1]);
      blobs.set(blob, Buffer.concat(ids.map((id) => blocks.get(`${blob}#${id}`) ?? Buffer.alloc(0))));
    } else if (method === 'PUT') blobs.set(blob, body);
    else if (method === 'DELETE') blobs.delete(blob);
    res.writeHead(201).end();
  });
});

let url = '';
let tmp = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/acct`;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-blob-'));
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  requests.length = 0;
  blobs.clear();
  blocks.clear();
});

describe('Azure Blob container', () => {
  it('uploads a small file in one Put Blob, signed with the account key', async () => {
    const file = path.join(tmp, 'small.bin');
    await writeFile(file, 'MLmodel bytes');
    await new BlobContainer('acct', 'models', url, { kind: 'key', key: KEY }).upload('a dir/MLmodel', file);
    expect(requests).toEqual(['PUT /acct/models/a%20dir/MLmodel']);
    expect(blobs.get('/acct/models/a dir/MLmodel')?.toString()).toBe('MLmodel bytes');
  });

  it('uploads a large file block by block, then commits the block list, each request signed with its query', async () => {
    const file = path.join(tmp, 'large.bin');
    const data = Buffer.from(Array.from({ length: 2500 }, (_, i) => i % 251));
    await writeFile(file, data);
    await new BlobContainer('acct', 'models', url, { kind: 'key', key: KEY }).upload('m/weights.bin', file, 1000);
    expect(requests).toEqual([
      'PUT /acct/models/m/weights.bin block',
      'PUT /acct/models/m/weights.bin block',
      'PUT /acct/models/m/weights.bin block',
      'PUT /acct/models/m/weights.bin blocklist',
    ]);
    expect(blobs.get('/acct/models/m/weights.bin')).toEqual(data);
  });

  it('reports a refused request with the blob URL and the service error code', async () => {
    const file = path.join(tmp, 'x.bin');
    await writeFile(file, 'x');
    const wrongKey = Buffer.from('wrong').toString('base64');
    const err = (await new BlobContainer('acct', 'models', url, { kind: 'key', key: wrongKey }).upload('x.bin', file).catch((e: unknown) => e)) as MlflowError;
    expect(err).toBeInstanceOf(MlflowError);
    expect(err.errorCode).toBe('PERMISSION_DENIED');
    expect(err.message).toBe(`Azure Storage PUT ${url}/models/x.bin failed (403): AuthenticationFailed`);
  });
});

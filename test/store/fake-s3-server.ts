import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A small in-memory server answering path-style requests as S3 and MinIO do
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html, API_GetObject.html,
 * API_PutObject.html, ErrorResponses.html): ListObjectsV2 with prefix, delimiter and continuation
 * tokens, GetObject, PutObject, and S3's XML errors. It records every request.
 */
export class FakeS3Server {
  /** bucket -> key -> bytes */
  readonly buckets = new Map<string, Map<string, Buffer>>();
  readonly requests: { method: string; path: string; query: Record<string, string>; authorization?: string; headers: http.IncomingHttpHeaders }[] = [];
  /** keys (bucket/key) whose GetObject answers 403 AccessDenied */
  readonly deniedKeys = new Set<string>();
  /** buckets every request to which answers 403 AccessDenied */
  readonly deniedBuckets = new Set<string>();
  /** entries per ListObjectsV2 page, small so that tests page through continuation tokens */
  pageSize = 3;
  private server?: http.Server | https.Server;

  /** `tls`: serve HTTPS with this certificate instead of HTTP */
  constructor(private readonly tls?: { key: Buffer; cert: Buffer }) {}

  put(bucket: string, key: string, data: Buffer | string): void {
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
    this.buckets.get(bucket)!.set(key, Buffer.from(data));
  }

  async start(): Promise<string> {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    };
    const server = this.tls === undefined ? http.createServer(listener) : https.createServer(this.tls, listener);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `${this.tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams.entries());
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, authorization: req.headers.authorization, headers: req.headers });
    const [, bucketName = '', ...keyParts] = url.pathname.split('/');
    const bucket = decodeURIComponent(bucketName);
    const key = keyParts.map(decodeURIComponent).join('/');
    const error = (status: number, code: string, message: string): void => {
      res.writeHead(status, { 'Content-Type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
          `<BucketName>${xml(bucket)}</BucketName><Resource>${xml(url.pathname)}</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>`,
      );
    };
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ')) return error(403, 'AccessDenied', 'Anonymous access is forbidden');
    if (this.deniedBuckets.has(bucket) || this.deniedKeys.has(`${bucket}/${key}`)) return error(403, 'AccessDenied', 'Access Denied');
    const objects = this.buckets.get(bucket);
    if (objects === undefined) return error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (req.method === 'GET' && key === '' && query['list-type'] === '2') return this.list(bucket, objects, query, res);
    if (req.method === 'GET' && key !== '') {
      const data = objects.get(key);
      if (data === undefined) return error(404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length), ETag: '"0"' });
      res.end(data);
      return;
    }
    if (req.method === 'PUT' && key !== '') {
      objects.set(key, body);
      res.writeHead(200, { ETag: '"0"' });
      res.end();
      return;
    }
    error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }

  private list(bucket: string, objects: Map<string, Buffer>, query: Record<string, string>, res: http.ServerResponse): void {
    const prefix = query.prefix ?? '';
    const delimiter = query.delimiter ?? '';
    // Keys and common prefixes in key order, as S3 lists them.
    const entries: ({ key: string; size: number } | { prefix: string })[] = [];
    const seenPrefixes = new Set<string>();
    for (const key of [...objects.keys()].filter((k) => k.startsWith(prefix)).sort()) {
      const at = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        const common = key.slice(0, at + delimiter.length);
        if (!seenPrefixes.has(common)) entries.push({ prefix: common });
        seenPrefixes.add(common);
      } else entries.push({ key, size: objects.get(key)!.length });
    }
    const start = query['continuation-token'] === undefined ? 0 : Number(Buffer.from(query['continuation-token'], 'base64').toString('utf8'));
    const page = entries.slice(start, start + this.pageSize);
    const truncated = start + this.pageSize < entries.length;
    res.writeHead(200, { 'Content-Type': 'application/xml' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>1000</MaxKeys>` +
        (delimiter === '' ? '' : `<Delimiter>${xml(delimiter)}</Delimiter>`) +
        `<IsTruncated>${truncated}</IsTruncated>` +
        (truncated ? `<NextContinuationToken>${Buffer.from(String(start + this.pageSize)).toString('base64')}</NextContinuationToken>` : '') +
        page
          .map((e) =>
            'prefix' in e
              ? `<CommonPrefixes><Prefix>${xml(e.prefix)}</Prefix></CommonPrefixes>`
              : `<Contents><Key>${xml(e.key)}</Key><LastModified>2025-05-01T00:00:00.000Z</LastModified><ETag>"0"</ETag><Size>${e.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
          )
          .join('') +
        '</ListBucketResult>',
    );
  }
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

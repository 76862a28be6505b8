// A raw HTTP client for the serve tests: node:http, so a request can go out with no
// Content-Type at all, with bytes that are not UTF-8, or cut short.
import { createHash } from 'node:crypto';
import { request } from 'node:http';

export interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** An answer read without keeping it: its size and SHA-256 (a 100 MB answer made into one string would hold the test's own event loop). */
export interface CountedAnswer {
  status: number;
  bytes: number;
  sha256: string;
  /** The first bytes, for messages. */
  head: string;
}

export function sendCounted(port: number, path: string, contentType: string, body: Buffer): Promise<CountedAnswer> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': contentType, 'content-length': body.length };
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers, agent: false }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let head = '';
      res.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
        if (head.length < 300) head += c.toString('utf8', 0, Math.min(c.length, 300));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, sha256: hash.digest('hex'), head: head.slice(0, 300) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function send(
  port: number,
  method: string,
  path: string,
  options: { contentType?: string; body?: string | Buffer; headers?: Record<string, string>; onSent?: () => void } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    // 'finish': every byte of the request is handed to the operating system
    if (options.onSent) req.on('finish', options.onSent);
    req.end(options.body);
  });
}

export function errorCodeOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error_code?: string }).error_code;
  } catch {
    return undefined;
  }
}

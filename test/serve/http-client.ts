// A raw HTTP client for the serve tests: node:http, so a request can go out with no
// Content-Type at all, with bytes that are not UTF-8, or cut short.
import { request } from 'node:http';

export interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
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

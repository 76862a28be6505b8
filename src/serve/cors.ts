import type { IncomingMessage, ServerResponse } from 'node:http';

/** Which origins may call the server from a browser: '*' or a list; empty: no CORS headers. */
export type CorsOrigins = readonly string[];

const ALLOWED_HEADERS = 'content-type, content-encoding, accept-encoding, x-request-id, inference-header-content-length';
const ALLOWED_METHODS = 'GET, HEAD, POST, OPTIONS';

/**
 * Sets the CORS headers of an answer. Returns true when the request was a preflight (OPTIONS with
 * Access-Control-Request-Method), which it has answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, origins: CorsOrigins): boolean {
  const origin = req.headers.origin;
  const allowed = origins.includes('*') ? '*' : origin !== undefined && origins.includes(origin) ? origin : undefined;
  if (allowed === undefined) return false;
  res.setHeader('access-control-allow-origin', allowed);
  if (allowed !== '*') res.setHeader('vary', 'origin');
  res.setHeader('access-control-expose-headers', 'x-request-id, inference-header-content-length');
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
  res.writeHead(204, {
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': '600',
    'content-length': '0',
  });
  res.end();
  return true;
}

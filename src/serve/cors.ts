import type { IncomingMessage } from 'node:http';

/** Which origins may call the server from a browser: '*' or a list; empty: no CORS headers. */
export type CorsOrigins = readonly string[];

const ALLOWED_HEADERS = 'content-type, content-encoding, accept-encoding, x-request-id, inference-header-content-length';
const ALLOWED_METHODS = 'GET, HEAD, POST, OPTIONS';

/** The headers a preflight's 204 adds to those of `corsHeaders`. */
export const PREFLIGHT_HEADERS: readonly string[] = [
  'access-control-allow-methods', ALLOWED_METHODS,
  'access-control-allow-headers', ALLOWED_HEADERS,
  'access-control-max-age', '600',
  'content-length', '0',
];

/**
 * Appends the CORS headers of an answer to `head` (name, value, ...). Returns true when the
 * request is a preflight (OPTIONS with Access-Control-Request-Method), which is answered with
 * 204 and PREFLIGHT_HEADERS.
 */
export function addCorsHeaders(req: IncomingMessage, head: (string | number)[], origins: CorsOrigins): boolean {
  const origin = req.headers.origin;
  const allowed = origins.includes('*') ? '*' : origin !== undefined && origins.includes(origin) ? origin : undefined;
  if (allowed === undefined) return false;
  head.push('access-control-allow-origin', allowed);
  if (allowed !== '*') head.push('vary', 'origin');
  head.push('access-control-expose-headers', 'x-request-id, inference-header-content-length');
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
}

import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { RequestOptions } from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { MlflowError } from '../errors.js';

/** TLS settings of MLflow's host creds (requests' `verify` and `cert`). */
export interface TlsSettings {
  /** MLFLOW_TRACKING_INSECURE_TLS: do not verify the server's certificate */
  ignoreTlsVerification?: boolean;
  /** MLFLOW_TRACKING_SERVER_CERT_PATH: the CA bundle that verifies the server (instead of the system's) */
  serverCertPath?: string;
  /** MLFLOW_TRACKING_CLIENT_CERT_PATH: a PEM file with the client certificate and its key */
  clientCertPath?: string;
}

/** Statuses whose answer has no body (a Response refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);
/** requests' Session.max_redirects. */
const MAX_REDIRECTS = 30;

export function usesCustomTls(tls: TlsSettings): boolean {
  return tls.ignoreTlsVerification === true || tls.serverCertPath !== undefined || tls.clientCertPath !== undefined;
}

function readPem(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new MlflowError(`${variable}: cannot read '${file}': ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: e });
  }
}

function tlsOptions(tls: TlsSettings): RequestOptions {
  const client = tls.clientCertPath === undefined ? undefined : readPem(tls.clientCertPath, 'MLFLOW_TRACKING_CLIENT_CERT_PATH');
  return {
    rejectUnauthorized: tls.ignoreTlsVerification !== true,
    ...(tls.serverCertPath !== undefined ? { ca: readPem(tls.serverCertPath, 'MLFLOW_TRACKING_SERVER_CERT_PATH') } : {}),
    // requests' cert=<path>: one file holding both; OpenSSL picks the certificate and the key out of it.
    ...(client ? { cert: client, key: client } : {}),
  };
}

async function once(url: URL, init: { method: string; headers: Record<string, string>; body?: string | Uint8Array; signal?: AbortSignal }, tls: TlsSettings): Promise<http.IncomingMessage> {
  // node:https (and node:tls under it) loaded on first use: importing mlflow-ts should not pay for it.
  const transport = url.protocol === 'https:' ? (await import('node:https')).default : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, {
      method: init.method,
      headers: init.headers,
      signal: init.signal,
      ...(url.protocol === 'https:' ? tlsOptions(tls) : {}),
    });
    request.on('response', resolve);
    request.on('error', reject);
    request.end(init.body);
  });
}

/**
 * fetch over node:http(s), for what Node's fetch cannot configure: the CA bundle, the client
 * certificate and skipping verification. Redirects are followed as requests follows them (303, and
 * 301/302 after a POST, become GETs; the Authorization header is dropped on a new host) unless
 * `redirect` is 'manual', when the 3xx answer itself is returned.
 */
export async function fetchWithTls(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string | Uint8Array; signal?: AbortSignal; redirect: 'follow' | 'manual' },
  tls: TlsSettings,
): Promise<Response> {
  let current = url;
  let { method, body } = init;
  const headers = { ...init.headers };
  for (let hop = 0; ; hop++) {
    const res = await once(current, { method, headers, body, signal: init.signal }, tls);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (init.redirect === 'follow' && status >= 300 && status < 400 && location !== undefined) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new MlflowError(`Exceeded ${MAX_REDIRECTS} redirects from ${url.origin}${url.pathname}`, 'INTERNAL_ERROR');
      const next = new URL(location, current);
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
        delete headers['Content-Type'];
      }
      if (next.host !== current.host) delete headers.Authorization;
      current = next;
      continue;
    }
    const responseHeaders = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) v.forEach((x) => responseHeaders.append(k, x));
      else if (v !== undefined) responseHeaders.set(k, v);
    }
    const stream = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as WebReadableStream<Uint8Array>);
    if (stream === null) res.resume();
    return new Response(stream as ReadableStream<Uint8Array> | null, { status, statusText: res.statusMessage, headers: responseHeaders });
  }
}

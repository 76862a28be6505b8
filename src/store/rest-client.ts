import { MlflowError, type ErrorCode } from '../errors.js';
import { VERSION } from '../version.js';
import { requestAuthHeaders } from './request-auth.js';
import { backoffMs, envBoolean, isRetryableStatus, retryAfterMs, retryPolicyFromEnv, type RetryPolicy } from './retry-policy.js';
import { fetchWithTls, usesCustomTls, type TlsSettings } from './tls-transport.js';

/** An MLflow server and the credentials to reach it (MLflow's MlflowHostCreds). */
export interface HostCreds extends TlsSettings {
  /** base URL, e.g. http://localhost:5000 (a path prefix is kept) */
  host: string;
  token?: string;
  username?: string;
  password?: string;
  /** MLFLOW_TRACKING_AUTH: the name of a registered request auth provider (request-auth.ts) */
  auth?: string;
  /** MLFLOW_ALLOW_HTTP_REDIRECTS (default true): follow 3xx answers, else treat them as failures */
  allowRedirects?: boolean;
  /** overrides of the retry policy the MLFLOW_HTTP_* variables select (tests inject `sleep`) */
  retry?: Partial<RetryPolicy>;
}

/**
 * Credentials as MLflow's get_default_host_creds reads them: MLFLOW_TRACKING_USERNAME/PASSWORD
 * (Basic), else MLFLOW_TRACKING_TOKEN (Bearer); MLFLOW_TRACKING_AUTH; the TLS variables
 * MLFLOW_TRACKING_INSECURE_TLS, _SERVER_CERT_PATH and _CLIENT_CERT_PATH; MLFLOW_ALLOW_HTTP_REDIRECTS.
 */
export function hostCredsFromEnv(host: string, env: NodeJS.ProcessEnv = process.env): HostCreds {
  const creds: HostCreds = {
    host,
    token: env.MLFLOW_TRACKING_TOKEN || undefined,
    username: env.MLFLOW_TRACKING_USERNAME || undefined,
    password: env.MLFLOW_TRACKING_PASSWORD || undefined,
    auth: env.MLFLOW_TRACKING_AUTH || undefined,
    ignoreTlsVerification: envBoolean(env, 'MLFLOW_TRACKING_INSECURE_TLS', false),
    serverCertPath: env.MLFLOW_TRACKING_SERVER_CERT_PATH || undefined,
    clientCertPath: env.MLFLOW_TRACKING_CLIENT_CERT_PATH || undefined,
    allowRedirects: envBoolean(env, 'MLFLOW_ALLOW_HTTP_REDIRECTS', true),
  };
  checkTls(creds);
  return creds;
}

/** MlflowHostCreds' own check: skipping verification and naming a CA cannot both hold. */
function checkTls(creds: HostCreds): void {
  if (creds.ignoreTlsVerification && creds.serverCertPath !== undefined) {
    throw new MlflowError(
      "When 'ignore_tls_verification' is true then 'server_cert_path' must not be set! This error may have occurred because the " +
        "'MLFLOW_TRACKING_INSECURE_TLS' and 'MLFLOW_TRACKING_SERVER_CERT_PATH' environment variables are both set - only one of these environment variables may be set.",
      'INVALID_PARAMETER_VALUE',
    );
  }
}

const KNOWN_CODES = new Set<string>([
  'INTERNAL_ERROR', 'BAD_REQUEST', 'INVALID_PARAMETER_VALUE', 'INVALID_STATE', 'RESOURCE_DOES_NOT_EXIST',
  'RESOURCE_ALREADY_EXISTS', 'MALFORMED_REQUEST', 'NOT_IMPLEMENTED', 'PERMISSION_DENIED', 'UNAUTHENTICATED',
  'TEMPORARILY_UNAVAILABLE', 'DEADLINE_EXCEEDED', 'REQUEST_LIMIT_EXCEEDED', 'ENDPOINT_NOT_FOUND',
]);

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'ENDPOINT_NOT_FOUND',
  429: 'REQUEST_LIMIT_EXCEEDED',
  501: 'NOT_IMPLEMENTED',
  503: 'TEMPORARILY_UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | undefined>;
  json?: unknown;
  body?: Uint8Array | string;
  /** extra headers, e.g. the Content-Type of `body` */
  headers?: Record<string, string>;
  /** statuses whose answers are returned to the caller instead of thrown (after any retries) */
  returnStatuses?: readonly number[];
}

/**
 * One HTTP request to `url` with MLflow's auth headers and retry policy (see retry-policy.ts):
 * 408, 429 and 5xx answers, connection failures and timeouts are tried again with backoff. A
 * non-2xx answer becomes an MlflowError carrying the server's error_code, or MLflow's "API
 * request ... failed" message when the body is not MLflow JSON.
 */
export async function httpRequest(creds: HostCreds, url: string, options: RequestOptions = {}): Promise<Response> {
  const policy: RetryPolicy = { ...retryPolicyFromEnv(), ...creds.retry };
  const target = new URL(url);
  for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) target.searchParams.set(k, v);
  const headers: Record<string, string> = { 'User-Agent': `mlflow-ts/${VERSION}`, ...options.headers };
  // MLflow's http_request checks username and password first, then the token.
  if (creds.username !== undefined && creds.password !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  } else if (creds.token !== undefined) headers.Authorization = `Bearer ${creds.token}`;
  checkTls(creds);
  if (creds.auth !== undefined) Object.assign(headers, await requestAuthHeaders(creds.auth, { method: options.method ?? 'GET', url: target.href }));
  let body: string | Uint8Array | undefined = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const method = options.method ?? 'GET';
  const shownUrl = `${target.origin}${target.pathname}`;
  for (let attempt = 1; ; attempt++) {
    const canRetry = attempt <= policy.maxRetries;
    let response: Response;
    try {
      response = await fetchWithTimeout(target, { method, headers, body }, policy.timeoutSeconds, creds);
    } catch (err) {
      if (canRetry) {
        await policy.sleep(backoffMs(policy, attempt));
        continue;
      }
      throw requestFailure(err, shownUrl, attempt);
    }
    if (response.ok) return response;
    if (canRetry && isRetryableStatus(policy, response.status, response.headers)) {
      await response.body?.cancel().catch(() => undefined);
      await policy.sleep(retryAfterMs(policy, response.status, response.headers) ?? backoffMs(policy, attempt));
      continue;
    }
    if (options.returnStatuses?.includes(response.status) === true) return response;
    throw await errorFromResponse(response, target.pathname, attempt);
  }
}

class RequestTimeout extends Error {}

/** True for the error a body read fails with when the server stalls past MLFLOW_HTTP_REQUEST_TIMEOUT. */
export function isRequestTimeout(err: unknown): boolean {
  return err instanceof RequestTimeout;
}

/**
 * fetch, failing when no answer arrives within `seconds`, and then when the body stalls for
 * that long between two chunks: the per-read timeout of Python requests, so that a large
 * artifact may take longer than the timeout as long as it keeps flowing.
 */
async function fetchWithTimeout(url: URL, init: { method: string; headers: Record<string, string>; body?: string | Uint8Array }, seconds: number, creds: HostCreds): Promise<Response> {
  const controller = new AbortController();
  const ms = seconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    // unref: a body nobody reads must not keep the process alive until the timer fires
    timer = setTimeout(() => controller.abort(new RequestTimeout(`no data within ${seconds} s (MLFLOW_HTTP_REQUEST_TIMEOUT)`)), ms).unref();
  };
  arm();
  let response: Response;
  try {
    // Node's fetch takes no CA, client certificate or verification switch: those go over node:https.
    const redirect = creds.allowRedirects === false ? 'manual' : 'follow';
    response = usesCustomTls(creds)
      ? await fetchWithTls(url, { ...init, signal: controller.signal, redirect }, creds)
      : await fetch(url, { ...init, signal: controller.signal, redirect });
  } catch (err) {
    clearTimeout(timer);
    throw controller.signal.aborted ? controller.signal.reason : err;
  }
  if (response.body === null) {
    clearTimeout(timer);
    return response;
  }
  arm();
  const watched = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        arm();
        out.enqueue(chunk);
      },
      flush() {
        clearTimeout(timer);
      },
    }),
  );
  return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
}

function requestFailure(err: unknown, url: string, attempts: number): MlflowError {
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  if (err instanceof RequestTimeout) {
    return new MlflowError(
      `API request to ${url} failed with timeout exception: ${err.message}${tries}. To increase the timeout, set the ` +
        'environment variable MLFLOW_HTTP_REQUEST_TIMEOUT to a larger value.',
      'DEADLINE_EXCEEDED',
      { cause: err },
    );
  }
  // Node's fetch says only 'fetch failed'; the reason (ECONNREFUSED, ...) is its cause.
  const cause = (err as { cause?: unknown }).cause;
  const reason = cause instanceof Error ? `${(err as Error).message}: ${cause.message}` : (err as Error).message;
  return new MlflowError(`API request to ${url} failed with exception ${reason}${tries}`, 'TEMPORARILY_UNAVAILABLE', { cause: err });
}

async function errorFromResponse(response: Response, endpoint: string, attempts: number): Promise<MlflowError> {
  const text = await response.text().catch(() => '');
  const retried = attempts > 1 ? ` after ${attempts} attempts (too many ${response.status} error responses)` : '';
  try {
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof parsed.error_code === 'string' && typeof parsed.message === 'string') {
      const code = KNOWN_CODES.has(parsed.error_code) ? (parsed.error_code as ErrorCode) : 'INTERNAL_ERROR';
      const suffix = retried === '' ? '' : ` (API request to endpoint ${endpoint} failed with error code ${response.status}${retried})`;
      return new MlflowError(`${parsed.message}${suffix}`, code);
    }
  } catch {
    // not MLflow's JSON error body: fall through to the generic message
  }
  const shown = text.length > 1000 ? `${text.slice(0, 1000)}...` : text;
  return new MlflowError(
    `API request to endpoint ${endpoint} failed with error code ${response.status} != 200${retried}. Response body: '${shown}'`,
    STATUS_CODES[response.status] ?? 'INTERNAL_ERROR',
  );
}

/** A call to MLflow's REST API 2.0: `endpoint` like 'mlflow/runs/get'; the JSON answer. */
export async function callEndpoint<T>(creds: HostCreds, endpoint: string, options: RequestOptions = {}): Promise<T> {
  const url = `${creds.host.replace(/\/+$/, '')}/api/2.0/${endpoint}`;
  const response = await httpRequest(creds, url, options);
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    const code = isRequestTimeout(err) ? 'DEADLINE_EXCEEDED' : 'TEMPORARILY_UNAVAILABLE';
    throw new MlflowError(`Reading the answer of ${endpoint} from the MLflow server failed: ${(err as Error).message}`, code, { cause: err });
  }
  if (text.trim() === '') return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new MlflowError(`The MLflow server answered ${endpoint} with a body that is not JSON`, 'INTERNAL_ERROR', { cause: err });
  }
}

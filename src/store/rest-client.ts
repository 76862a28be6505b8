import { MlflowError, type ErrorCode } from '../errors.js';
import { VERSION } from '../version.js';

/** An MLflow server and the credentials to reach it (MLflow's MlflowHostCreds). */
export interface HostCreds {
  /** base URL, e.g. http://localhost:5000 (a path prefix is kept) */
  host: string;
  token?: string;
  username?: string;
  password?: string;
}

/** Credentials as MLflow reads them: MLFLOW_TRACKING_TOKEN (Bearer), else USERNAME/PASSWORD (Basic). */
export function hostCredsFromEnv(host: string, env: NodeJS.ProcessEnv = process.env): HostCreds {
  return {
    host,
    token: env.MLFLOW_TRACKING_TOKEN || undefined,
    username: env.MLFLOW_TRACKING_USERNAME || undefined,
    password: env.MLFLOW_TRACKING_PASSWORD || undefined,
  };
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

/** MLFLOW_HTTP_REQUEST_TIMEOUT (seconds), 120 by default as in MLflow. */
function timeoutMs(): number {
  const seconds = Number(process.env.MLFLOW_HTTP_REQUEST_TIMEOUT ?? 120);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 120_000;
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | undefined>;
  json?: unknown;
  body?: Uint8Array;
}

/**
 * One HTTP request to `url` with MLflow's auth headers; a non-2xx answer becomes an MlflowError
 * carrying the server's error_code, or MLflow's "API request ... failed" message when the body
 * is not MLflow JSON.
 */
export async function httpRequest(creds: HostCreds, url: string, options: RequestOptions = {}): Promise<Response> {
  const target = new URL(url);
  for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) target.searchParams.set(k, v);
  const headers: Record<string, string> = { 'User-Agent': `mlflow-ts/${VERSION}` };
  if (creds.token !== undefined) headers.Authorization = `Bearer ${creds.token}`;
  else if (creds.username !== undefined && creds.password !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  }
  let body: string | Uint8Array | undefined = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  let response: Response;
  try {
    response = await fetch(target, { method: options.method ?? 'GET', headers, body, signal: AbortSignal.timeout(timeoutMs()) });
  } catch (err) {
    throw new MlflowError(`API request to ${target.origin}${target.pathname} failed with exception ${(err as Error).message}`, 'TEMPORARILY_UNAVAILABLE', { cause: err });
  }
  if (!response.ok) throw await errorFromResponse(response, target.pathname);
  return response;
}

async function errorFromResponse(response: Response, endpoint: string): Promise<MlflowError> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof parsed.error_code === 'string' && typeof parsed.message === 'string') {
      const code = KNOWN_CODES.has(parsed.error_code) ? (parsed.error_code as ErrorCode) : 'INTERNAL_ERROR';
      return new MlflowError(parsed.message, code);
    }
  } catch {
    // not MLflow's JSON error body: fall through to the generic message
  }
  const shown = text.length > 1000 ? `${text.slice(0, 1000)}...` : text;
  return new MlflowError(
    `API request to endpoint ${endpoint} failed with error code ${response.status} != 200. Response body: '${shown}'`,
    STATUS_CODES[response.status] ?? 'INTERNAL_ERROR',
  );
}

/** A call to MLflow's REST API 2.0: `endpoint` like 'mlflow/runs/get'; the JSON answer. */
export async function callEndpoint<T>(creds: HostCreds, endpoint: string, options: RequestOptions = {}): Promise<T> {
  const url = `${creds.host.replace(/\/+$/, '')}/api/2.0/${endpoint}`;
  const response = await httpRequest(creds, url, options);
  const text = await response.text();
  if (text.trim() === '') return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new MlflowError(`The MLflow server answered ${endpoint} with a body that is not JSON`, 'INTERNAL_ERROR', { cause: err });
  }
}

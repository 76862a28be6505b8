import { MlflowError } from '../errors.js';

/**
 * How HTTP requests to an MLflow server are retried, as MLflow 2.22's client does
 * (mlflow/utils/rest_utils.py + request_utils.py on top of urllib3's Retry): transient statuses
 * and connection failures are retried with exponential backoff, every method included.
 */
export interface RetryPolicy {
  /** retries after the first attempt: MLFLOW_HTTP_REQUEST_MAX_RETRIES, 7 */
  maxRetries: number;
  /** seconds: MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR, 2 */
  backoffFactor: number;
  /** seconds of random extra wait: MLFLOW_HTTP_REQUEST_BACKOFF_JITTER, 1.0 */
  backoffJitter: number;
  /** seconds without an answer (or without body data) before an attempt fails: MLFLOW_HTTP_REQUEST_TIMEOUT, 120 */
  timeoutSeconds: number;
  /** MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER, true */
  respectRetryAfter: boolean;
  /** waits between attempts; tests replace it so they never sleep */
  sleep: (ms: number) => Promise<void>;
  /** in [0, 1), for the jitter */
  random: () => number;
}

/** MLflow's _TRANSIENT_FAILURE_RESPONSE_CODES. */
export const RETRY_STATUS_CODES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Statuses whose Retry-After header urllib3 honors (Retry.RETRY_AFTER_STATUS_CODES). */
const RETRY_AFTER_STATUS_CODES: ReadonlySet<number> = new Set([413, 429, 503]);

/**
 * urllib3's cap on one backoff wait. A Retry-After longer than this is cut to it too, so that a
 * server cannot park the client for hours.
 */
export const MAX_WAIT_SECONDS = 120;

function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new MlflowError(`Failed to convert '${raw}' to ${integer ? 'int' : 'float'} for ${name}`, 'INVALID_PARAMETER_VALUE');
  }
  return value;
}

/** An MLflow boolean variable: true/false/1/0, any case; anything else refused naming it. */
export function envBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const lowered = raw.toLowerCase();
  if (!['true', 'false', '1', '0'].includes(lowered)) {
    throw new MlflowError(`${name} value must be one of ['true', 'false', '1', '0'] (case-insensitive), but got ${raw}`, 'INVALID_PARAMETER_VALUE');
  }
  return lowered === 'true' || lowered === '1';
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The policy the MLFLOW_HTTP_* variables select, checked against MLflow's limits. */
export function retryPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const maxRetries = envNumber(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES', 7, true);
  const backoffFactor = envNumber(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR', 2, true);
  const retriesLimit = envNumber(env, '_MLFLOW_HTTP_REQUEST_MAX_RETRIES_LIMIT', 10, true);
  const factorLimit = envNumber(env, '_MLFLOW_HTTP_REQUEST_MAX_BACKOFF_FACTOR_LIMIT', 120, true);
  if (maxRetries < 0) {
    throw new MlflowError(`The max_retries value must be either 0 a positive integer. Got ${maxRetries}`, 'INVALID_PARAMETER_VALUE');
  }
  if (maxRetries >= retriesLimit) {
    throw new MlflowError(
      `The configured max_retries value (${maxRetries}) is in excess of the maximum allowable retries (${retriesLimit})`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  if (backoffFactor < 0) {
    throw new MlflowError(`The backoff_factor value must be either 0 a positive integer. Got ${backoffFactor}`, 'INVALID_PARAMETER_VALUE');
  }
  if (backoffFactor >= factorLimit) {
    throw new MlflowError(
      `The configured backoff_factor value (${backoffFactor}) is in excess of the maximum allowable backoff_factor limit (${factorLimit})`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  const backoffJitter = envNumber(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_JITTER', 1.0, false);
  const timeoutSeconds = envNumber(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT', 120, true);
  if (backoffJitter < 0) throw new MlflowError(`MLFLOW_HTTP_REQUEST_BACKOFF_JITTER must not be negative, got ${backoffJitter}`, 'INVALID_PARAMETER_VALUE');
  if (timeoutSeconds <= 0) throw new MlflowError(`MLFLOW_HTTP_REQUEST_TIMEOUT must be positive, got ${timeoutSeconds}`, 'INVALID_PARAMETER_VALUE');
  return {
    maxRetries,
    backoffFactor,
    backoffJitter,
    timeoutSeconds,
    respectRetryAfter: envBoolean(env, 'MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER', true),
    sleep: realSleep,
    random: Math.random,
  };
}

/**
 * The wait before retry number `retry` (1-based), as urllib3 computes it: none before the first
 * retry, then factor * 2^(retry-1) seconds plus up to `jitter` seconds, at most 120 s.
 */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  if (retry <= 1) return 0;
  const seconds = policy.backoffFactor * 2 ** (retry - 1) + (policy.backoffJitter > 0 ? policy.random() * policy.backoffJitter : 0);
  return Math.round(Math.min(MAX_WAIT_SECONDS, seconds) * 1000);
}

/** Whether an answer with this status (and headers) is worth another attempt. */
export function isRetryableStatus(policy: RetryPolicy, status: number, headers: Headers): boolean {
  if (RETRY_STATUS_CODES.has(status)) return true;
  return policy.respectRetryAfter && RETRY_AFTER_STATUS_CODES.has(status) && headers.has('retry-after');
}

/**
 * The wait a Retry-After header asks for (delta-seconds or an HTTP date), capped at 120 s;
 * undefined when it is absent, not honored for this status, unparsable or zero (then the
 * backoff applies, as in urllib3).
 */
export function retryAfterMs(policy: RetryPolicy, status: number, headers: Headers, now: number = Date.now()): number | undefined {
  const raw = headers.get('retry-after')?.trim();
  if (!policy.respectRetryAfter || !RETRY_AFTER_STATUS_CODES.has(status) || raw === undefined || raw === '') return undefined;
  let seconds: number;
  if (/^\d+$/.test(raw)) seconds = Number(raw);
  else {
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return undefined;
    seconds = Math.max(0, (at - now) / 1000);
  }
  return seconds > 0 ? Math.round(Math.min(MAX_WAIT_SECONDS, seconds) * 1000) : undefined;
}

import { createSign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { httpRequest } from './rest-client.js';

/**
 * OAuth access tokens for Google Cloud Storage from Application Default Credentials, the way
 * MLflow's GCSArtifactRepository gets them through google-auth: the key file that
 * GOOGLE_APPLICATION_CREDENTIALS names, else gcloud's application_default_credentials.json.
 * Service-account keys are exchanged with a signed JWT (RFC 7523); authorized-user files with
 * their refresh token. The GCE/GKE metadata server is not consulted.
 */

const SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** a token is renewed this long before it expires */
const EARLY_RENEWAL_MS = 5 * 60 * 1000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

const cache = new Map<string, CachedToken>();

/** The credentials file ADC would use, or undefined when there is none. */
export function adcFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.GOOGLE_APPLICATION_CREDENTIALS) return env.GOOGLE_APPLICATION_CREDENTIALS;
  const configDir = env.CLOUDSDK_CONFIG || path.join(os.homedir(), '.config', 'gcloud');
  const wellKnown = path.join(configDir, 'application_default_credentials.json');
  return existsSync(wellKnown) ? wellKnown : undefined;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function field(creds: Record<string, unknown>, name: string, file: string): string {
  const value = creds[name];
  if (typeof value !== 'string' || value === '') {
    throw new MlflowError(`Google credentials file '${file}' has no '${name}'`, 'INVALID_PARAMETER_VALUE');
  }
  return value;
}

/** The token request a credentials file makes: its endpoint and form fields. */
function tokenRequest(creds: Record<string, unknown>, file: string, nowSeconds: number): { uri: string; form: Record<string, string> } {
  const tokenUri = typeof creds.token_uri === 'string' && creds.token_uri !== '' ? creds.token_uri : GOOGLE_TOKEN_URI;
  if (creds.type === 'service_account') {
    const header = { alg: 'RS256', typ: 'JWT', ...(typeof creds.private_key_id === 'string' ? { kid: creds.private_key_id } : {}) };
    const claims = { iss: field(creds, 'client_email', file), scope: SCOPE, aud: tokenUri, iat: nowSeconds, exp: nowSeconds + 3600 };
    const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    let signature: string;
    try {
      signature = createSign('RSA-SHA256').update(unsigned).sign(field(creds, 'private_key', file), 'base64url');
    } catch (err) {
      throw new MlflowError(`The private_key of Google credentials file '${file}' is not a usable RSA key: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: err });
    }
    return { uri: tokenUri, form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${unsigned}.${signature}` } };
  }
  if (creds.type === 'authorized_user') {
    return {
      uri: tokenUri,
      form: {
        grant_type: 'refresh_token',
        client_id: field(creds, 'client_id', file),
        client_secret: field(creds, 'client_secret', file),
        refresh_token: field(creds, 'refresh_token', file),
      },
    };
  }
  throw new MlflowError(
    `Google credentials file '${file}' has type ${JSON.stringify(creds.type)}; mlflow-ts reads 'service_account' and 'authorized_user' files`,
    'NOT_IMPLEMENTED',
  );
}

/** A bearer token for GCS, cached per credentials file until shortly before it expires. */
export async function gcsAccessToken(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = adcFile(env);
  if (file === undefined) {
    throw new MlflowError(
      `No Google Cloud credentials to read ${uri}: set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, ` +
        'or run `gcloud auth application-default login` (the GCE metadata server is not consulted)',
      'UNAUTHENTICATED',
    );
  }
  const cached = cache.get(file);
  if (cached !== undefined && cached.expiresAt - EARLY_RENEWAL_MS > Date.now()) return cached.token;
  let creds: Record<string, unknown>;
  try {
    creds = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new MlflowError(`Cannot read Google credentials file '${file}': ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: err });
  }
  if (creds === null || typeof creds !== 'object') throw new MlflowError(`Google credentials file '${file}' is not a JSON object`, 'INVALID_PARAMETER_VALUE');
  const { uri: tokenUri, form } = tokenRequest(creds, file, Math.floor(Date.now() / 1000));
  const response = await httpRequest({ host: new URL(tokenUri).origin }, tokenUri, {
    method: 'POST',
    body: new URLSearchParams(form).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    returnStatuses: [400, 401, 403],
  });
  const answer = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
  if (!response.ok || typeof answer.access_token !== 'string') {
    const reason = [answer.error, answer.error_description].filter((x) => typeof x === 'string').join(': ') || `status ${response.status}`;
    throw new MlflowError(`Google refused the credentials in '${file}' (${tokenUri}): ${reason}`, 'UNAUTHENTICATED');
  }
  const seconds = typeof answer.expires_in === 'number' ? answer.expires_in : 3600;
  cache.set(file, { token: answer.access_token, expiresAt: Date.now() + seconds * 1000 });
  return answer.access_token;
}

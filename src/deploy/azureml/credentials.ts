import { MlflowError } from '../../errors.js';

/** Returns a bearer token for Azure Resource Manager. */
export type TokenProvider = () => Promise<string>;

export const MANAGEMENT_SCOPE = 'https://management.azure.com/.default';

interface AzureIdentity {
  DefaultAzureCredential: new () => { getToken(scope: string): Promise<{ token: string; expiresOnTimestamp: number } | null> };
}

/**
 * The standard chain: a service principal from AZURE_TENANT_ID / AZURE_CLIENT_ID /
 * AZURE_CLIENT_SECRET (token from AZURE_AUTHORITY_HOST, default login.microsoftonline.com), else
 * @azure/identity's DefaultAzureCredential when that package is installed (managed identity,
 * Azure CLI login, workload identity...).
 */
export function defaultTokenProvider(env: NodeJS.ProcessEnv = process.env, scope = MANAGEMENT_SCOPE): TokenProvider {
  let cached: { token: string; expiresAt: number } | undefined;
  return async () => {
    // Refreshed five minutes early: a deployment waits long enough for a token to expire.
    if (cached && Date.now() < cached.expiresAt - 300_000) return cached.token;
    const { AZURE_TENANT_ID: tenant, AZURE_CLIENT_ID: client, AZURE_CLIENT_SECRET: secret } = env;
    if (tenant && client && secret) {
      cached = await clientSecretToken(tenant, client, secret, env.AZURE_AUTHORITY_HOST, scope);
      return cached.token;
    }
    let identity: AzureIdentity;
    try {
      identity = (await import('@azure/identity' as string)) as AzureIdentity;
    } catch {
      throw new MlflowError(
        'No Azure credentials: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or install @azure/identity for DefaultAzureCredential',
        'UNAUTHENTICATED',
      );
    }
    const token = await new identity.DefaultAzureCredential().getToken(scope);
    if (!token) throw new MlflowError('DefaultAzureCredential returned no token', 'UNAUTHENTICATED');
    cached = { token: token.token, expiresAt: token.expiresOnTimestamp };
    return token.token;
  };
}

async function clientSecretToken(
  tenant: string,
  clientId: string,
  secret: string,
  authority: string | undefined,
  scope: string,
): Promise<{ token: string; expiresAt: number }> {
  const url = `${(authority ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope }).toString(),
  }).catch((e: unknown) => {
    throw new MlflowError(`Cannot reach the Azure token endpoint ${url}: ${(e as Error).message}`, 'UNAUTHENTICATED');
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error_description?: string };
  if (!res.ok || !body.access_token) {
    throw new MlflowError(`Azure token request for client ${clientId} failed (${res.status}): ${body.error_description ?? 'no token'}`, 'UNAUTHENTICATED');
  }
  return { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 };
}

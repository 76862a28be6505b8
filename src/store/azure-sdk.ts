import type * as AzureIdentity from '@azure/identity';
import type * as AzureBlob from '@azure/storage-blob';
import { MlflowError, type ErrorCode } from '../errors.js';
import { importOptional } from '../optional-packages.js';

/**
 * Microsoft's SDKs for Azure Blob Storage and Entra ID credentials (the optional package group
 * 'azure'), loaded on first use so that they never cost start-up, and their failures as
 * MlflowErrors. Both wasbs:// artifacts and Azure ML deployments go through them.
 */

export type BlobSdk = typeof AzureBlob;

export function loadBlobSdk(): Promise<BlobSdk> {
  return importOptional(() => import('@azure/storage-blob'));
}

let credential: Promise<AzureIdentity.DefaultAzureCredential> | undefined;

/**
 * One DefaultAzureCredential per process, as MLflow's azure-identity makes for it: environment
 * (AZURE_TENANT_ID, AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or a certificate; AZURE_AUTHORITY_HOST),
 * workload identity, managed identity (IMDS, App Service, ...), Azure CLI, azd and PowerShell logins.
 * It caches and renews its tokens.
 */
export function defaultAzureCredential(): Promise<AzureIdentity.DefaultAzureCredential> {
  credential ??= importOptional(() => import('@azure/identity')).then((sdk) => new sdk.DefaultAzureCredential());
  return credential;
}

/** A token for `scope` from DefaultAzureCredential; none is an UNAUTHENTICATED error naming what was tried. */
export async function defaultAzureToken(scope: string): Promise<string> {
  const cred = await defaultAzureCredential();
  let token: AzureIdentity.AccessToken | null;
  try {
    token = await cred.getToken(scope);
  } catch (e) {
    throw azureFailure(`Getting an Azure token for ${scope}`, e);
  }
  if (!token) throw new MlflowError(`DefaultAzureCredential returned no token for ${scope}`, 'UNAUTHENTICATED');
  return token.token;
}

/** The service's error code (e.g. AuthorizationPermissionMismatch, BlobNotFound) or the SDK's name for it. */
function serviceCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; details?: { errorCode?: unknown } } | null;
  const code = err?.details?.errorCode ?? err?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * An Azure SDK failure as an MlflowError: `what` names the operation and its object (e.g.
 * "Azure Storage PUT https://.../blob"); MlflowErrors pass through.
 */
export function azureFailure(what: string, e: unknown): MlflowError {
  if (e instanceof MlflowError) return e;
  const name = (e as { name?: unknown } | null)?.name;
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'CredentialUnavailableError' || name === 'AuthenticationError' || name === 'AggregateAuthenticationError') {
    return new MlflowError(`${what} failed: no usable Azure credentials (${message})`, 'UNAUTHENTICATED', { cause: e });
  }
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  const code = serviceCode(e);
  const byStatus: Record<number, ErrorCode> = { 400: 'INVALID_PARAMETER_VALUE', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'RESOURCE_DOES_NOT_EXIST', 409: 'RESOURCE_ALREADY_EXISTS' };
  const errorCode = typeof status === 'number' ? (byStatus[status] ?? 'INTERNAL_ERROR') : 'INTERNAL_ERROR';
  const detail = typeof status === 'number' ? ` (${status})${code ? `: ${code}` : ''}` : `: ${message}`;
  return new MlflowError(`${what} failed${detail}`, errorCode, { cause: e });
}

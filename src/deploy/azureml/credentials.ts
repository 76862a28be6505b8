import { defaultAzureToken } from '../../store/azure-sdk.js';

/** Returns a bearer token for Azure Resource Manager (or, with another scope, Azure Storage). */
export type TokenProvider = () => Promise<string>;

export const MANAGEMENT_SCOPE = 'https://management.azure.com/.default';

/**
 * Tokens for `scope` from @azure/identity's DefaultAzureCredential, the chain MLflow's Azure
 * clients use: a service principal from AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET
 * (AZURE_AUTHORITY_HOST for other clouds), workload identity, managed identity, Azure CLI login...
 * The credential caches tokens and renews them before they expire.
 */
export function defaultTokenProvider(scope = MANAGEMENT_SCOPE): TokenProvider {
  return () => defaultAzureToken(scope);
}

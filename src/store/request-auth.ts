import { MlflowError } from '../errors.js';

/**
 * MLflow's RequestAuthProvider (entry point `mlflow.request_auth_provider`): a named plugin that
 * signs each tracking-server request, chosen with MLFLOW_TRACKING_AUTH. Here a provider gives the
 * headers to add to a request.
 */
export type RequestAuthProvider = (request: { method: string; url: string }) => Record<string, string> | Promise<Record<string, string>>;

const providers = new Map<string, RequestAuthProvider>();

export function registerRequestAuthProvider(name: string, provider: RequestAuthProvider): void {
  providers.set(name, provider);
}

/** The headers of the provider MLFLOW_TRACKING_AUTH names; an unknown name is refused, naming the known ones. */
export async function requestAuthHeaders(name: string, request: { method: string; url: string }): Promise<Record<string, string>> {
  const provider = providers.get(name);
  if (!provider) {
    const known = [...providers.keys()];
    throw new MlflowError(
      `MLFLOW_TRACKING_AUTH='${name}' names no registered request auth provider (${known.length > 0 ? `registered: ${known.join(', ')}` : 'none is registered'}; ` +
        "MLflow's Python plugins do not apply here: register one with registerRequestAuthProvider, or use MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN)",
      'INVALID_PARAMETER_VALUE',
    );
  }
  return provider(request);
}

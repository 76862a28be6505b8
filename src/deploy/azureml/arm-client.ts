import { MlflowError, type ErrorCode } from '../../errors.js';
import type { TokenProvider } from './credentials.js';

/** Azure ML's REST API version for workspaces' online endpoints, environments and models. */
export const API_VERSION = '2024-04-01';
export const MANAGEMENT_URL = 'https://management.azure.com';

export interface Workspace {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

export type ArmResource = { id?: string; name?: string; location?: string; properties?: Record<string, unknown> } & Record<string, unknown>;

/** A small Azure Resource Manager client for one Azure ML workspace. */
export class ArmClient {
  readonly workspacePath: string;

  constructor(
    readonly ws: Workspace,
    private readonly getToken: TokenProvider,
    private readonly baseUrl = MANAGEMENT_URL,
  ) {
    this.workspacePath =
      `/subscriptions/${encodeURIComponent(ws.subscriptionId)}/resourceGroups/${encodeURIComponent(ws.resourceGroup)}` +
      `/providers/Microsoft.MachineLearningServices/workspaces/${encodeURIComponent(ws.workspace)}`;
  }

  /**
   * `path` below the workspace, e.g. `/onlineEndpoints/my-endpoint` or `/datastores?isDefault=true`.
   * Undefined for a 404 when `allow404`.
   */
  async request(method: string, path: string, body?: unknown, allow404 = false): Promise<ArmResource | undefined> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}${this.workspacePath}${path}${path.includes('?') ? '&' : '?'}api-version=${API_VERSION}`;
    const token = await this.getToken();
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch((e: unknown) => {
      throw new MlflowError(`${method} ${url} failed: ${(e as Error).message}`, 'TEMPORARILY_UNAVAILABLE');
    });
    if (res.status === 404 && allow404) return undefined;
    const text = await res.text();
    if (!res.ok) {
      const detail = armErrorMessage(text);
      throw new MlflowError(`Azure ML ${method} ${path} failed (${res.status})${detail ? `: ${detail}` : ''}`, statusCode(res.status));
    }
    return text === '' ? {} : (JSON.parse(text) as ArmResource);
  }

  /** The ARM id of a resource below the workspace. */
  resourceId(path: string): string {
    return `${this.workspacePath}${path}`;
  }
}

function armErrorMessage(text: string): string | undefined {
  try {
    const doc = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return doc.error ? `${doc.error.code ?? 'Error'}: ${doc.error.message ?? ''}` : undefined;
  } catch {
    return text.slice(0, 200) || undefined;
  }
}

function statusCode(status: number): ErrorCode {
  if (status === 400) return 'INVALID_PARAMETER_VALUE';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'RESOURCE_DOES_NOT_EXIST';
  if (status === 409) return 'RESOURCE_ALREADY_EXISTS';
  if (status === 429) return 'REQUEST_LIMIT_EXCEEDED';
  return 'INTERNAL_ERROR';
}

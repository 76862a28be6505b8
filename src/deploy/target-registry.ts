import { MlflowError } from '../errors.js';

/** What a deployment target answers about a deployment: MLflow's dicts, field names as the target's API has them. */
export type DeploymentInfo = Record<string, unknown>;

/** `-C key=value` pairs of `mlflow-ts deployments`, as MLflow passes them to a target plugin. */
export type DeploymentConfig = Record<string, string>;

/**
 * One deployment target's client, as MLflow's BaseDeploymentClient: the same verbs for every
 * target; `config` holds the target's own settings.
 */
export interface DeploymentClient {
  createDeployment(name: string, modelUri: string, options: { flavor?: string; config: DeploymentConfig; endpoint?: string }): Promise<DeploymentInfo>;
  updateDeployment(name: string, options: { modelUri?: string; flavor?: string; config: DeploymentConfig; endpoint?: string }): Promise<DeploymentInfo>;
  deleteDeployment(name: string, options: { config: DeploymentConfig; endpoint?: string }): Promise<void>;
  listDeployments(endpoint?: string): Promise<DeploymentInfo[]>;
  getDeployment(name: string, endpoint?: string): Promise<DeploymentInfo>;
  /** `body` is a scoring request as MLflow's server takes it (JSON text). */
  predict(name: string, body: string, endpoint?: string): Promise<unknown>;
  /** Optional, as in MLflow's BaseDeploymentClient; a target without them refuses the command by name. */
  explain?(name: string, body: string, endpoint?: string): Promise<unknown>;
  createEndpoint?(endpoint: string, config: DeploymentConfig): Promise<DeploymentInfo>;
  updateEndpoint?(endpoint: string, config: DeploymentConfig): Promise<void>;
  deleteEndpoint?(endpoint: string): Promise<void>;
  listEndpoints?(): Promise<DeploymentInfo[]>;
  getEndpoint?(endpoint: string): Promise<DeploymentInfo>;
}

/** What MLflow's BaseDeploymentClient answers when a target has no explain. */
export const NO_EXPLAIN = 'Computing model explanations is not yet supported for this deployment target';

/** The client's optional method, or an error naming the target and the command it cannot run. */
export function clientMethod<K extends 'explain' | 'createEndpoint' | 'updateEndpoint' | 'deleteEndpoint' | 'listEndpoints' | 'getEndpoint'>(
  client: DeploymentClient,
  method: K,
  targetUri: string,
  command: string,
): NonNullable<DeploymentClient[K]> {
  const fn = client[method];
  if (fn === undefined) {
    const message = method === 'explain' ? NO_EXPLAIN : `The '${targetName(targetUri)}' deployment target has no endpoints of its own: \`deployments ${command}\` is not supported there`;
    throw new MlflowError(message, 'NOT_IMPLEMENTED');
  }
  return fn.bind(client) as NonNullable<DeploymentClient[K]>;
}

export interface DeploymentTarget {
  /** The scheme of a target URI: `sagemaker` in `sagemaker:/us-east-1`. */
  name: string;
  /** `deployments help -t <name>`. */
  help: string;
  /** `targetUri` is the whole URI: `sagemaker` or `sagemaker:/us-east-1`. */
  createClient(targetUri: string): DeploymentClient;
  /** Serves the model locally the way the target would run it. */
  runLocal(name: string, modelUri: string, options: { flavor?: string; config: DeploymentConfig }): Promise<void>;
}

const targets = new Map<string, DeploymentTarget>();

/** Registers a deployment target under its URI scheme; built-in and third-party alike. */
export function registerDeploymentTarget(target: DeploymentTarget, options: { replace?: boolean } = {}): void {
  if (targets.has(target.name) && !options.replace) {
    throw new MlflowError(`A deployment target named '${target.name}' is already registered`, 'RESOURCE_ALREADY_EXISTS');
  }
  targets.set(target.name, target);
}

export function deploymentTargets(): DeploymentTarget[] {
  return [...targets.values()];
}

/** The target of a target URI (`name` or `name:/path`), or a clear error naming the registered ones. */
export function getDeploymentTarget(targetUri: string): DeploymentTarget {
  const name = targetName(targetUri);
  const target = targets.get(name);
  if (!target) {
    const known = [...targets.keys()].join(', ') || 'none';
    throw new MlflowError(`No deployment target '${name}' (from '${targetUri}'); registered targets: ${known}`, 'INVALID_PARAMETER_VALUE');
  }
  return target;
}

export function targetName(targetUri: string): string {
  const i = targetUri.indexOf(':');
  return i < 0 ? targetUri : targetUri.slice(0, i);
}

/** The part after `name:/` (e.g. the region in `sagemaker:/us-east-1`), split on '/'. */
export function targetPath(targetUri: string): string[] {
  const i = targetUri.indexOf(':');
  if (i < 0) return [];
  return targetUri.slice(i + 1).replace(/^\/+/, '').split('/').filter((p) => p !== '');
}

/** Parses `-C key=value` flags; a flag without '=', or a key given twice (MLflow's "Repeated parameter"), is an error naming it. */
export function parseConfigPairs(pairs: string[]): DeploymentConfig {
  const config: DeploymentConfig = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new MlflowError(`Invalid config '${pair}': expected key=value`, 'INVALID_PARAMETER_VALUE');
    const key = pair.slice(0, eq);
    if (Object.hasOwn(config, key)) throw new MlflowError(`Repeated parameter: '${key}'`, 'INVALID_PARAMETER_VALUE');
    config[key] = pair.slice(eq + 1);
  }
  return config;
}

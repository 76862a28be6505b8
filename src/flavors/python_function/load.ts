import os from 'node:os';
import { MlflowError } from '../../errors.js';
import { warnOnStderr } from '../../warnings.js';
import type { FlavorModel, LoadContext, Params, PredictInput, PredictOutput } from '../flavor.js';
import { preparePythonEnv, type PrepareEnvOptions } from './prepare-env.js';
import { WorkerPool } from './worker-pool.js';

/** Knobs of the bridge beyond LoadOptions (tests and embedders). */
export interface BridgeOptions extends PrepareEnvOptions {
  /** Per-request limit; default MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT seconds (MLflow's), else 60 s. */
  requestTimeoutMs?: number;
  /** Limit for one worker to load the model; default 10 minutes. */
  loadTimeoutMs?: number;
  onStderr?: (line: string, pid: number | undefined) => void;
}

export interface PythonBridgeModel extends FlavorModel {
  /** pids of the live Python workers. */
  readonly pids: number[];
  workerRestarts(): number;
  close(): Promise<void>;
}

/**
 * MLflow's _get_overridden_pyfunc_model_config: MLFLOW_PYFUNC_INFERENCE_CONFIG (JSON), then the
 * load-time model_config, may change only keys the saved `config` already has; others are ignored
 * with a warning, and all of them when the model saved none.
 */
export function overriddenModelConfig(
  saved: Record<string, unknown> | undefined,
  load: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = warnOnStderr,
): Record<string, unknown> | undefined {
  const fromEnv = env.MLFLOW_PYFUNC_INFERENCE_CONFIG;
  let overrides: Record<string, unknown> = {};
  if (fromEnv) {
    try {
      overrides = { ...(JSON.parse(fromEnv) as Record<string, unknown>) };
    } catch (e) {
      throw new MlflowError(`MLFLOW_PYFUNC_INFERENCE_CONFIG is not JSON: ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE');
    }
  }
  Object.assign(overrides, load);
  const keys = Object.keys(overrides);
  if (keys.length === 0) return saved;
  if (!saved || Object.keys(saved).length === 0) {
    warn(`WARNING: Argument(s) ${keys.join(', ')} were ignored since the model's \`\`pyfunc\`\` flavor doesn't accept model configuration.`);
    return undefined;
  }
  const ignored = keys.filter((k) => !(k in saved));
  if (ignored.length > 0) {
    warn(`WARNING: Argument(s) ${ignored.join(', ')} were ignored since they are not valid keys in the corresponding section of the \`\`pyfunc\`\` flavor. Valid keys are ${Object.keys(saved).join(', ')}`);
  }
  return { ...saved, ...Object.fromEntries(keys.filter((k) => k in saved).map((k) => [k, overrides[k]])) };
}

function defaultRequestTimeoutMs(): number {
  const s = Number(process.env.MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 60_000;
}

/**
 * Loads a python_function model in Python workers: builds or finds the environment, starts the
 * pool and waits until every worker has loaded the model, so load errors surface here.
 */
export async function loadPythonFunction(ctx: LoadContext, bridge: BridgeOptions = {}): Promise<PythonBridgeModel> {
  const env = await preparePythonEnv(ctx.modelDir, ctx.conf, ctx.options.envManager ?? 'local', {
    ...bridge,
    extraRequirements: ctx.options.extraPipRequirements,
  });
  const saved = ctx.conf.config && typeof ctx.conf.config === 'object' ? (ctx.conf.config as Record<string, unknown>) : undefined;
  const config = overriddenModelConfig(saved, ctx.options.modelConfig);
  const pool = await WorkerPool.start({
    python: env.python,
    modelDir: ctx.modelDir,
    flavors: ctx.model.flavors,
    mlflowVersion: ctx.model.mlflowVersion,
    modelConfig: config,
    size: Math.max(1, Math.floor(ctx.options.workers ?? os.availableParallelism())),
    requestTimeoutMs: bridge.requestTimeoutMs ?? ctx.options.requestTimeoutMs ?? defaultRequestTimeoutMs(),
    loadTimeoutMs: bridge.loadTimeoutMs ?? 600_000,
    onStderr: bridge.onStderr,
  });
  return {
    get pids() {
      return pool.pids;
    },
    workerRestarts: () => pool.restarts,
    predict: (input: PredictInput, params?: Params, options?: { signal?: AbortSignal }): Promise<PredictOutput> => pool.predict(input, params, options?.signal),
    close: () => pool.close(),
  };
}

import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { LoadOptions } from '../flavors/flavor.js';
import { loadPredictor } from '../pyfunc/index.js';
import { checkDeploymentFlavor } from './deployment-flavor.js';
import { createServeLogger } from './logger.js';
import { servingModelConfig, SERVING_MODEL_CONFIG_ENV } from './serving-model-config.js';
import { createScoringServer, type ScoringServerOptions } from './scoring-server.js';

export interface ServeModelOptions extends ScoringServerOptions, Pick<LoadOptions, 'runtime' | 'envManager' | 'extraPipRequirements'> {
  port?: number;
  host?: string;
  /** Processes sharing the port (node:cluster); 1 serves from this process. */
  workers?: number;
  /** Force one of the model's flavors, as loadPredictor's `flavor`. */
  flavor?: string;
}

/**
 * `mlflow-ts models serve`: loads the model and serves it until SIGTERM or SIGINT, after which
 * in-flight requests finish before the process exits. With `workers > 1` this process becomes a
 * node:cluster primary that forks that many copies of the current program, each serving the
 * model on the shared port, and restarts a worker that dies.
 */
export async function serveModel(modelUri: string, options: ServeModelOptions = {}): Promise<void> {
  const logger = options.logger ?? createServeLogger();
  const workers = options.workers ?? 1;
  if (workers > 1 && cluster.isPrimary) return runPrimary(workers, logger);

  const began = performance.now();
  const modelConfig = servingModelConfig();
  const predictor = await loadPredictor(modelUri, {
    runtime: options.runtime,
    envManager: options.envManager,
    extraPipRequirements: options.extraPipRequirements,
    flavor: options.flavor,
    modelConfig,
    requestTimeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000,
  });
  try {
    checkDeploymentFlavor(predictor.metadata);
  } catch (e) {
    await predictor.close();
    throw e;
  }
  if (modelConfig && predictor.flavor !== 'python_function') {
    logger.warn(`${SERVING_MODEL_CONFIG_ENV} is ignored: the model is scored by its ${predictor.flavor} flavor, which takes no model_config`);
  }
  const loadSeconds = (performance.now() - began) / 1000;
  const server = createScoringServer(predictor, { modelName: modelUri, loadSeconds, ...options, logger });
  await server.listen(options.port ?? 5000, options.host ?? '127.0.0.1');
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    server.close().then(
      () => exitAfterFlush(logger, 0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exitAfterFlush(logger, 1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function runPrimary(workers: number, logger: Logger): Promise<void> {
  let stopping = false;
  const started = new Set<number>();
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('listening', (worker) => started.add(worker.id));
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping && !started.has(worker.id)) {
      // It died before serving (a bad model URI, a port in use): restarting would loop forever.
      logger.error({ workerPid: worker.process.pid, code }, 'a worker failed to start; stopping');
      stop('SIGTERM');
      process.exitCode = 1;
    }
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('all workers stopped');
        exitAfterFlush(logger, process.exitCode === undefined ? 0 : Number(process.exitCode));
      }
      return;
    }
    logger.error({ workerPid: worker.process.pid, code, signal }, 'worker died; starting another');
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals): void => {
    stopping = true;
    logger.info({ signal, workers }, 'stopping workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return Promise.resolve();
}

/** The log is written asynchronously: let its last lines out before the process ends. */
function exitAfterFlush(logger: Logger, code: number): void {
  logger.flush(() => process.exit(code));
}

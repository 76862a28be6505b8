import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { LoadOptions } from '../flavors/flavor.js';
import { aggregateWorkerMetrics, joinWorkerMetrics } from './cluster-metrics.js';
import { checkDeploymentFlavor } from './deployment-flavor.js';
import { createServeLogger } from './logger.js';
import type { ServeMetrics } from './metrics.js';
import { ModelRepository, registryLoader } from './model-repository.js';
import { servingModelConfig, SERVING_MODEL_CONFIG_ENV } from './serving-model-config.js';
import { createScoringServer, type ScoringServerOptions } from './scoring-server.js';
import type { ServedModelConfig } from './serve-config.js';
import { servedModelName } from './served-model-name.js';

export interface ServeModelOptions extends ScoringServerOptions, Pick<LoadOptions, 'runtime' | 'envManager' | 'extraPipRequirements'> {
  port?: number;
  host?: string;
  /** Processes sharing the port (node:cluster); 1 serves from this process. */
  workers?: number;
  /** Force one of the model's flavors, as loadPredictor's `flavor`. */
  flavor?: string;
}

/**
 * `mlflow-ts models serve`: loads the model (or the models of a serve config) and serves it until
 * SIGTERM or SIGINT, after which in-flight requests finish before the process exits. With
 * `workers > 1` this process becomes a node:cluster primary that forks that many copies of the
 * current program, each serving on the shared port, and restarts a worker that dies.
 */
export async function serveModel(models: string | readonly ServedModelConfig[], options: ServeModelOptions = {}): Promise<void> {
  const logger = options.logger ?? createServeLogger();
  const workers = options.workers ?? 1;
  if (workers > 1 && cluster.isPrimary) return runPrimary(workers, logger);

  const configs = typeof models === 'string' ? [{ name: options.modelName ?? servedModelName(models).name, uri: models }] : models;
  const modelConfig = servingModelConfig();
  const repo = new ModelRepository(configs, registryLoader({
    runtime: options.runtime,
    envManager: options.envManager,
    extraPipRequirements: options.extraPipRequirements,
    flavor: options.flavor,
    modelConfig,
    requestTimeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000,
  }), logger);
  // A signal while the models load (which may take minutes) ends the process at once, exit 0, as
  // the worker does: nothing is served yet, and Python workers started so far see their stdin close.
  const whileLoading = (signal: string): void => {
    logger.info({ signal }, 'stopping while the model loads');
    exitAfterFlush(logger, 0);
  };
  process.once('SIGTERM', whileLoading);
  process.once('SIGINT', whileLoading);
  try {
    await repo.loadAll();
  } finally {
    process.off('SIGTERM', whileLoading);
    process.off('SIGINT', whileLoading);
  }
  for (const slot of repo.list()) {
    const predictor = slot.predictor;
    if (!predictor) continue;
    try {
      checkDeploymentFlavor(predictor.metadata);
    } catch (e) {
      await repo.close();
      throw e;
    }
    if (modelConfig && predictor.flavor !== 'python_function') {
      logger.warn(`${SERVING_MODEL_CONFIG_ENV} is ignored: model '${slot.name}' is scored by its ${predictor.flavor} flavor, which takes no model_config`);
    }
  }
  const metricsText = cluster.isWorker ? (m: ServeMetrics) => joinWorkerMetrics(() => m.registry) : undefined;
  const server = createScoringServer(repo, { ...options, logger, metricsText });
  repo.startReloading();
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
  aggregateWorkerMetrics();
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

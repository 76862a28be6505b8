import { Command, InvalidArgumentError, Option } from 'commander';
import { createServeLogger, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_SECONDS, serveModel } from '../serve/index.js';
import { envLoadOptions, envManagerOptions, type EnvFlags } from './env-options.js';
import { refusedOption } from './mlflow-options.js';

/** `models serve`: MLflow's options and the environment variables MLflow reads for them. */
export function registerModelsServe(parent: Command): void {
  parent.addCommand(makeServeCommand());
}

export function makeServeCommand(): Command {
  const cmd = new Command('serve')
    .description("Serve a model over HTTP with MLflow's scoring protocol (/ping, /health, /version, /invocations)")
    .helpOption('--help', 'display help for command')
    .requiredOption('-m, --model-uri <uri>', "URI of the model: a local path, file://, runs:/, models:/, ...")
    .addOption(new Option('-p, --port <port>', 'port to listen on').env('MLFLOW_PORT').default(5000).argParser(nonNegativeInt))
    .addOption(new Option('-h, --host <host>', 'network interface to bind').env('MLFLOW_HOST').default('127.0.0.1'))
    .addOption(
      new Option('-t, --timeout <seconds>', 'seconds a request may take before it gets a 504')
        .env('MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT')
        .default(DEFAULT_TIMEOUT_SECONDS)
        .argParser(nonNegativeInt),
    )
    .addOption(
      new Option('-w, --workers <n>', 'processes serving the model on the shared port')
        .env('MLFLOW_MODELS_WORKERS')
        .default(1)
        .argParser(nonNegativeInt),
    )
    .addOption(
      new Option('--runtime <runtime>', 'native: score in Node only, never running code from the model; python: the Python bridge; auto: native, else Python')
        .choices(['auto', 'native', 'python'])
        .env('MLFLOW_TS_RUNTIME')
        .default('auto'),
    )
    .addOption(
      new Option('--max-body-size <bytes>', 'largest request body accepted (larger ones get a 413)')
        .default(DEFAULT_MAX_BODY_BYTES)
        .argParser(nonNegativeInt),
    )
    .addOption(
      new Option('--log-level <level>', 'log level; info logs a line per request, warn only problems')
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
        .env('MLFLOW_TS_LOG_LEVEL')
        .default('info'),
    );
  envManagerOptions(cmd, true);
  refusedOption(cmd, '--enable-mlserver', 'serve with MLServer (v2 inference protocol)', "mlflow-ts serves MLflow's scoring protocol only, not MLServer's v2 inference protocol");
  return cmd.action(async (opts: ServeFlags) => {
      await serveModel(opts.modelUri, {
        logger: createServeLogger(opts.logLevel),
        port: opts.port,
        host: opts.host,
        timeoutSeconds: opts.timeout,
        workers: opts.workers,
        runtime: opts.runtime,
        ...envLoadOptions(opts),
        maxBodyBytes: opts.maxBodySize,
      });
    });
}

interface ServeFlags extends EnvFlags {
  modelUri: string;
  port: number;
  host: string;
  timeout: number;
  workers: number;
  runtime: 'auto' | 'native' | 'python';
  maxBodySize: number;
  logLevel: string;
}

/** Commander hands env values as strings too, so flags and env vars go through the same check. */
export function nonNegativeInt(value: string | number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a non-negative integer`);
  return n;
}

import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_SECONDS } from '../serve/defaults.js';
import type { ServedModelConfig } from '../serve/serve-config.js';
import { envLoadOptions, envManagerOptions, type EnvFlags } from './env-options.js';
import { ignoredOption } from './mlflow-options.js';

/** `models serve`: MLflow's options and the environment variables MLflow reads for them. */
export function registerModelsServe(parent: Command): void {
  parent.addCommand(makeServeCommand());
}

export function makeServeCommand(): Command {
  const cmd = new Command('serve')
    .description("Serve a model over HTTP with MLflow's scoring protocol (/ping, /health, /version, /invocations)")
    .helpOption('--help', 'display help for command')
    .option('-m, --model-uri <uri>', "URI of the model: a local path, file://, runs:/, models:/, ...; repeat as name=uri to serve several", collect)
    .option('--config <file>', 'a serve config (YAML) naming several models, with reload intervals and batching')
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
    )
    .addOption(new Option('--cors-origin <origin...>', "origins allowed to call from a browser (CORS), or '*'").env('MLFLOW_TS_CORS_ORIGIN').argParser(origins))
    .option('--model-name <name>', "the model's name in the V2 routes (/v2/models/{name}) and metrics; default: from the URI");
  envManagerOptions(cmd, true);
  ignoredOption(cmd, '--enable-mlserver', 'serve with MLServer (v2 inference protocol)', 'the Open Inference Protocol (V2) routes are always served here, beside MLflow\'s');
  return cmd.action(async (opts: ServeFlags, command: Command) => {
      const models = await modelsToServe(opts, command);
      // Loaded here, not at the top: every command's module is loaded to parse any command line.
      const [{ serveModel }, { createServeLogger }] = await Promise.all([import('../serve/serve-model.js'), import('../serve/logger.js')]);
      await serveModel(models, {
        logger: createServeLogger(opts.logLevel),
        port: opts.port,
        host: opts.host,
        timeoutSeconds: opts.timeout,
        workers: opts.workers,
        runtime: opts.runtime,
        ...envLoadOptions(opts),
        maxBodyBytes: opts.maxBodySize,
        corsOrigins: opts.corsOrigin,
        modelName: opts.modelName,
      });
    });
}

interface ServeFlags extends EnvFlags {
  modelUri?: string[];
  config?: string;
  port: number;
  host: string;
  timeout: number;
  workers: number;
  runtime: 'auto' | 'native' | 'python';
  maxBodySize: number;
  logLevel: string;
  corsOrigin?: string[];
  modelName?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * One `-m uri` is MLflow's single model; `-m name=uri` (repeatable) or `--config` name several.
 * A local path holding '=' is read as a path when it exists or starts with '.' or '/'.
 */
async function modelsToServe(opts: ServeFlags, cmd: Command): Promise<string | ServedModelConfig[]> {
  const given = opts.modelUri ?? [];
  if (opts.config !== undefined) {
    if (given.length > 0) cmd.error("error: give either --config or -m/--model-uri, not both", { exitCode: 2, code: 'commander.conflictingOption' });
    const { readServeConfig } = await import('../serve/serve-config.js');
    return [...(await readServeConfig(opts.config)).models];
  }
  if (given.length === 0) cmd.error("error: required option '-m, --model-uri <uri>' not specified", { exitCode: 2, code: 'commander.missingMandatoryOptionValue' });
  const named = given.map((v) => NAMED_URI.exec(v));
  if (given.length === 1 && (!named[0] || existsSync(given[0]))) return given[0];
  return given.map((v, i) => {
    const m = named[i];
    if (!m) return cmd.error(`error: with several models each -m is name=uri; '${v}' has no name`, { exitCode: 2, code: 'commander.invalidArgument' });
    return { name: m[1], uri: m[2] };
  });
}

const NAMED_URI = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,127})=(.+)$/;

/** Repeated flags add up; the environment variable takes a comma-separated list. */
function origins(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((o) => o.trim()).filter((o) => o !== '')];
}

/** Commander hands env values as strings too, so flags and env vars go through the same check. */
export function nonNegativeInt(value: string | number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a non-negative integer`);
  return n;
}

import { Command, InvalidArgumentError, Option } from 'commander';
import type { Params } from '../flavors/flavor.js';

/**
 * `worker --model <uri>`: the long-lived scoring process behind the Python package's spark_udf,
 * Ray and Dask helpers, speaking length-prefixed Arrow IPC on stdin/stdout (serve/worker.ts).
 */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Load a model once and score Arrow IPC batches framed on stdin, replying on stdout (for spark_udf, Ray, Dask)')
    .requiredOption('-m, --model <uri>', 'URI of the model: a local path, file://, runs:/, models:/, ...')
    .addOption(new Option('--runtime <runtime>', 'native, python or auto').choices(['auto', 'native', 'python']).default('auto'))
    .addOption(new Option('--env-manager <manager>', 'environment manager for the Python bridge').choices(['local', 'virtualenv', 'uv', 'conda']))
    .option('--params <json>', 'params passed to every predict (a JSON object), checked against the signature at start', parseParams)
    .action(async (opts: WorkerFlags) => {
      const { runWorker } = await import('../serve/worker.js');
      const code = await runWorker(opts.model, { runtime: opts.runtime, envManager: opts.envManager, params: opts.params });
      // The Python bridge's pool or a model's timers must not keep a finished worker alive.
      process.exit(code);
    });
}

interface WorkerFlags {
  model: string;
  runtime: 'auto' | 'native' | 'python';
  envManager?: 'local' | 'virtualenv' | 'uv' | 'conda';
  params?: Params;
}

function parseParams(text: string): Params {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('--params is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError('--params must be a JSON object');
  return value as Params;
}

import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { BatchInputFormat, BatchOutputFormat, BatchPredictOptions } from '../serve/batch-predict.js';
import { DEFAULT_BATCH_ROWS } from '../serve/defaults.js';
import { envLoadOptions, envManagerOptions, pipOverrideOption, type EnvFlags } from './env-options.js';
import { keyValuePair } from './mlflow-options.js';
import { nonNegativeInt } from './models-serve.js';

/**
 * `models predict`: MLflow's options (-m, -i, -o, -t, --env-manager, --install-mlflow, -r, --env)
 * plus table input and output formats, batch size and runtime. As MLflow, the output is
 * `{"predictions": ...}` JSON whatever -o is called; csv/parquet output only with --output-format.
 */
export function registerModelsPredict(parent: Command): void {
  parent.addCommand(makePredictCommand());
}

export function makePredictCommand(): Command {
  const cmd = new Command('predict')
    .description("Score a file (or stdin) with a model and write MLflow's {\"predictions\": [...]} (to a file or stdout)")
    .requiredOption('-m, --model-uri <uri>', "URI of the model: a local path, file://, runs:/, models:/, ...")
    .option('-i, --input-path <path>', 'input file; stdin when absent')
    .option('-o, --output-path <path>', 'output file; stdout when absent')
    .addOption(
      new Option('-t, --content-type <type>', 'the input: a JSON scoring request (as MLflow), or a csv, parquet, jsonl or arrow table')
        .choices(['json', 'csv', 'parquet', 'jsonl', 'arrow'])
        .default('json'),
    )
    .addOption(
      new Option('--output-format <format>', "json (MLflow's {\"predictions\": [...]}, whatever -o is called), csv or parquet")
        .choices(['json', 'csv', 'parquet'])
        .default('json'),
    )
    .addOption(new Option('--batch-rows <n>', 'rows scored per batch for csv and parquet input').default(DEFAULT_BATCH_ROWS).argParser(nonNegativeInt))
    .addOption(
      new Option('--workers <n>', 'threads scoring table batches, each with its own copy of a natively scored model (default: one per core)')
        .default(availableParallelism(), 'one per core')
        .argParser(positiveInt),
    )
    .addOption(new Option('--runtime <runtime>', 'native, python or auto').choices(['auto', 'native', 'python'])
        .env('MLFLOW_TS_RUNTIME').default('auto'))
    .option('--env <key=value>', 'environment variable set while the model loads and predicts (repeatable)', keyValuePair);
  envManagerOptions(cmd);
  pipOverrideOption(cmd);
  return cmd
    .action(async (opts: PredictFlags) => {
      // MLflow's extra_envs: set for the scoring process, which the Python bridge's workers inherit.
      for (const [key, value] of opts.env ?? []) process.env[key] = value;
      // Loaded here, not at the top: every command's module is loaded to parse any command line.
      const [{ loadPredictor }, { batchPredict, workersWhileLoading }, { stderrProgress }] = await Promise.all([
        import('../pyfunc/load-predictor.js'),
        import('../serve/batch-predict.js'),
        import('../serve/progress.js'),
      ]);
      const options: BatchPredictOptions = {
        input: opts.inputPath,
        output: opts.outputPath,
        contentType: opts.contentType,
        outputFormat: opts.outputFormat,
        batchRows: opts.batchRows,
        workers: opts.workers,
        workerModel: { options: { runtime: opts.runtime, envManager: opts.envManager } },
      };
      let predictor;
      try {
        // the worker threads, if any, load the model while this thread does
        predictor = await loadPredictor(opts.modelUri, { runtime: opts.runtime, ...envLoadOptions(opts), onLoadStart: workersWhileLoading(options) });
      } catch (err) {
        await options.startedWorkers?.close();
        throw err;
      }
      const progress = stderrProgress('scored');
      try {
        await batchPredict(predictor, { ...options, onProgress: progress.report });
      } finally {
        progress.done();
        await predictor.close();
      }
    });
}

interface PredictFlags extends EnvFlags {
  modelUri: string;
  inputPath?: string;
  outputPath?: string;
  contentType: BatchInputFormat;
  outputFormat: BatchOutputFormat;
  batchRows: number;
  workers: number;
  runtime: 'auto' | 'native' | 'python';
  env?: [string, string][];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${value}' is not a positive integer`);
  return n;
}

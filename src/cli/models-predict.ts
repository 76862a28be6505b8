import { Command, Option } from 'commander';
import { loadPredictor } from '../pyfunc/index.js';
import { batchPredict, DEFAULT_BATCH_ROWS, stderrProgress, type BatchInputFormat, type BatchOutputFormat } from '../serve/index.js';
import { nonNegativeInt } from './models-serve.js';

/** `models predict`: MLflow's options (-m, -i, -o, -t, --env-manager) plus batch size and runtime. */
export function registerModelsPredict(parent: Command): void {
  parent.addCommand(makePredictCommand());
}

export function makePredictCommand(): Command {
  return new Command('predict')
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
      new Option('--output-format <format>', "json (MLflow's {\"predictions\": [...]}), csv or parquet; default: from -o's extension, else json")
        .choices(['json', 'csv', 'parquet']),
    )
    .addOption(new Option('--batch-rows <n>', 'rows scored per batch for csv and parquet input').default(DEFAULT_BATCH_ROWS).argParser(nonNegativeInt))
    .addOption(new Option('--runtime <runtime>', 'native, python or auto').choices(['auto', 'native', 'python']).default('auto'))
    .addOption(new Option('--env-manager <manager>', 'environment manager for the Python bridge').choices(['local', 'virtualenv', 'uv', 'conda']))
    .action(async (opts: PredictFlags) => {
      const predictor = await loadPredictor(opts.modelUri, { runtime: opts.runtime, envManager: opts.envManager });
      const progress = stderrProgress('scored');
      try {
        await batchPredict(predictor, {
          input: opts.inputPath,
          output: opts.outputPath,
          contentType: opts.contentType,
          outputFormat: opts.outputFormat,
          batchRows: opts.batchRows,
          onProgress: progress.report,
        });
      } finally {
        progress.done();
        await predictor.close();
      }
    });
}

interface PredictFlags {
  modelUri: string;
  inputPath?: string;
  outputPath?: string;
  contentType: BatchInputFormat;
  outputFormat?: BatchOutputFormat;
  batchRows: number;
  runtime: 'auto' | 'native' | 'python';
  envManager?: 'local' | 'virtualenv' | 'uv' | 'conda';
}

import { Command } from 'commander';
import { readExample } from './read-example.js';

/** `h2o save`: package an H2O MOJO as an MLflow model (H2O's h2o_mojo_pojo flavor). */
export function registerH2O(parent: Command): void {
  const h2o = parent.command('h2o').description('H2O models: package a MOJO as an MLflow model');
  h2o.command('save')
    .description('Package an H2O MOJO zip as an MLflow model directory (h2o_mojo_pojo + python_function flavors)')
    .requiredOption('--mojo <path>', 'MOJO zip written by H2O (model.download_mojo())')
    .requiredOption('-o, --output <dir>', 'model directory to create (must not exist or be empty)')
    .option('--input-example <path>', 'a CSV file (or a JSON scoring request) saved as the input example')
    .option('--genmodel-jar <path>', "h2o-genmodel.jar, copied beside the MOJO for h2o_mlflow_flavor's Java scoring")
    .option('--extra-prediction-arg <arg...>', 'PredictCsv switches recorded in extra_prediction_args (--setConvertInvalidNum, --predictCalibrated)')
    .option('--python-version <version>', 'Python version recorded for the model', '3.11.2')
    .action(async (opts: SaveFlags) => {
      const inputExample = opts.inputExample ? await readExample(opts.inputExample) : undefined;
      const { saveH2OMojo } = await import('../flavors/h2o/index.js');
      const model = await saveH2OMojo(opts.output, {
        mojo: opts.mojo,
        genmodelJar: opts.genmodelJar,
        inputExample,
        extraPredictionArgs: opts.extraPredictionArg,
        pythonVersion: opts.pythonVersion,
      });
      process.stdout.write(`Saved H2O MOJO model ${model.modelUuid} to ${opts.output}\n`);
      if (!opts.genmodelJar) {
        process.stderr.write("Note: without --genmodel-jar, h2o_mlflow_flavor (Python) can load this model but not score it; mlflow-ts scores it natively.\n");
      }
    });
}

interface SaveFlags {
  mojo: string;
  output: string;
  inputExample?: string;
  genmodelJar?: string;
  extraPredictionArg?: string[];
  pythonVersion: string;
}

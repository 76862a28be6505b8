import { Command, Option } from 'commander';
import { readExample } from './read-example.js';
import type { SklearnMethod } from '../flavors/sklearn/estimator.js';
import { SKLEARN_METHODS } from '../flavors/sklearn/methods.js';
import { makeServeCommand } from './models-serve.js';

/** `sklearn save` (package a pickle as an MLflow model) and `sklearn serve` (models serve). */
export function registerSklearn(parent: Command): void {
  const sk = parent.command('sklearn').description('scikit-learn models: package a pickled estimator, serve it');
  sk.command('save')
    .description('Package a pickled fitted estimator as an MLflow model directory (sklearn + python_function flavors)')
    .requiredOption('--pickle <path>', 'pickle or cloudpickle file of a fitted estimator')
    .requiredOption('-o, --output <dir>', 'model directory to create (must not exist or be empty)')
    .option('--input-example <path>', 'a CSV file (or a JSON scoring request) saved as the input example; the signature is inferred from it')
    .addOption(new Option('--predict-fn <method>', 'the method pyfunc predict calls').choices([...SKLEARN_METHODS]).default('predict'))
    .addOption(
      new Option('--serialization-format <format>', "MLmodel's serialization_format; default cloudpickle, or pickle for a joblib file (rewritten as a plain pickle)")
        .choices(['cloudpickle', 'pickle']),
    )
    .option('--python-version <version>', 'Python version recorded for the model', '3.11.2')
    .action(async (opts: SaveFlags) => {
      const inputExample = opts.inputExample ? await readExample(opts.inputExample) : undefined;
      const { saveModel } = await import('../flavors/sklearn/index.js');
      const model = await saveModel(opts.output, {
        pickle: opts.pickle,
        inputExample,
        predictFn: opts.predictFn,
        serializationFormat: opts.serializationFormat,
        pythonVersion: opts.pythonVersion,
      });
      process.stdout.write(`Saved sklearn model ${model.modelUuid} to ${opts.output}\n`);
    });
  sk.addCommand(makeServeCommand());
}

interface SaveFlags {
  pickle: string;
  output: string;
  inputExample?: string;
  predictFn: SklearnMethod;
  serializationFormat?: 'cloudpickle' | 'pickle';
  pythonVersion: string;
}

import { Command, Option } from 'commander';
import { MlflowError } from '../errors.js';
import { preparePythonEnv, type EnvManager } from '../flavors/python_function/index.js';
import { Model, resolveModelDir } from '../model/index.js';
// Registers runs:/, models:/ and the other store URI schemes.
import '../store/index.js';

/**
 * `models prepare-env -m <uri> [--env-manager virtualenv]`: builds (or finds in the cache) the
 * Python environment the bridge would load the model in, as `mlflow models prepare-env`.
 */
export function registerModelsPrepareEnv(models: Command): void {
  models
    .command('prepare-env')
    .description("Build the model's Python environment ahead of time (cached, as MLflow's ~/.mlflow/envs)")
    .requiredOption('-m, --model-uri <uri>', 'URI of the model: a local path, file://, runs:/, models:/, ...')
    .addOption(
      new Option('--env-manager <manager>', 'how to build the environment').choices(['local', 'virtualenv', 'uv', 'conda']).default('virtualenv'),
    )
    .action(async (opts: { modelUri: string; envManager: EnvManager }) => {
      const modelDir = await resolveModelDir(opts.modelUri);
      const model = await Model.load(modelDir);
      const conf = model.flavors.python_function;
      if (!conf) {
        throw new MlflowError(`The model at '${opts.modelUri}' has no python_function flavor, so it needs no Python environment`, 'INVALID_PARAMETER_VALUE');
      }
      const env = await preparePythonEnv(modelDir, conf, opts.envManager);
      const how = env.envDir ? (env.created ? `created ${env.envDir}` : `already in ${env.envDir}`) : 'local';
      process.stdout.write(`${env.python}\n`);
      process.stderr.write(`[mlflow-ts] environment ${how}\n`);
    });
}

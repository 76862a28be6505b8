import { Command } from 'commander';
import { MlflowError } from '../errors.js';
import { envLoadOptions, envManagerOptions, type EnvFlags } from './env-options.js';

/**
 * `models prepare-env -m <uri> [--env-manager virtualenv] [--install-mlflow]`: builds (or finds)
 * the Python environment the bridge would load the model in, as `mlflow models prepare-env`. Its
 * defaults are serve's and predict's, so the environment it makes is the one they then use.
 */
export function registerModelsPrepareEnv(models: Command): void {
  const cmd = models
    .command('prepare-env')
    .description("Build the model's Python environment ahead of time (under MLFLOW_ENV_ROOT, as MLflow's ~/.mlflow/envs)")
    .requiredOption('-m, --model-uri <uri>', 'URI of the model: a local path, file://, runs:/, models:/, ...');
  envManagerOptions(cmd).action(async (opts: EnvFlags & { modelUri: string }) => {
    const [{ preparePythonEnv }, { Model, resolveModelDir }] = await Promise.all([
      import('../flavors/python_function/index.js'),
      import('../model/index.js'),
      // Registers runs:/, models:/ and the other store URI schemes.
      import('../store/uri-schemes.js'),
    ]);
    const modelDir = await resolveModelDir(opts.modelUri);
    const model = await Model.load(modelDir);
    const conf = model.flavors.python_function;
    if (!conf) {
      throw new MlflowError(`The model at '${opts.modelUri}' has no python_function flavor, so it needs no Python environment`, 'INVALID_PARAMETER_VALUE');
    }
    const { envManager, extraPipRequirements } = envLoadOptions(opts);
    const env = await preparePythonEnv(modelDir, conf, envManager, { extraRequirements: extraPipRequirements });
    const how = env.envDir ? (env.created ? `created ${env.envDir}` : `already in ${env.envDir}`) : 'local';
    process.stdout.write(`${env.python}\n`);
    process.stderr.write(`[mlflow-ts] environment ${how}\n`);
  });
}

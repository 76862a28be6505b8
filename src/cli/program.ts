import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerModelsServe } from './models-serve.js';
import { registerModelsPredict } from './models-predict.js';
import { registerPyfunc } from './pyfunc.js';
import { registerModelsDescribe } from './models-describe.js';
import { registerModelsPrepareEnv } from './models-prepare-env.js';
import { registerSklearn } from './sklearn.js';
import { registerH2O } from './h2o.js';
import { registerModelsDocker } from './models-docker.js';
import { registerSageMaker } from './sagemaker.js';
import { registerDeployments } from './deployments.js';
import { registerAzureMl } from './azureml.js';
import { registerWorker } from './worker.js';
import { registerModelsUpdatePipRequirements } from './models-update-pip-requirements.js';
import { clickStyleUsageErrors } from './usage-errors.js';

/**
 * Builds the `mlflow-ts` command tree. Each command lives in its own file under src/cli/ and
 * exports a `register...(parent)` function; a new command is one import and one call here.
 * Malformed command lines are answered as click answers them for `mlflow` (exit 2).
 */
export function buildProgram(): Command {
  const program = new Command('mlflow-ts')
    .description('MLflow Models in TypeScript: describe, serve, predict and deploy MLflow models')
    .version(VERSION);
  const models = program.command('models').description('Work with MLflow models (MLmodel directories and URIs)');
  registerModelsServe(models);
  registerModelsPredict(models);
  registerPyfunc(program);
  registerModelsDescribe(models);
  registerModelsPrepareEnv(models);
  registerSklearn(program);
  registerH2O(program);
  registerModelsDocker(models);
  registerModelsUpdatePipRequirements(models);
  registerSageMaker(program);
  registerDeployments(program);
  registerAzureMl(program);
  registerWorker(program);
  return clickStyleUsageErrors(program);
}

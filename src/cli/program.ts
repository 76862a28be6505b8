import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerModelsDescribe } from './models-describe.js';

/**
 * Builds the `mlflow-ts` command tree. Each command lives in its own file under src/cli/ and
 * exports a `register...(parent)` function; a new command is one import and one call here.
 */
export function buildProgram(): Command {
  const program = new Command('mlflow-ts')
    .description('MLflow Models in TypeScript: describe, serve, predict and deploy MLflow models')
    .version(VERSION);
  const models = program.command('models').description('Work with MLflow models (MLmodel directories and URIs)');
  registerModelsDescribe(models);
  return program;
}

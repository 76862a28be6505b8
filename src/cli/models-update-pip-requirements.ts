import { Argument, Command } from 'commander';
import { MlflowError } from '../errors.js';
import type { RequirementsOperation } from '../model/update-requirements.js';
import { warnOnStderr } from '../warnings.js';
import { usageError } from './usage-errors.js';

/** `models update-pip-requirements -m <uri> add|remove REQ...`, as MLflow's. */
export function registerModelsUpdatePipRequirements(models: Command): void {
  const cmd = models
    .command('update-pip-requirements')
    .description("Add or remove requirements in a local model's requirements.txt and conda.yaml")
    .requiredOption('-m, --model-uri <uri>', 'URI of the model: a local path or file:// URI')
    .addArgument(new Argument('<operation>', 'add (overwriting the same package) or remove (by name)').choices(['add', 'remove']))
    .argument('[requirement_strings...]', 'pip requirement specifiers, e.g. "pandas==1.0.0" "scikit-learn"');
  cmd.action(async (operation: RequirementsOperation, reqs: string[], opts: { modelUri: string }) => {
    const { updateModelRequirements } = await import('../model/update-requirements.js');
    let update;
    try {
      update = await updateModelRequirements(opts.modelUri, operation, reqs);
    } catch (e) {
      // click.BadArgumentUsage: a requirement string that does not parse is a usage error (exit 2).
      if (e instanceof MlflowError && e.message.startsWith('Invalid requirement:')) usageError(cmd, e.message);
      throw e;
    }
    for (const name of update.notFound) warnOnStderr(`WARNING: "${name}" not found in requirements, ignoring`);
    process.stderr.write(`Successfully updated the requirements for the model at ${opts.modelUri}!\n`);
  });
}

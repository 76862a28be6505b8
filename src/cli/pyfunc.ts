import type { Command } from 'commander';
import { makePredictCommand } from './models-predict.js';
import { makeServeCommand } from './models-serve.js';

/** The seed's names: `pyfunc serve` and `pyfunc predict` run the same code as `models serve|predict`. */
export function registerPyfunc(program: Command): void {
  program
    .command('pyfunc')
    .description('Aliases of `models serve` and `models predict`')
    .addCommand(makeServeCommand())
    .addCommand(makePredictCommand());
}

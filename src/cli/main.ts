import { buildProgram } from './program.js';
import { exitCodeOf } from './usage-errors.js';

/** Runs the CLI; a usage error (already printed, click-style) or --help/--version sets the exit status. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const code = exitCodeOf(err);
    if (code === undefined) throw err;
    process.exitCode = code;
  }
}

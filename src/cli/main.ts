import { buildProgram } from './program.js';

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}

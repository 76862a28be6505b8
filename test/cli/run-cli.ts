// Runs the mlflow-ts CLI from source, for tests that need it in a process of its own
// (`models serve`, and its node:cluster workers, which re-run this same file).
import { main } from '../../src/cli/main.js';

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`mlflow-ts: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

#!/usr/bin/env node
import module from 'node:module';

// V8's compile cache (Node >= 22.1; absent on Node 20, where this does nothing): later runs skip
// compiling the bundles. Enabled before the CLI's modules load, hence the dynamic import below.
module.enableCompileCache?.();

const { main } = await import('../dist/bundle/cli.js');
main(process.argv).catch((err) => {
  process.stderr.write(`mlflow-ts: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

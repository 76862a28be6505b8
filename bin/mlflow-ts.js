#!/usr/bin/env node
import { main } from '../dist/bundle/cli.js';

main(process.argv).catch((err) => {
  process.stderr.write(`mlflow-ts: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

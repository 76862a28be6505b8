// `mlflow-ts models serve ...` from source, for benchmarks that need the CLI's own process model
// (`-w N` forks node:cluster workers, which run this file again with the same arguments).
//   node --import tsx bench/server-cli.ts models serve -m MODEL_DIR -w 2 -p PORT --env-manager local
import { main } from '../src/cli/main.js';

await main(process.argv);

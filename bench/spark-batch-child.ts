// One `models predict` run for bench/spark.ts, in its own process so that its peak RSS is its
// own: loads the model natively and batch-scores a CSV file into a CSV file, as
// `mlflow-ts models predict -m MODEL -i IN -t csv -o OUT --runtime native` does.
//   spark-batch-child.ts MODEL_DIR INPUT.csv OUTPUT.csv
// Prints {loadSeconds, predictSeconds, predictCpuSeconds, rows, maxRssMb} as JSON.
import { loadPredictor } from '../src/pyfunc/index.js';
import { batchPredict } from '../src/serve/index.js';

const [modelDir, input, output] = process.argv.slice(2);
const t0 = performance.now();
const predictor = await loadPredictor(modelDir, { runtime: 'native' });
const t1 = performance.now();
const cpu = process.cpuUsage();
const { rows } = await batchPredict(predictor, { input, output, contentType: 'csv', outputFormat: 'csv' });
const t2 = performance.now();
const used = process.cpuUsage(cpu);
await predictor.close();
process.stdout.write(
  JSON.stringify({ loadSeconds: (t1 - t0) / 1000, predictSeconds: (t2 - t1) / 1000, predictCpuSeconds: (used.user + used.system) / 1e6, rows, maxRssMb: process.resourceUsage().maxRSS / 1024 }),
);

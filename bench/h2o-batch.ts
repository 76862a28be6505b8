// Batch scoring of an H2O MOJO in its own process (so its peak RSS is its own):
//   h2o-batch.ts MOJO ROWS   prints {rows, frameSeconds, score0Seconds, peakRssMb, baseRssMb} as JSON.
// frameSeconds: predictFrame on a ROWS-row table (PredictCsv's conversion of every cell, the
// model, the output columns); score0Seconds, the reference: the same rows through score0 alone.
import { Frame } from '../src/frame/frame.js';
import { loadMojo, predictFrame } from '../src/flavors/h2o/index.js';

const [mojoPath, rowsArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const model = await loadMojo(mojoPath);
const { meta } = model;

// prostate-like inputs from a fixed LCG, so every run scores the same rows
let seed = 12345;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const RANGES: Record<string, [number, number]> = {
  AGE: [43, 79], RACE: [0, 2], DPROS: [1, 4], DCAPS: [1, 2], PSA: [0.3, 140], VOL: [0, 97.6], GLEASON: [0, 9],
};
const inputs = meta.columns.slice(0, meta.nfeatures);
const baseRssMb = process.memoryUsage().rss / 2 ** 20;
const columns = inputs.map((name) => {
  const [lo, hi] = RANGES[name] ?? [0, 1];
  const values = new Float64Array(rows);
  for (let r = 0; r < rows; r++) values[r] = Math.round((lo + rand() * (hi - lo)) * 10) / 10;
  return { name, data: { kind: 'number' as const, dtype: 'float64' as const, values } };
});
const frame = new Frame(columns, rows);

// warm-up (JIT)
predictFrame(model, new Frame(columns.map((c) => ({ ...c, data: { ...c.data, values: c.data.values.subarray(0, 10_000) } })), 10_000), {
  convertInvalidNumbers: false,
  calibrated: false,
});

let t = performance.now();
const out = predictFrame(model, frame, { convertInvalidNumbers: false, calibrated: false });
const frameSeconds = (performance.now() - t) / 1000;

const row = new Float64Array(meta.nfeatures);
const preds = new Float64Array(model.predsSize);
let check = 0;
t = performance.now();
for (let r = 0; r < rows; r++) {
  for (let j = 0; j < columns.length; j++) row[j] = columns[j].data.values[r];
  model.score0(row, 0, preds);
  check += preds[preds.length - 1];
}
const score0Seconds = (performance.now() - t) / 1000;
const last = out.columns[out.columns.length - 1].data.values as Float64Array;
let sum = 0;
for (let r = 0; r < rows; r++) sum += last[r];
if (Math.abs(sum - check) > 1e-6 * rows) throw new Error('predictFrame and score0 disagree');

process.stdout.write(
  JSON.stringify({ rows, frameSeconds, score0Seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, baseRssMb }) + '\n',
);

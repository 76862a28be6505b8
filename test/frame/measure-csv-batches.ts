/**
 * Measures readFrameBatches on a CSV (not a test; run by hand, two steps so that the reading
 * process's peak RSS is the reader's own):
 *   npx tsx test/frame/measure-csv-batches.ts gen /tmp/data.csv 1000000
 *   npx tsx test/frame/measure-csv-batches.ts read /tmp/data.csv 50000
 * gen writes a 5-column CSV (int, float, float, string, bool); read prints rows/s and peak RSS.
 */
import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { readFrameBatches } from '../../src/frame/index.js';

const [mode, path, arg] = process.argv.slice(2);

if (mode === 'gen') {
  const rows = Number(arg ?? 1_000_000);
  const out = createWriteStream(path);
  out.write('id,x,y,label,flag\n');
  for (let start = 0; start < rows; start += 10_000) {
    let text = '';
    for (let i = start; i < Math.min(rows, start + 10_000); i++) {
      text += `${i},${(i % 997) / 8},${i * 0.37},c${i % 13},${i % 2 === 0 ? 'True' : 'False'}\n`;
    }
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  console.log(`wrote ${rows} rows, ${(statSync(path).size / 1e6).toFixed(1)} MB to ${path}`);
} else if (mode === 'read') {
  const batchRows = Number(arg ?? 50_000);
  const rssStart = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let rows = 0;
  let batches = 0;
  for await (const batch of readFrameBatches(path, 'csv', { batchRows })) {
    rows += batch.numRows;
    batches++;
  }
  const seconds = (performance.now() - t0) / 1000;
  // CPU time too: on a shared machine the wall time depends on the neighbours.
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `rows=${rows} batches=${batches} batchRows=${batchRows} wall=${seconds.toFixed(2)}s ` +
      `rows/s=${Math.round(rows / seconds)} cpu=${cpuSeconds.toFixed(2)}s rows/cpu-s=${Math.round(rows / cpuSeconds)} ` +
      `rssAtStart=${(rssStart / 1e6).toFixed(0)}MB ` +
      `peakRSS=${(process.resourceUsage().maxRSS / 1e3).toFixed(0)}MB`,
  );
} else {
  console.error('usage: measure-csv-batches.ts gen <path> [rows] | read <path> [batchRows]');
  process.exitCode = 2;
}

// Run as a process of its own by bombs.test.ts, so its peak memory is its own: loads one
// decompression bomb and prints the refusal with the peak RSS.
import { loadPickleFile } from '../../../src/formats/pickle/load-file.js';

const before = process.memoryUsage().rss;
let message = '';
try {
  await loadPickleFile(process.argv[2], { allowGlobal: () => false });
} catch (e) {
  message = (e as Error).message;
}
process.stdout.write(JSON.stringify({ before, maxRss: process.resourceUsage().maxRSS * 1024, message }));

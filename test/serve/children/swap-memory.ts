// Swaps a served model `count` times while a client keeps scoring, then prints the heap after
// garbage collection at the 100th and last swap, the failed requests and the closed versions.
// Run with node --expose-gc --import tsx (test/serve/multi-model.test.ts).
import { pino } from 'pino';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { ModelRepository } from '../../../src/serve/index.js';

const [modelDir, countText] = process.argv.slice(2);
const count = Number(countText);
let version = 0;
let closed = 0;
const repo = new ModelRepository([{ name: 'iris', uri: modelDir }], {
  async load(uri) {
    const p = await loadPredictor(uri);
    return { ...p, predict: p.predict.bind(p), close: async () => { closed++; await p.close(); } };
  },
  resolveVersion: () => Promise.resolve(String(version)),
}, pino({ level: 'silent' }));
await repo.loadAll();
const slot = repo.first;
const body = Buffer.from('{"dataframe_split": {"columns": ["sepal_length","sepal_width","petal_length","petal_width"], "data": [[5.1,3.5,1.4,0.2]]}}');
let failed = 0;
let served = 0;
let running = true;
const client = (async () => {
  while (running) {
    const answer = await slot.use((g) => g.invoke(body, 'application/json'));
    if (answer.status === 200) served++;
    else failed++;
    await new Promise((r) => setImmediate(r));
  }
})();
const gc = (globalThis as { gc?: () => void }).gc as () => void;
let heapAt100 = 0;
for (let i = 1; i <= count; i++) {
  version = i;
  await slot.refresh();
  if (i === 100) {
    gc();
    heapAt100 = process.memoryUsage().heapUsed;
  }
}
running = false;
await client;
await repo.close();
gc();
console.log(JSON.stringify({ heapAt100, heapAtEnd: process.memoryUsage().heapUsed, failed, served, closed, swaps: slot.swapCount }));

// Run as a process of its own by close.test.ts: loads a bridge model, predicts once and never
// closes it. The process must still end on its own.
import { frameFromRecords } from '../../../src/frame/index.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';

const predictor = await loadPredictor(process.argv[2], { runtime: 'python', workers: 1 });
const out = await predictor.predict(frameFromRecords([{ a: 1, b: 2 }]));
process.stdout.write(`${JSON.stringify(Array.from((out as { data: ArrayLike<number> }).data))}\n`);

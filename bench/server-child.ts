// A server for bench/server-process.ts, in its own process so that its RSS is the server's alone.
//   server-child.ts serve MODEL_DIR RUNTIME WORKERS [MAX_BATCH:MAX_WAIT_MS]
//                                                      mlflow-ts's scoring server on the model at
//                                                      MODEL_DIR (RUNTIME: auto, native or python),
//                                                      with adaptive batching when the last is given
//   server-child.ts bare                              node:http that only parses the JSON body and
//                                                      answers a constant: the reference
// The server logs as `models serve` does by default (info: one access-log line per request),
// into BENCH_SERVE_LOG (default /dev/null) so that the log's cost is in every figure.
// Sends {port} when listening; answers {cmd: 'stats'} with {rss, cpu} (bytes, µs), the adaptive
// batches scored so far and the requests in them, and with
// BENCH_LOOP_BLOCKS=1 `loop`: the longest the event loop was held since the last 'stats'
// (loop-blocks.ts; BENCH_LOOP_LOG names a file for every long gap).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadPredictor } from '../src/pyfunc/index.js';
import { createServeLogger } from '../src/serve/logger.js';
import { batchingPredictor } from '../src/serve/batching.js';
import { createScoringServer } from '../src/serve/scoring-server.js';
import { watchLoopBlocks } from './loop-blocks.js';

const [mode, modelDir, runtime, workers, batching] = process.argv.slice(2);
/** Adaptive batches scored so far and the requests in them. */
const batches = { batches: 0, requests: 0 };

async function start(): Promise<AddressInfo> {
  if (mode === 'serve') {
    const loaded = await loadPredictor(modelDir, {
      runtime: runtime as 'auto' | 'native' | 'python',
      workers: Number(workers),
    });
    const [maxBatchSize, maxWaitMs] = (batching ?? '').split(':').map(Number);
    const predictor = batching ? batchingPredictor(loaded, { maxBatchSize, maxWaitMs }, (n) => {
      batches.batches++;
      batches.requests += n;
    }) : loaded;
    const server = createScoringServer(predictor, { logger: createServeLogger('info', process.env.BENCH_SERVE_LOG ?? '/dev/null') });
    // Closing the server closes the predictor, which stops any Python workers.
    process.on('SIGTERM', () => {
      setTimeout(() => process.exit(1), 5000).unref();
      void server.close().finally(() => process.exit(0));
    });
    return server.listen(0, '127.0.0.1');
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"predictions": [0]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address() as AddressInfo;
}

const address = await start();
// Off by default: its timer and /proc reads cost the server about 2% CPU.
const loop = process.env.BENCH_LOOP_BLOCKS === '1' ? watchLoopBlocks(process.env.BENCH_LOOP_LOG) : undefined;
process.send?.({ port: address.port });
process.on('message', (msg: { cmd?: string }) => {
  if (msg.cmd === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({ rss: process.memoryUsage().rss, cpu: cpu.user + cpu.system, loop: loop?.take(), batches: { ...batches } });
  }
});

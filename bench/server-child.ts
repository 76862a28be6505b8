// A server for bench/run.ts, in its own process so that its RSS is the server's alone.
// `serve`: mlflow-ts's scoring server on examples/iris-js; `bare`: node:http that only parses the
// JSON body and answers a constant, the reference the scoring server is measured against.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadPredictor } from '../src/pyfunc/index.js';
import { createServeLogger } from '../src/serve/logger.js';
import { createScoringServer } from '../src/serve/scoring-server.js';

const mode = process.argv[2];

async function start(): Promise<AddressInfo> {
  if (mode === 'serve') {
    const predictor = await loadPredictor(new URL('../examples/iris-js', import.meta.url).pathname);
    const server = createScoringServer(predictor, { logger: createServeLogger('info') });
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
process.send?.({ port: address.port });
process.on('message', (msg: { cmd?: string }) => {
  if (msg.cmd === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({ rss: process.memoryUsage().rss, cpu: cpu.user + cpu.system });
  }
});

// Adaptive batching (issue #17): 64 concurrent clients each sending 1-row requests to
// `mlflow-ts serve`, with and without batching (max 64 rows, 2 ms wait), on the iris
// RandomForest(100) fixture (scikit-learn, native) and the real Keras CNN fixture
// (test/fixtures/tensorflow/real/mlflow/tensorflow_keras_cnn2d, an [1, 8, 8, 2] image).
// Beside them, the same clients on bare node:http (parses the JSON body, answers a constant): what
// HTTP alone allows on this machine. Batching shares the model's work among a batch's requests,
// never a request's HTTP, so the bare server's req/s bounds the batched server's.
// Each server runs in its own process; the variants alternate rounds so load changes hit all.
// Run alone: node --import tsx bench/batching.ts [seconds] (BENCH_BATCHING_ONLY=RandomForest: the models whose label holds it)
import { fileURLToPath } from 'node:url';
import { irisPayload } from './iris.js';
import { loadGeneratorNote, loadServer, serverStats, startServer, stopServer, type ServerProcess } from './server-process.js';

const CLIENTS = 64;
const ROUNDS = 3;
const BATCHING = { maxBatchSize: 64, maxWaitMs: 2 };

const image = Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, j) => [((i * 8 + j) % 10) / 10, ((i + j) % 7) / 7]));
const MODELS = [
  { label: 'RandomForest(100), sklearn native', dir: '../test/fixtures/sklearn/mlflow-2.22.1/iris_rf', body: irisPayload(1) },
  { label: 'Keras CNN (cnn2d), tfjs', dir: '../test/fixtures/tensorflow/real/mlflow/tensorflow_keras_cnn2d', body: JSON.stringify({ inputs: [image] }) },
];

interface Tally { requests: number; seconds: number; p99s: number[]; p50s: number[]; errors: number; cpu: number; batches: number; batched: number }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function benchBatching(seconds: number): Promise<string> {
  const lines = [
    `| model (${CLIENTS} clients, 1-row requests) | without batching req/s | p50 / p99 ms | server CPU µs/req | with batching req/s | p50 / p99 ms | server CPU µs/req | requests per batch (of ≥ 2) | ratio (req/s) | ratio (CPU/req) | bare node:http req/s, CPU µs/req (same body) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of MODELS.filter((x) => x.label.includes(process.env.BENCH_BATCHING_ONLY ?? ''))) {
    const modelDir = fileURLToPath(new URL(m.dir, import.meta.url));
    const servers: ServerProcess[] = [
      await startServer({ kind: 'serve', modelDir }),
      await startServer({ kind: 'serve', modelDir, batching: BATCHING }),
      await startServer({ kind: 'bare' }),
    ];
    const tallies: Tally[] = servers.map(() => ({ requests: 0, seconds: 0, p99s: [], p50s: [], errors: 0, cpu: 0, batches: 0, batched: 0 }));
    try {
      for (const s of servers) await loadServer(s, m.body, 1, CLIENTS); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, s] of servers.entries()) {
          const before = await serverStats(s);
          const r = await loadServer(s, m.body, seconds / ROUNDS, CLIENTS);
          const after = await serverStats(s);
          const t = tallies[i];
          t.cpu += after.cpu - before.cpu;
          t.batches += (after.batches?.batches ?? 0) - (before.batches?.batches ?? 0);
          t.batched += (after.batches?.requests ?? 0) - (before.batches?.requests ?? 0);
          t.requests += r.requests.total;
          t.seconds += r.duration;
          t.p50s.push(r.latency.p50);
          t.p99s.push(r.latency.p99);
          t.errors += r.errors + r.non2xx + r.timeouts;
        }
      }
    } finally {
      for (const s of servers) await stopServer(s);
    }
    const [off, on, bare] = tallies.map((t) => ({
      rps: t.requests / t.seconds, p50: median(t.p50s), p99: median(t.p99s), errors: t.errors, cpu: t.cpu / t.requests,
      // the server's count of requests scored in batches of two or more, per such batch
      perBatch: t.batched / Math.max(1, t.batches),
    }));
    if (off.errors + on.errors + bare.errors > 0) throw new Error(`${m.label}: ${off.errors + on.errors + bare.errors} failed requests`);
    lines.push(
      `| ${m.label} | ${Math.round(off.rps)} | ${off.p50} / ${off.p99} | ${off.cpu.toFixed(0)} | ${Math.round(on.rps)} | ${on.p50} / ${on.p99} | ${on.cpu.toFixed(0)} | ${on.perBatch.toFixed(1)} | ` +
        `${(on.rps / off.rps).toFixed(2)}× | ${(off.cpu / on.cpu).toFixed(2)}× | ${Math.round(bare.rps)}, ${bare.cpu.toFixed(0)} |`,
    );
  }
  lines.push('', loadGeneratorNote());
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await benchBatching(Number(process.argv[2] ?? 9)));
}

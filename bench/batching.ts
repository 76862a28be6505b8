// Adaptive batching (issue #17): 64 concurrent clients each sending 1-row requests to
// `mlflow-ts serve`, with and without batching (max 64 rows, 2 ms wait), on the iris
// RandomForest(100) fixture (scikit-learn, native) and the real Keras CNN fixture
// (test/fixtures/tensorflow/real/mlflow/tensorflow_keras_cnn2d, an [1, 8, 8, 2] image).
// Each server runs in its own process; the two variants alternate rounds so load changes hit both.
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

interface Tally { requests: number; seconds: number; p99s: number[]; p50s: number[]; errors: number; cpu: number }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function benchBatching(seconds: number): Promise<string> {
  const lines = [
    `| model (${CLIENTS} clients, 1-row requests) | without batching req/s | p50 / p99 ms | server CPU µs/req | with batching req/s | p50 / p99 ms | server CPU µs/req | ratio (req/s) | ratio (CPU/req) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of MODELS.filter((x) => x.label.includes(process.env.BENCH_BATCHING_ONLY ?? ''))) {
    const modelDir = fileURLToPath(new URL(m.dir, import.meta.url));
    const servers: [ServerProcess, ServerProcess] = [
      await startServer({ kind: 'serve', modelDir }),
      await startServer({ kind: 'serve', modelDir, batching: BATCHING }),
    ];
    const tallies: [Tally, Tally] = [
      { requests: 0, seconds: 0, p99s: [], p50s: [], errors: 0, cpu: 0 },
      { requests: 0, seconds: 0, p99s: [], p50s: [], errors: 0, cpu: 0 },
    ];
    try {
      for (const s of servers) await loadServer(s, m.body, 1, CLIENTS); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < 2; i++) {
          const before = await serverStats(servers[i]);
          const r = await loadServer(servers[i], m.body, seconds / ROUNDS, CLIENTS);
          const t = tallies[i];
          t.cpu += (await serverStats(servers[i])).cpu - before.cpu;
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
    const [off, on] = tallies.map((t) => ({ rps: t.requests / t.seconds, p50: median(t.p50s), p99: median(t.p99s), errors: t.errors, cpu: t.cpu / t.requests }));
    if (off.errors + on.errors > 0) throw new Error(`${m.label}: ${off.errors + on.errors} failed requests`);
    lines.push(
      `| ${m.label} | ${Math.round(off.rps)} | ${off.p50} / ${off.p99} | ${off.cpu.toFixed(0)} | ${Math.round(on.rps)} | ${on.p50} / ${on.p99} | ${on.cpu.toFixed(0)} | ` +
        `${(on.rps / off.rps).toFixed(2)}× | ${(off.cpu / on.cpu).toFixed(2)}× |`,
    );
  }
  lines.push('', loadGeneratorNote());
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await benchBatching(Number(process.argv[2] ?? 9)));
}

// `npm run bench`: mlflow-ts's scoring server against a bare node:http server, measured in the
// same run, on 1-row and 1000-row iris requests (autocannon, 16 connections).
// The two servers run in child processes (so RSS is each server's own) and are measured in
// alternating rounds, so that a change in the machine's load hits both alike. Server CPU time
// per request is reported too: unlike req/s it barely depends on what else the machine runs.
// BENCH_DURATION (seconds per server and size, default 10) shortens a run.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import autocannon, { type Result } from 'autocannon';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = 5;
const CONNECTIONS = 16;
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.2, 2.9, 4.3, 1.3],
  [7.7, 3.1, 6.1, 2.3],
];

type Mode = 'serve' | 'bare';

interface Server { mode: Mode; child: ChildProcess; port: number }

interface Tally { requests: number; seconds: number; p50s: number[]; p99s: number[]; cpuMicros: number; errors: number }

function payload(rows: number): string {
  const data = Array.from({ length: rows }, (_, i) => ROWS[i % ROWS.length]);
  return JSON.stringify({ dataframe_split: { columns: FEATURES, data } });
}

async function start(mode: Mode): Promise<Server> {
  const child = fork(new URL('./server-child.ts', import.meta.url).pathname, [mode], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [msg] = (await once(child, 'message')) as [{ port: number }];
  return { mode, child, port: msg.port };
}

async function stats(server: Server): Promise<{ rss: number; cpu: number }> {
  server.child.send({ cmd: 'stats' });
  const [msg] = (await once(server.child, 'message')) as [{ rss: number; cpu: number }];
  return msg;
}

function load(server: Server, body: string, seconds: number): Promise<Result> {
  return autocannon({
    url: `http://127.0.0.1:${server.port}/invocations`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: seconds,
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const servers = [await start('bare'), await start('serve')];
const lines: string[] = [];
try {
  for (const rows of [1, 1000]) {
    const body = payload(rows);
    const tallies = new Map<Mode, Tally>();
    for (const server of servers) {
      await load(server, body, 2); // warm-up (JIT)
      tallies.set(server.mode, { requests: 0, seconds: 0, p50s: [], p99s: [], cpuMicros: 0, errors: 0 });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const server of servers) {
        const before = await stats(server);
        const r = await load(server, body, DURATION / ROUNDS);
        const after = await stats(server);
        const t = tallies.get(server.mode)!;
        t.requests += r.requests.total;
        t.seconds += r.duration;
        t.p50s.push(r.latency.p50);
        t.p99s.push(r.latency.p99);
        t.cpuMicros += after.cpu - before.cpu;
        t.errors += r.errors + r.non2xx + r.timeouts;
      }
    }
    const bare = tallies.get('bare')!;
    for (const server of servers) {
      const t = tallies.get(server.mode)!;
      const { rss } = await stats(server);
      const rate = t.requests / t.seconds;
      lines.push(
        `| ${server.mode === 'serve' ? 'mlflow-ts serve' : 'bare node:http'} | ${rows} | ${rate.toFixed(0)} | ` +
          `${median(t.p50s)} | ${median(t.p99s)} | ${(t.cpuMicros / t.requests).toFixed(0)} | ${(rss / 2 ** 20).toFixed(1)} | ` +
          `${((100 * rate) / (bare.requests / bare.seconds)).toFixed(0)}% | ${t.errors} |`,
      );
    }
  }
} finally {
  for (const s of servers) s.child.kill('SIGTERM');
}

console.log(`\n${CONNECTIONS} connections, ${DURATION} s per server and size in ${ROUNDS} alternating rounds, node ${process.version}\n`);
console.log('| server | rows/request | req/s | p50 ms | p99 ms | server CPU µs/req | server RSS MB | req/s vs bare | errors |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const line of lines) console.log(line);

// `models serve -w 1` against `-w 2` (node:cluster workers sharing the port), as the CLI runs
// them, with the access log on (into /dev/null) and metrics, on three request kinds: the iris
// LogisticRegression 1-row and 1000-row and the iris RandomForest(100) 1000-row (MLflow 2.22.1's
// published figures on 1 worker: 160-183 and 74-86 req/s, not measured here). The two servers alternate
// rounds. The load generator (wrk when on PATH, else autocannon in this process; 16 connections) shares the
// machine's cores with the servers, so on a 2-core machine `-w 2` cannot get two whole cores:
// the CPU time per request of all the server's processes (primary + workers, from /proc) is
// reported beside req/s, and is the figure that does not depend on who else runs. So is the
// generator's own CPU per request and the ratio the cores allow: with `-w 1` the server is
// bound by its one core (1 / server µs), with `-w 2` by the cores it shares with the generator
// (cores / (server µs + generator µs)).
// Run alone: BENCH_DURATION=6 node --import tsx bench/server-workers.ts (also part of bench/serving.ts);
// BENCH_WORKERS_ONLY=1000: the cases whose label holds it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { irisPayload } from './iris.js';
import { loadGeneratorNote, loadServer } from './server-process.js';

const ROUNDS = 3;
const TICK_MICROS = 1e6 / 100; // /proc/<pid>/stat counts CPU in clock ticks (USER_HZ = 100 on Linux)

const CASES = [
  { label: 'iris_logreg, 1 row', dir: '../examples/iris-sklearn', rows: 1, published: undefined },
  { label: 'iris_logreg, 1000 rows', dir: '../examples/iris-sklearn', rows: 1000, published: '160-183' },
  { label: 'iris_rf RandomForest(100), 1000 rows', dir: '../test/fixtures/sklearn/mlflow-2.22.1/iris_rf', rows: 1000, published: '74-86' },
].filter((c) => c.label.includes(process.env.BENCH_WORKERS_ONLY ?? ''));

interface Served { child: ChildProcess; port: number }

async function serve(modelDir: string, workers: number, port: number): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./server-cli.ts', import.meta.url)),
    'models', 'serve', '-m', modelDir, '-w', String(workers), '-p', String(port), '--env-manager', 'local'], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, MLFLOW_TS_LOG_LEVEL: 'info' },
    detached: true,
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const ok = await Promise.all(Array.from({ length: workers * 4 }, () => fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok)));
      if (ok.every(Boolean)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the -w ${workers} server did not start`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return { child, port };
}

/** CPU time (µs) of a process and all its descendants, from /proc. */
function treeCpu(pid: number): number {
  let total = 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  total += (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const c of children ? children.split(' ') : []) total += treeCpu(Number(c));
  }
  return total;
}

async function stop(s: Served): Promise<void> {
  const exited = once(s.child, 'exit');
  process.kill(-(s.child.pid as number), 'SIGTERM');
  await exited;
}

export async function benchServingWorkers(seconds: number): Promise<string> {
  const lines = [
    `node ${process.version}, ${os.availableParallelism()} cores, load average at start ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; 16 connections`,
    '',
    '| request | -w 1 req/s | -w 2 req/s | -w 2 / -w 1 | server CPU µs/req -w 1 | -w 2 | generator CPU µs/req -w 1 / -w 2 | bound on these cores | MLflow 2.22.1 (published, 1 worker) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  let port = 18600;
  for (const c of CASES) {
    const modelDir = fileURLToPath(new URL(c.dir, import.meta.url));
    const body = irisPayload(c.rows);
    const servers = [await serve(modelDir, 1, port++), await serve(modelDir, 2, port++)];
    const tally = servers.map(() => ({ requests: 0, seconds: 0, cpu: 0, errors: 0, generatorCpu: 0 }));
    try {
      for (const s of servers) await loadServer(s as never, body, 2); // warm-up (JIT), every worker
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, s] of servers.entries()) {
          const before = treeCpu(s.child.pid as number);
          const r = await loadServer(s as never, body, seconds / ROUNDS);
          tally[i].cpu += treeCpu(s.child.pid as number) - before;
          tally[i].requests += r.requests.total;
          tally[i].seconds += r.duration;
          tally[i].errors += r.errors + r.non2xx + r.timeouts;
          tally[i].generatorCpu += r.generatorCpu;
        }
      }
    } finally {
      await Promise.all(servers.map(stop));
    }
    if (tally.some((t) => t.errors > 0)) throw new Error(`${c.label}: failed requests`);
    const [one, two] = tally.map((t) => ({ rps: t.requests / t.seconds, cpu: t.cpu / t.requests, gen: t.generatorCpu / t.requests }));
    const bound = Math.min(2, os.availableParallelism() * one.cpu / (two.cpu + two.gen));
    lines.push(
      `| ${c.label} | ${one.rps.toFixed(0)} | ${two.rps.toFixed(0)} | ${(two.rps / one.rps).toFixed(2)}x | ${one.cpu.toFixed(0)} | ${two.cpu.toFixed(0)} | ` +
        `${one.gen.toFixed(0)} / ${two.gen.toFixed(0)} | ${bound.toFixed(2)}x | ${c.published ?? '-'} |`,
    );
  }
  lines.push('', `load average at end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; ${loadGeneratorNote()}`);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`## Serving with -w 1 and -w 2\n\n${await benchServingWorkers(Number(process.env.BENCH_DURATION ?? 6))}\n`);
}

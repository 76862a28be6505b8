// A scoring server (or the bare node:http reference) in a child process, as bench/server-child.ts
// runs it, and the load put on it: wrk (issue #17's generator) when it is on PATH, else autocannon
// (BENCH_LOAD_GENERATOR=autocannon: autocannon always).
// The load generator thus never shares an event loop with the server it measures, and the
// server's RSS and CPU time are its own.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const CONNECTIONS = 16;

export interface ServerProcess { child: ChildProcess; port: number }

/** What a child server is: bare node:http, or `mlflow-ts serve` on a model with a runtime. */
export type ServerSpec =
  | { kind: 'bare' }
  | { kind: 'serve'; modelDir: string; runtime?: 'native' | 'python'; workers?: number; batching?: { maxBatchSize: number; maxWaitMs: number } };

/** `cpuProfDir`: the server writes a V8 CPU profile (--cpu-prof) there when it stops. */
export async function startServer(spec: ServerSpec, options: { cpuProfDir?: string } = {}): Promise<ServerProcess> {
  const args = spec.kind === 'bare'
    ? ['bare']
    : ['serve', spec.modelDir, spec.runtime ?? 'auto', String(spec.workers ?? 1), ...(spec.batching ? [`${spec.batching.maxBatchSize}:${spec.batching.maxWaitMs}`] : [])];
  // BENCH_SERVER_FLAGS: node flags for the server (e.g. --trace-gc, whose lines then reach stdout)
  const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), args, {
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_SERVER_FLAGS?.split(' ') ?? []), ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [])],
    stdio: ['ignore', process.env.BENCH_SERVER_FLAGS ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
  const [msg] = (await once(child, 'message')) as [{ port: number }];
  return { child, port: msg.port };
}

export async function stopServer(server: ServerProcess): Promise<void> {
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  await exited;
}

export interface ServerStats {
  rss: number;
  cpu: number;
  /** With BENCH_LOOP_BLOCKS=1 in the child's environment: the longest its event loop was held since the last call (see loop-blocks.ts). */
  loop?: { wallMs: number; cpuMs: number };
  /** Adaptive batches scored so far and the requests they held (zeros without batching). */
  batches?: { batches: number; requests: number };
}

/** The child's RSS (bytes) and CPU time so far (µs). */
export async function serverStats(server: ServerProcess): Promise<ServerStats> {
  server.child.send({ cmd: 'stats' });
  const [msg] = (await once(server.child, 'message')) as [ServerStats];
  return msg;
}

/** One load run, in autocannon's field names (latencies in ms). */
export interface LoadResult {
  duration: number;
  requests: { total: number };
  latency: { p50: number; p99: number };
  /** Socket errors (connect, read, write). */
  errors: number;
  non2xx: number;
  timeouts: number;
  /** The load generator's own CPU time (µs) for this run. */
  generatorCpu: number;
}

/**
 * `wrk <version>` when wrk is on PATH (its -v prints a banner and exits 1), else null.
 * BENCH_LOAD_GENERATOR=autocannon picks autocannon even then, to compare the two generators' cost.
 */
const WRK = (() => {
  if (process.env.BENCH_LOAD_GENERATOR === 'autocannon') return null;
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  const version = /^wrk (?:debian\/)?(\S+)/.exec(r.stdout ?? '');
  return version ? `wrk ${version[1]}` : null;
})();

/** Totals over every run of this process, for `loadGeneratorNote`. */
const generatorTotals = { requests: 0, cpu: 0 };

/** POSTs `body` to `path` (default /invocations) from `connections` connections (default CONNECTIONS) for `seconds`. */
export async function loadServer(server: ServerProcess, body: string, seconds: number, connections = CONNECTIONS, path = '/invocations'): Promise<LoadResult> {
  const url = `http://127.0.0.1:${server.port}${path}`;
  const r = WRK ? await runWrk(url, body, seconds, connections) : await runAutocannon(url, body, seconds, connections);
  generatorTotals.requests += r.requests.total;
  generatorTotals.cpu += r.generatorCpu;
  return r;
}

/** Which generator ran the loads so far and its own CPU time per request (a line for a bench's output). */
export function loadGeneratorNote(): string {
  const perReq = generatorTotals.cpu / Math.max(1, generatorTotals.requests);
  return WRK
    ? `load generator: ${WRK} (-t2), its own CPU ${perReq.toFixed(1)} µs/req`
    : `load generator: autocannon (in the bench's process${process.env.BENCH_LOAD_GENERATOR === 'autocannon' ? '' : '; `apt-get install wrk` gives issue #17\'s wrk'}), its CPU ${perReq.toFixed(1)} µs/req`;
}

async function runAutocannon(url: string, body: string, seconds: number, connections: number): Promise<LoadResult> {
  const cpu0 = process.cpuUsage();
  const r = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: seconds });
  const cpu = process.cpuUsage(cpu0);
  return { ...r, generatorCpu: cpu.user + cpu.system };
}

// The request's method, header and body for wrk, read from files beside the script; done() prints
// one JSON line: counts, latency percentiles (µs) and wrk's own CPU time from /proc/self/stat
// (clock ticks; all its threads). wrk counts an answer with status ≥ 400 as a status error (1xx
// and 3xx pass as successes; the servers here answer neither).
const WRK_SCRIPT = `
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local f = assert(io.open(dir .. "/body", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
function done(summary, latency, requests)
  local s = assert(io.open("/proc/self/stat", "r")):read("*a")
  local fields = {}
  for x in s:match("%) (.*)$"):gmatch("%S+") do fields[#fields + 1] = x end
  local e = summary.errors
  io.write(string.format('\\nBENCH-RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"ticks":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout, tonumber(fields[12]) + tonumber(fields[13])))
end
`;
const TICK_MICROS = 1e6 / 100; // USER_HZ = 100 on Linux

async function runWrk(url: string, body: string, seconds: number, connections: number): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-wrk-'));
  try {
    writeFileSync(path.join(dir, 'post.lua'), WRK_SCRIPT);
    writeFileSync(path.join(dir, 'body'), body);
    // wrk takes whole seconds; the run's own duration is what req/s divides by.
    const child = spawn('wrk', ['-t2', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '--latency', '-s', path.join(dir, 'post.lua'), url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const [code] = (await once(child, 'exit')) as [number];
    const line = out.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
    if (code !== 0 || !line) throw new Error(`wrk exited ${code}:\n${out}`);
    const r = JSON.parse(line.slice('BENCH-RESULT '.length)) as Record<string, number>;
    return {
      duration: r.duration_us / 1e6,
      requests: { total: r.requests },
      latency: { p50: Math.round(r.p50_us / 10) / 100, p99: Math.round(r.p99_us / 10) / 100 },
      errors: r.connect + r.read + r.write,
      non2xx: r.status,
      timeouts: r.timeout,
      generatorCpu: r.ticks * TICK_MICROS,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

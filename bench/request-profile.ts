// Where a served request's time goes: one `mlflow-ts serve` child under V8's CPU profiler
// (--cpu-prof), loaded by bench/server-process.ts's generator (wrk when installed), and its main
// thread's samples from the measured run only (not start-up, warm-up or shutdown) divided by the
// requests answered. Printed per request: time by kind (the kernel calls V8 sees, such as writev,
// the socket write of an answer; GC; Node's own modules; dependencies; each folder of src/), our
// functions by self time, and a request's stages (inclusive). The profiler adds its own cost:
// compare the shares, and the figures of two runs made alike, not these with the benches'.
// Run alone: node --import tsx bench/request-profile.ts MODEL_DIR [ROWS=1] [CONNECTIONS=64] [BATCHING=max:waitMs|none] [SECONDS=5]
// e.g. the batched forest: node --import tsx bench/request-profile.ts test/fixtures/sklearn/mlflow-2.22.1/iris_rf 1 64 64:2
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { irisPayload } from './iris.js';
import { loadGeneratorNote, loadServer, serverStats, startServer, stopServer } from './server-process.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] }

/** Native frames V8 names after the system call they make (time in them is mostly the kernel's). */
const SYSCALLS = new Set(['writev', 'writeString', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeSync', 'read', 'readv']);

/** A request's stages: [function name, file it is defined in]. Inclusive time, so they overlap. */
const STAGES: [string, string][] = [
  ['readBody', 'serve/read-body.ts'],
  ['predict', 'serve/batching.ts'],
  ['run', 'serve/batching.ts'],
  ['predict', 'pyfunc/predictor.ts'],
  ['answerOf', 'serve/invocations.ts'],
  ['write', 'serve/scoring-server.ts'],
  ['onClose', 'serve/scoring-server.ts'],
];

/** Microseconds of samples per node id, for samples taken within [from, to] (µs, the monotonic clock). */
function sampledTime(p: Profile, from: number, to: number): Map<number, number> {
  const time = new Map<number, number>();
  let ts = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    ts += p.timeDeltas[i];
    if (ts < from || ts > to) continue;
    time.set(p.samples[i], (time.get(p.samples[i]) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  }
  return time;
}

/** What kind of code a sample ran: the first frame with a script decides, system calls and V8's own states apart. */
function kindOf(node: ProfileNode, parentOf: Map<number, ProfileNode>): string {
  const { functionName, url } = node.callFrame;
  if (functionName === '(idle)') return 'idle (waiting for events)';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8 and native code outside JS';
  if (!url && SYSCALLS.has(functionName)) return `system call ${functionName}`;
  let at: ProfileNode | undefined = node;
  while (at && !at.callFrame.url) at = parentOf.get(at.id);
  const u = at?.callFrame.url ?? '';
  if (u.includes('/src/')) return `ours: src/${u.split('/src/')[1].split('/')[0]}/`;
  if (u.includes('node_modules/')) return `dependency ${u.split('node_modules/')[1].split('/')[0]}`;
  if (u.startsWith('node:')) return `Node: ${u.slice(5).split('/').slice(0, 2).join('/')}`;
  return 'other';
}

function where(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url.includes('/src/') ? 'src/' + url.split('/src/')[1] : url}:${lineNumber + 1}`;
}

function report(p: Profile, from: number, to: number, requests: number): string[] {
  const time = sampledTime(p, from, to);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, ProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const kinds = new Map<string, number>();
  const ours = new Map<string, number>();
  const stages = new Map<string, number>();
  let total = 0;
  for (const [id, t] of time) {
    const node = byId.get(id) as ProfileNode;
    total += t;
    const kind = kindOf(node, parentOf);
    kinds.set(kind, (kinds.get(kind) ?? 0) + t);
    if (node.callFrame.url.includes('/src/')) ours.set(where(node), (ours.get(where(node)) ?? 0) + t);
    const seen = new Set<string>();
    for (let at: ProfileNode | undefined = node; at; at = parentOf.get(at.id)) {
      const stage = STAGES.find(([name, file]) => at!.callFrame.functionName === name && at!.callFrame.url.endsWith(file));
      if (!stage) continue;
      const key = `${stage[0]} (${stage[1]})`;
      if (!seen.has(key)) stages.set(key, (stages.get(key) ?? 0) + t);
      seen.add(key);
    }
  }
  const row = (label: string, t: number): string => `| ${label} | ${(t / requests).toFixed(2)} | ${((100 * t) / total).toFixed(1)}% |`;
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  return [
    `sampled ${(total / 1000).toFixed(0)} ms over ${requests} requests: ${(total / requests).toFixed(1)} µs per request (idle included)`,
    '',
    '| by kind | µs/req | share |', '|---|---:|---:|',
    ...sorted(kinds).filter(([, t]) => t / requests >= 0.05).map(([k, t]) => row(k, t)),
    '',
    '| stage (inclusive) | µs/req | share |', '|---|---:|---:|',
    ...STAGES.map(([name, file]) => `${name} (${file})`).filter((k) => stages.has(k)).map((k) => row(k, stages.get(k) as number)),
    '',
    '| our functions (self) | µs/req | share |', '|---|---:|---:|',
    ...sorted(ours).slice(0, 15).map(([k, t]) => row(k, t)),
  ];
}

async function main(): Promise<void> {
  const [dir, rowsArg = '1', connectionsArg = '64', batchingArg = 'none', secondsArg = '5'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: request-profile.ts MODEL_DIR [ROWS] [CONNECTIONS] [BATCHING=max:waitMs|none] [SECONDS]');
  const [maxBatchSize, maxWaitMs] = batchingArg.split(':').map(Number);
  const batching = batchingArg === 'none' ? undefined : { maxBatchSize, maxWaitMs };
  const profDir = mkdtempSync(path.join(os.tmpdir(), 'request-profile-'));
  try {
    const server = await startServer({ kind: 'serve', modelDir: path.resolve(dir), batching }, { cpuProfDir: profDir });
    const body = irisPayload(Number(rowsArg));
    const connections = Number(connectionsArg);
    await loadServer(server, body, 2, connections); // warm-up (JIT)
    const before = await serverStats(server);
    // The profile's timestamps are CLOCK_MONOTONIC microseconds, as hrtime's.
    const from = Number(process.hrtime.bigint() / 1000n);
    const r = await loadServer(server, body, Number(secondsArg), connections);
    const to = Number(process.hrtime.bigint() / 1000n);
    const after = await serverStats(server);
    await stopServer(server);
    // The main thread's profile: CPU.<date>.<time>.<pid>.<thread id 0>.<seq>.cpuprofile (tsx's loader thread writes another).
    const file = readdirSync(profDir).find((f) => f.split('.')[4] === '0');
    if (!file) throw new Error(`no main-thread profile in ${profDir}`);
    const profile = JSON.parse(readFileSync(path.join(profDir, file), 'utf8')) as Profile;
    const requests = r.requests.total;
    console.log([
      `${dir}, ${rowsArg} row(s), ${connections} connections, batching ${batchingArg}: ${(requests / r.duration).toFixed(0)} req/s, ` +
        `server CPU ${((after.cpu - before.cpu) / requests).toFixed(1)} µs/req, p50/p99 ${r.latency.p50}/${r.latency.p99} ms; load average ${os.loadavg()[0].toFixed(1)}; ${loadGeneratorNote()}`,
      '',
      ...report(profile, from, to, requests),
    ].join('\n'));
  } finally {
    rmSync(profDir, { recursive: true, force: true });
  }
}

await main();

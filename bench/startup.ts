// Start-up times of the built package (run `npm run build` first), each beside `node -e 0`, the
// floor every Node program pays, measured in the same run: `import('mlflow-ts')`, `models
// predict` of the bundled sklearn model (examples/iris-sklearn), and a server answering its first
// /ping. The first three with hyperfine (Debian package `hyperfine`) when installed, else a loop
// of spawns; wall time AND CPU time (user + system), since wall time on a shared machine mostly
// measures the others' load. Run alone: `node --import tsx bench/startup.ts` (BENCH_STARTUP_RUNS).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'bin/mlflow-ts.js');
const MODEL = path.join(ROOT, 'examples/iris-sklearn');
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 20);

interface Timing {
  wallMs: number;
  cpuMs?: number;
}

const hasHyperfine = spawnSync('hyperfine', ['--version']).status === 0;

function hyperfine(argv: string[]): Timing {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-startup-'));
  try {
    const json = path.join(dir, 'out.json');
    const cmd = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    execFileSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', json, cmd], { stdio: 'ignore', cwd: os.tmpdir() });
    const r = (JSON.parse(readFileSync(json, 'utf8')) as { results: { mean: number; user: number; system: number }[] }).results[0];
    return { wallMs: r.mean * 1000, cpuMs: (r.user + r.system) * 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spawnLoop(argv: string[]): Timing {
  let total = 0;
  for (let i = 0; i < RUNS + 3; i++) {
    const t = performance.now();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', cwd: os.tmpdir() });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed`);
    if (i >= 3) total += performance.now() - t;
  }
  return { wallMs: total / RUNS };
}

const timeCommand = (argv: string[]): Timing => (hasHyperfine ? hyperfine(argv) : spawnLoop(argv));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A process's CPU time so far (user + system, /proc/<pid>/stat; 10 ms ticks on Linux), or undefined elsewhere. */
function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** From spawn to the first 200 on /ping, polled every 5 ms; CPU is the server's own at that moment. */
async function serverReady(): Promise<Timing> {
  let total = 0;
  let cpu: number | undefined = 0;
  for (let i = 0; i < Math.min(RUNS, 10) + 1; i++) {
    const port = await freePort();
    const t = performance.now();
    const child = spawn(process.execPath, [CLI, 'models', 'serve', '-m', MODEL, '-p', String(port)], { stdio: 'ignore' });
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    if (i > 0) {
      total += performance.now() - t;
      const c = cpuMsOf(child.pid!);
      cpu = cpu === undefined || c === undefined ? undefined : cpu + c;
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  return { wallMs: total / Math.min(RUNS, 10), ...(cpu === undefined ? {} : { cpuMs: cpu / Math.min(RUNS, 10) }) };
}

const fmt = (t: Timing): string => `${t.wallMs.toFixed(0)} ms${t.cpuMs !== undefined ? ` (CPU ${t.cpuMs.toFixed(0)} ms)` : ''}`;

export async function benchStartup(): Promise<string> {
  const input = path.join(MODEL, 'serving_input_example.json');
  const floor = timeCommand([process.execPath, '-e', '0']);
  // The file `import('mlflow-ts')` loads, as package.json's exports name it.
  const entry = path.join(ROOT, (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: { '.': { default: string } } }).exports['.'].default);
  const imp = timeCommand([process.execPath, '--input-type=module', '-e', `await import(${JSON.stringify(entry)})`]);
  const predict = timeCommand([process.execPath, CLI, 'models', 'predict', '-m', MODEL, '-i', input, '-t', 'json']);
  const ready = await serverReady();
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return [
    `${hasHyperfine ? 'hyperfine' : 'spawn loop'}, ${RUNS} runs; load average ${load}`,
    '',
    '| what | mlflow-ts | reference: `node -e 0` |',
    '|---|---:|---:|',
    `| \`import('mlflow-ts')\` | ${fmt(imp)} | ${fmt(floor)} |`,
    `| \`models predict\`, iris-sklearn, 3 rows | ${fmt(predict)} | ${fmt(floor)} |`,
    `| \`models serve\` to the first 200 on /ping | ${fmt(ready)} | |`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.stdout.write(`${await benchStartup()}\n`);
}

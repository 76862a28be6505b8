// Hostile request bodies (issue #18 items 1-2): how long mlflow-ts takes to read them, beside
// pandas 1.5.3 (Debian's /usr/bin/python3) reading the same CSV text in the same run.
//   node --import tsx bench/hostile-requests.ts
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { MlflowError } from '../src/errors.js';
import { parseCsvRequest, parseJsonRequest } from '../src/frame/index.js';

const PYTHON = '/usr/bin/python3';

function ms(run: () => unknown): { ms: number; outcome: string } {
  const t = performance.now();
  let outcome = 'read';
  try {
    run();
  } catch (e) {
    outcome = e instanceof MlflowError ? `400 ${e.errorCode}` : `error: ${(e as Error).message}`;
  }
  return { ms: performance.now() - t, outcome };
}

/** pandas' read_csv time (ms) on the header, or undefined without pandas. */
function pandasMs(text: string): number | undefined {
  const code = 'import io, sys, time, pandas as pd\ns = sys.stdin.read()\nt = time.perf_counter()\npd.read_csv(io.StringIO(s))\nprint((time.perf_counter() - t) * 1000)';
  const r = spawnSync(PYTHON, ['-c', code], { input: text, encoding: 'utf8', maxBuffer: 1 << 20 });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

export function benchHostileRequests(): string {
  const rows = ['| request | mlflow-ts | outcome | pandas 1.5.3 read_csv |', '|---|---|---|---|'];
  for (const n of [1_000, 10_000, 40_000]) {
    const text = `${'a,'.repeat(n - 1)}a\n${'1,'.repeat(n - 1)}1\n`;
    const ours = ms(() => parseCsvRequest(text));
    const ref = pandasMs(text);
    rows.push(`| CSV header: one name x ${n.toLocaleString('en')} | ${ours.ms.toFixed(1)} ms | ${ours.outcome} | ${ref === undefined ? 'n/a' : `${ref.toFixed(1)} ms`} |`);
  }
  const records = Array.from({ length: 8000 }, (_, r) => `{${Array.from({ length: 10 }, (_, k) => `"k${r}_${k}": 1`).join(', ')}}`);
  const body = `{"dataframe_records": [${records.join(',')}]}`;
  const open = ms(() => parseJsonRequest(body));
  rows.push(`| 8,000 records x 10 new keys (${(body.length / 1e6).toFixed(1)} MB), no signature | ${open.ms.toFixed(1)} ms | ${open.outcome} | |`);
  const kept = ms(() => parseJsonRequest(body, { keepsColumn: (name) => name === 'x' }));
  rows.push(`| the same, signature reads one column | ${kept.ms.toFixed(1)} ms | ${kept.outcome} | |`);
  return rows.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(`${benchHostileRequests()}\n`);

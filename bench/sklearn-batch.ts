// Native scikit-learn batch predict against scikit-learn's own in-process predict, measured in
// the same run and interleaved: bench/sklearn_batch.py trains LogisticRegression, RandomForest
// (100 trees) and HistGradientBoosting on synthetic data (make_classification, 20 features, 3
// classes), pickles them, and stays up, timing model.predict on a numpy array of ROWS rows,
// single-threaded, each time it is asked. Here the same pickles are read by loadSklearnEstimator
// and the same rows (a Float64Array) are predicted by callMethod; each repeat times one
// scikit-learn predict, then one of ours, so that both sides meet the same load. Only the
// predict call is timed (wall and CPU time); the table gives the ratio of the medians and that
// of our worst run against scikit-learn's best (the goal holds "in every run" only if that one
// does), and the predictions are checked to agree. LogisticRegression's predict takes a fraction
// of a second, so it is timed three times as often. The machine's load average is printed with
// the table: on a shared machine the CPU time is the steadier figure.
// The reference is scikit-learn 1.9.1 from the virtualenv /work/venvs/sk191 when it exists
// (BENCH_SKLEARN_PYTHON names another Python), else Debian's python3 (scikit-learn 1.2.1); the
// table says which. The pickles, HistGradientBoosting's included, come from that version.
// Then the built CLI (`mlflow-ts models predict`, from dist/: `npm run build` first) on a CSV of the
// rows (BENCH_WORKER_ROWS, default 500,000: each extra thread loads the model, a cost that more rows
// amortize), with each model in turn: one worker against two (and all cores, if more; --workers N is the main
// thread and N - 1 threads, each reading and scoring whole batches of the file), runs interleaved,
// wall and CPU time of the whole command (CPU from /proc/self/stat's reaped-children times), the
// load average (1 min) at each run, the output checked to be the same bytes. And in each repeat,
// the machine's ceiling for two cores: two 1-worker processes at once, each on half the rows (no
// memory, heap or thread shared: on these VMs two busy cores each run ~20% slower than one alone,
// so 2 cores give what this row gives, not 2x).
// BENCH_SKLEARN_MODELS (e.g. "logreg") limits the models, BENCH_WORKER_ROWS=0 skips the CLI part and
// BENCH_PREDICT_ONLY=0 the predict-only comparison with scikit-learn (the models are still trained).
//   node --import tsx bench/sklearn-batch.ts [ROWS]     runs this benchmark alone
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { callMethod, loadSklearnEstimator, saveModel } from '../src/flavors/sklearn/index.js';
import { makeTensor } from '../src/frame/tensor.js';

const SK191 = '/work/venvs/sk191/bin/python';
const PYTHON = process.env.BENCH_SKLEARN_PYTHON ?? (existsSync(SK191) ? SK191 : '/usr/bin/python3');
const SCRIPT = fileURLToPath(new URL('./sklearn_batch.py', import.meta.url));
const CLI = fileURLToPath(new URL('../bin/mlflow-ts.js', import.meta.url));
const FEATURES = 20;
const WARM_UP_ROWS = 10_000;
const WARM_UP_CALLS = 5;
const REPEATS = Number(process.env.BENCH_SKLEARN_REPEATS ?? 3);
const WORKER_ROWS = Number(process.env.BENCH_WORKER_ROWS ?? 500_000);
const PREDICT_ONLY = process.env.BENCH_PREDICT_ONLY !== '0';
const ALL_MODELS = [
  { name: 'logreg', label: 'LogisticRegression', repeats: 3 * REPEATS },
  { name: 'rf', label: 'RandomForestClassifier (100 trees)', repeats: REPEATS },
  { name: 'hgb', label: 'HistGradientBoostingClassifier', repeats: REPEATS },
];
const ONLY = process.env.BENCH_SKLEARN_MODELS?.split(',');
const MODELS = ALL_MODELS.filter((m) => ONLY === undefined || ONLY.includes(m.name));

interface BatchRow {
  label: string;
  rows: number;
  pythonSeconds: number[];
  pythonCpu: number[];
  oursSeconds: number[];
  oursCpu: number[];
  agree: number;
}

/** The load average now, as uptime prints it. */
function load(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

/** CPU seconds of this process's reaped children (utime + stime of /proc/self/stat), or NaN off Linux. */
async function childrenCpu(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8').catch(() => undefined);
  if (stat === undefined) return NaN;
  // fields after the command name (which may hold spaces) start at field 3; cutime and cstime are 16 and 17
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

/**
 * CPU seconds of each thread of process `pid` (/proc/<pid>/task/<tid>/stat utime + stime), by
 * thread id, or an empty map off Linux or once it has exited.
 */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

export async function readF64(file: string): Promise<Float64Array> {
  // Read through one small buffer and copied: the copy is memory this process has written, as
  // Python's X is (made in memory). On this VM the first pass over pages that a read() wrote ran
  // 3-10x slower than later ones, which timed LogisticRegression's first predict (the first
  // model) at a fraction of its speed; and a whole-file buffer (160 MB at 1M rows) left as garbage
  // was freed by the collector inside the first timed predicts.
  const handle = await open(file);
  try {
    const { size } = await handle.stat();
    const out = new Float64Array(size / 8);
    const bytes = new Uint8Array(out.buffer);
    const piece = Buffer.alloc(Math.min(size, 1 << 20));
    for (let at = 0; at < size;) {
      const { bytesRead } = await handle.read(piece, 0, Math.min(piece.length, size - at), at);
      if (bytesRead === 0) throw new Error(`${file} ended at byte ${at} of ${size}`);
      bytes.set(piece.subarray(0, bytesRead), at);
      at += bytesRead;
    }
    return out;
  } finally {
    await handle.close();
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** scikit-learn's side, up and waiting: times one predict of a model when asked. */
interface Reference {
  sklearn: string;
  /** One predict of the model's rows: wall and CPU seconds. */
  predict(model: string): Promise<{ s: number; cpu: number }>;
  close(): Promise<void>;
}

/** Starts Python's side: it trains and pickles the models and writes the rows, then waits for requests. */
async function startPython(dir: string, rows: number): Promise<Reference> {
  // Single-threaded BLAS and OpenMP, as our predict is; and without the OpenBLAS overrides this
  // machine's environment sets for other programs, which Debian's numpy does not expect.
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const child = spawn(PYTHON, [SCRIPT, dir, String(rows), ...MODELS.map((m) => m.name)], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`${PYTHON} ${SCRIPT} exited with ${await exited}`);
    return line.value;
  };
  const { sklearn } = JSON.parse(await next()) as { sklearn: string };
  return {
    sklearn,
    predict: async (model) => {
      child.stdin.write(`${model}\n`);
      return JSON.parse(await next()) as { s: number; cpu: number };
    },
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** The first `rows` rows as a CSV file (a header f0..f19, then each row's numbers as JavaScript writes them). */
async function writeCsv(dir: string, data: Float64Array, rows: number, name = 'rows.csv'): Promise<string> {
  const lines = [Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')];
  for (let i = 0; i < rows; i++) lines.push(Array.from(data.subarray(i * FEATURES, (i + 1) * FEATURES)).join(','));
  const input = path.join(dir, name);
  await writeFile(input, `${lines.join('\n')}\n`);
  return input;
}

/**
 * `models predict` of the CSV `input` (`rows` rows) with model `m`, 1 worker thread against more;
 * seconds per run and whether the outputs match. Beside them, the machine's own ceiling for two
 * cores: two separate 1-worker processes at once, each on half the rows (`halves`), timed until
 * both end: what two cores give when nothing is shared but the machine.
 */
async function benchWorkers(dir: string, m: (typeof ALL_MODELS)[number], input: string, rows: number, halves: [string, string]): Promise<string> {
  const model = path.join(dir, `${m.name}-model`);
  await saveModel(model, { pickle: path.join(dir, `${m.name}.pkl`), onWarning: () => undefined });
  const counts = [...new Set([1, 2, availableParallelism()])];
  const seconds = new Map<number, number[]>(counts.map((c) => [c, []]));
  const cpu = new Map<number, number[]>(counts.map((c) => [c, []]));
  const split = new Map<number, [number, number, number][]>(counts.map((c) => [c, []]));
  const outputs = new Map<number, Buffer>();
  const loads: number[] = [];
  const pairSeconds: number[] = [];
  const pairCpu: number[] = [];
  let pairAgrees = false;
  for (let r = 0; r < REPEATS; r++) {
    for (const workers of counts) {
      const output = path.join(dir, `out-${workers}.json`);
      const start = performance.now();
      const startCpu = await childrenCpu();
      const run = promisify(execFile)(process.execPath, [CLI, 'models', 'predict', '-m', model, '-i', input, '-t', 'csv', '-o', output, '--workers', String(workers)]);
      // each thread's CPU, sampled while it runs (the last sample before it exits): the main thread
      // (tid = pid), the busiest other thread (a --workers thread), and the rest (V8's GC and compiler threads, libuv)
      const perThread = new Map<string, number>();
      const sampler = setInterval(() => {
        for (const [tid, s] of threadCpu(run.child.pid!)) perThread.set(tid, s);
      }, 50);
      await run.finally(() => clearInterval(sampler));
      seconds.get(workers)!.push((performance.now() - start) / 1000);
      const mainCpu = perThread.get(String(run.child.pid)) ?? NaN;
      const others = [...perThread].filter(([tid]) => tid !== String(run.child.pid)).map(([, s]) => s).sort((a, b) => b - a);
      split.get(workers)!.push([mainCpu, workers > 1 ? (others[0] ?? NaN) : 0, others.slice(workers > 1 ? 1 : 0).reduce((a, b) => a + b, 0)]);
      cpu.get(workers)!.push((await childrenCpu()) - startCpu);
      outputs.set(workers, await readFile(output));
      loads.push(loadavg()[0]);
    }
    const start = performance.now();
    const startCpu = await childrenCpu();
    const halfOutputs = halves.map((_, k) => path.join(dir, `out-half-${k}.json`));
    await Promise.all(halves.map((half, k) => promisify(execFile)(process.execPath, [CLI, 'models', 'predict', '-m', model, '-i', half, '-t', 'csv', '-o', halfOutputs[k], '--workers', '1'])));
    pairSeconds.push((performance.now() - start) / 1000);
    pairCpu.push((await childrenCpu()) - startCpu);
    const predictions = await Promise.all(halfOutputs.map(async (f) => (JSON.parse(await readFile(f, 'utf8')) as { predictions: unknown[] }).predictions));
    pairAgrees = JSON.stringify({ predictions: predictions.flat() }) === JSON.stringify(JSON.parse(outputs.get(1)!.toString()));
  }
  const one = median(seconds.get(1)!);
  const out = [
    '',
    `mlflow-ts models predict, ${m.label}, ${rows.toLocaleString('en-US')} CSV rows in, JSON out (the whole command; ` +
      `median of ${REPEATS}, runs interleaved), by worker threads (--workers); 1-minute load average ` +
      `${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)} over the runs:`,
    '',
    '| workers | seconds | rows/s | vs 1 worker | CPU s | CPU µs/row | CPU s / cores (the least wall that CPU allows) | CPU s: main thread / busiest other / rest (sampled) | output = 1 worker\'s |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of counts) {
    const s = median(seconds.get(c)!);
    const u = median(cpu.get(c)!);
    const parts = [0, 1, 2].map((i) => median(split.get(c)!.map((t) => t[i])).toFixed(2)).join(' / ');
    out.push(
      `| ${c} | ${s.toFixed(2)} | ${(rows / s).toFixed(0)} | ${(one / s).toFixed(2)}x | ${u.toFixed(2)} | ${((u / rows) * 1e6).toFixed(1)} | ` +
        `${(u / availableParallelism()).toFixed(2)} | ${parts} | ` +
        `${outputs.get(c)!.equals(outputs.get(1)!) ? 'yes' : 'NO'} |`,
    );
  }
  const s = median(pairSeconds);
  const u = median(pairCpu);
  out.push(
    `| 2 processes of 1 worker, half the rows each (the machine's ceiling for 2 cores) | ${s.toFixed(2)} | ${(rows / s).toFixed(0)} | ${(one / s).toFixed(2)}x | ` +
      `${u.toFixed(2)} | ${((u / rows) * 1e6).toFixed(1)} | ${(u / availableParallelism()).toFixed(2)} | - | ${pairAgrees ? 'yes' : 'NO'} |`,
  );
  return out.join('\n');
}

/** Runs the benchmark on `rows` rows; returns its table (markdown). */
export async function benchSklearnBatch(rows: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-bench-'));
  const out: BatchRow[] = [];
  const loadBefore = load();
  let sklearn: string;
  let workersTable: string;
  let python: Reference | undefined;
  try {
    python = await startPython(dir, rows);
    sklearn = python.sklearn;
    const data = await readF64(path.join(dir, 'X.f64'));
    const x = makeTensor({ dtype: 'float64', shape: [rows, FEATURES], data });
    const warmRows = Math.min(WARM_UP_ROWS, rows);
    const warmUp = makeTensor({ dtype: 'float64', shape: [warmRows, FEATURES], data: data.subarray(0, warmRows * FEATURES) });
    for (const m of PREDICT_ONLY ? MODELS : []) {
      const est = await loadSklearnEstimator(path.join(dir, `${m.name}.pkl`));
      // Python's side warms up once; V8 needs a few calls before its optimizing compiler has
      // compiled every hot loop (a first call on 1M rows runs its loops unoptimized until then)
      for (let i = 0; i < WARM_UP_CALLS; i++) callMethod(est, 'predict', warmUp);
      const row: BatchRow = { label: m.label, rows, pythonSeconds: [], pythonCpu: [], oursSeconds: [], oursCpu: [], agree: 0 };
      let pred = callMethod(est, 'predict', warmUp);
      for (let r = 0; r < m.repeats; r++) {
        const reference = await python.predict(m.name);
        row.pythonSeconds.push(reference.s);
        row.pythonCpu.push(reference.cpu);
        const start = performance.now();
        const startCpu = process.cpuUsage();
        pred = callMethod(est, 'predict', x);
        row.oursSeconds.push((performance.now() - start) / 1000);
        const used = process.cpuUsage(startCpu);
        row.oursCpu.push((used.user + used.system) / 1e6);
      }
      const expected = await readF64(path.join(dir, `${m.name}.pred.f64`));
      for (let i = 0; i < rows; i++) if (Number(pred.data[i]) === expected[i]) row.agree++;
      out.push(row);
    }
    await python.close();
    python = undefined;
    const workerRows = Math.min(rows, WORKER_ROWS);
    const tables: string[] = [];
    if (workerRows > 0) {
      const input = await writeCsv(dir, data, workerRows);
      const half = Math.floor(workerRows / 2);
      const halves: [string, string] = [
        await writeCsv(dir, data, half, 'rows-1.csv'),
        await writeCsv(dir, data.subarray(half * FEATURES, workerRows * FEATURES), workerRows - half, 'rows-2.csv'),
      ];
      for (const m of MODELS) tables.push(await benchWorkers(dir, m, input, workerRows, halves));
    }
    workersTable = tables.join('\n');
  } finally {
    await python?.close();
    await rm(dir, { recursive: true, force: true });
  }

  const lines = [
    `${rows.toLocaleString('en-US')} rows x ${FEATURES} float64 features, predict only, single-threaded on both sides, ${REPEATS} runs each ` +
      `(LogisticRegression: ${3 * REPEATS}), a scikit-learn run then one of ours (Python: scikit-learn ${sklearn} from ${PYTHON}, ` +
      `OMP_NUM_THREADS=1; the models trained and pickled by it); load average ${loadBefore} before, ${load()} after`,
    '',
    '| model | rows | scikit-learn rows/s (median) | mlflow-ts rows/s (median) | mlflow-ts vs scikit-learn: medians | our worst vs its best | ' +
      'CPU µs/row scikit-learn / mlflow-ts (medians) | by CPU time: medians / worst vs best | predictions agreeing |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of out) {
    const py = r.rows / median(r.pythonSeconds);
    const ours = r.rows / median(r.oursSeconds);
    const pyCpu = (median(r.pythonCpu) / r.rows) * 1e6;
    const oursCpu = (median(r.oursCpu) / r.rows) * 1e6;
    const worst = Math.min(...r.pythonSeconds) / Math.max(...r.oursSeconds);
    const worstCpu = Math.min(...r.pythonCpu) / Math.max(...r.oursCpu);
    lines.push(
      `| ${r.label} | ${r.rows} | ${py.toFixed(0)} | ${ours.toFixed(0)} | ${(ours / py).toFixed(2)}x | ${worst.toFixed(2)}x | ` +
        `${pyCpu.toFixed(3)} / ${oursCpu.toFixed(3)} | ${(pyCpu / oursCpu).toFixed(2)}x / ${worstCpu.toFixed(2)}x | ${r.agree}/${r.rows} |`,
    );
  }
  return [...(out.length > 0 ? lines : []), workersTable].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${await benchSklearnBatch(Number(process.argv[2] ?? 1_000_000))}\n`);
}

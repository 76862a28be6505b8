// Native scikit-learn batch predict against scikit-learn's own in-process predict, measured in
// the same run. bench/sklearn_batch.py trains LogisticRegression, RandomForest (100 trees) and
// HistGradientBoosting on synthetic data (make_classification, 20 features, 3 classes), pickles
// them, and times model.predict on a numpy array of ROWS rows, single-threaded, REPEATS times.
// Here the same pickles are read by loadSklearnEstimator and the same rows (a Float64Array) are
// predicted by callMethod as often; only the predict call is timed (wall and CPU time), the
// medians are compared, and the predictions are checked to agree. LogisticRegression's predict
// takes a fraction of a second, so it is timed three times as often on both sides. The machine's
// load average is printed with the table: on a shared machine the CPU time is the steadier figure.
// The reference is scikit-learn 1.9.1 from the virtualenv /work/venvs/sk191 when it exists
// (BENCH_SKLEARN_PYTHON names another Python), else Debian's python3 (scikit-learn 1.2.1); the
// table says which. The pickles, HistGradientBoosting's included, come from that version.
// Then the built CLI (`mlflow-ts models predict`, from dist/: `npm run build` first) on a CSV of the
// forest's rows (BENCH_WORKER_ROWS, default 500,000: each extra thread loads the model, a cost that
// more rows amortize): one worker against two (and all cores, if more; --workers N is the main
// thread and N - 1 threads, each reading and scoring whole batches of the file), runs interleaved,
// wall and CPU time of the whole command (CPU from /proc/self/stat's reaped-children times), the
// load average (1 min) at each run, the output checked to be the same bytes.
//   node --import tsx bench/sklearn-batch.ts [ROWS]     runs this benchmark alone
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
const MODELS = [
  { name: 'logreg', label: 'LogisticRegression', repeats: 3 * REPEATS },
  { name: 'rf', label: 'RandomForestClassifier (100 trees)', repeats: REPEATS },
  { name: 'hgb', label: 'HistGradientBoostingClassifier', repeats: REPEATS },
];

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
  const buf = await readFile(file);
  // Copied (a Buffer may also sit in a pool at an unaligned offset): the copy is memory this
  // process has written, as Python's X is (made in memory). On this VM the first pass over
  // readFile's pages ran 3-4x slower than later ones, which timed LogisticRegression's first
  // predict (the first model) at a third of its speed.
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Python's side: trains, pickles and times predict; returns scikit-learn's version and the predict seconds per model. */
async function runPython(dir: string, rows: number): Promise<{ sklearn: string } & Record<string, number[]>> {
  // Single-threaded BLAS and OpenMP, as our predict is; and without the OpenBLAS overrides this
  // machine's environment sets for other programs, which Debian's numpy does not expect.
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, dir, String(rows), String(REPEATS), ...MODELS.map((m) => `${m.name}:${m.repeats}`)], {
    env,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as { sklearn: string } & Record<string, number[]>;
}

/** `models predict` of `rows` CSV rows with the forest, 1 worker thread against more; seconds per run and whether the outputs match. */
async function benchWorkers(dir: string, data: Float64Array, rows: number): Promise<string> {
  const model = path.join(dir, 'rf-model');
  await saveModel(model, { pickle: path.join(dir, 'rf.pkl'), onWarning: () => undefined });
  const lines = [Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')];
  for (let i = 0; i < rows; i++) lines.push(Array.from(data.subarray(i * FEATURES, (i + 1) * FEATURES)).join(','));
  const input = path.join(dir, 'rows.csv');
  await writeFile(input, `${lines.join('\n')}\n`);
  const counts = [...new Set([1, 2, availableParallelism()])];
  const seconds = new Map<number, number[]>(counts.map((c) => [c, []]));
  const cpu = new Map<number, number[]>(counts.map((c) => [c, []]));
  const split = new Map<number, [number, number, number][]>(counts.map((c) => [c, []]));
  const outputs = new Map<number, Buffer>();
  const loads: number[] = [];
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
  }
  const one = median(seconds.get(1)!);
  const out = [
    '',
    `mlflow-ts models predict, RandomForestClassifier (100 trees), ${rows.toLocaleString('en-US')} CSV rows in, JSON out (the whole command; ` +
      `median of ${REPEATS}, runs interleaved), by worker threads (--workers); 1-minute load average ` +
      `${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)} over the runs:`,
    '',
    '| workers | seconds | rows/s | vs 1 worker | CPU s | CPU µs/row | CPU s: main thread / busiest other / rest (sampled) | output = 1 worker\'s |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of counts) {
    const s = median(seconds.get(c)!);
    const u = median(cpu.get(c)!);
    const parts = [0, 1, 2].map((i) => median(split.get(c)!.map((t) => t[i])).toFixed(2)).join(' / ');
    out.push(
      `| ${c} | ${s.toFixed(2)} | ${(rows / s).toFixed(0)} | ${(one / s).toFixed(2)}x | ${u.toFixed(2)} | ${((u / rows) * 1e6).toFixed(1)} | ${parts} | ` +
        `${outputs.get(c)!.equals(outputs.get(1)!) ? 'yes' : 'NO'} |`,
    );
  }
  return out.join('\n');
}

/** Runs the benchmark on `rows` rows; returns its table (markdown). */
export async function benchSklearnBatch(rows: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-bench-'));
  const out: BatchRow[] = [];
  const loadBefore = load();
  let sklearn: string;
  let workersTable: string;
  try {
    const python = await runPython(dir, rows);
    sklearn = python.sklearn;
    const data = await readF64(path.join(dir, 'X.f64'));
    const x = makeTensor({ dtype: 'float64', shape: [rows, FEATURES], data });
    const warmRows = Math.min(WARM_UP_ROWS, rows);
    const warmUp = makeTensor({ dtype: 'float64', shape: [warmRows, FEATURES], data: data.subarray(0, warmRows * FEATURES) });
    for (const m of MODELS) {
      const est = await loadSklearnEstimator(path.join(dir, `${m.name}.pkl`));
      // Python's side warms up once; V8 needs a few calls before its optimizing compiler has
      // compiled every hot loop (a first call on 1M rows runs its loops unoptimized until then)
      for (let i = 0; i < WARM_UP_CALLS; i++) callMethod(est, 'predict', warmUp);
      const oursSeconds: number[] = [];
      const oursCpu: number[] = [];
      let pred = callMethod(est, 'predict', warmUp);
      for (let r = 0; r < m.repeats; r++) {
        const start = performance.now();
        const startCpu = process.cpuUsage();
        pred = callMethod(est, 'predict', x);
        oursSeconds.push((performance.now() - start) / 1000);
        const used = process.cpuUsage(startCpu);
        oursCpu.push((used.user + used.system) / 1e6);
      }
      const expected = await readF64(path.join(dir, `${m.name}.pred.f64`));
      let agree = 0;
      for (let i = 0; i < rows; i++) if (Number(pred.data[i]) === expected[i]) agree++;
      out.push({ label: m.label, rows, pythonSeconds: python[m.name], pythonCpu: python[`${m.name}_cpu`], oursSeconds, oursCpu, agree });
    }
    workersTable = await benchWorkers(dir, data, Math.min(rows, WORKER_ROWS));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const lines = [
    `${rows.toLocaleString('en-US')} rows x ${FEATURES} float64 features, predict only, single-threaded on both sides, median of ${REPEATS} ` +
      `(LogisticRegression: of ${MODELS[0].repeats}) (Python: scikit-learn ${sklearn} from ${PYTHON}, OMP_NUM_THREADS=1; the models trained ` +
      `and pickled by it); load average ${loadBefore} before, ${load()} after`,
    '',
    '| model | rows | scikit-learn rows/s | mlflow-ts rows/s | mlflow-ts vs scikit-learn | CPU µs/row scikit-learn / mlflow-ts | by CPU time | predictions agreeing |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of out) {
    const py = r.rows / median(r.pythonSeconds);
    const ours = r.rows / median(r.oursSeconds);
    const pyCpu = (median(r.pythonCpu) / r.rows) * 1e6;
    const oursCpu = (median(r.oursCpu) / r.rows) * 1e6;
    lines.push(
      `| ${r.label} | ${r.rows} | ${py.toFixed(0)} | ${ours.toFixed(0)} | ${(ours / py).toFixed(2)}x | ${pyCpu.toFixed(3)} / ${oursCpu.toFixed(3)} | ` +
        `${(pyCpu / oursCpu).toFixed(2)}x | ${r.agree}/${r.rows} |`,
    );
  }
  return [...lines, workersTable].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${await benchSklearnBatch(Number(process.argv[2] ?? 1_000_000))}\n`);
}

// XGBoost, LightGBM and ONNX: native batch predict against each library's own single-threaded
// predict, measured in the same run, and 1-row serving of a 100-tree model of each.
//   - XGBoost: Debian's python3-xgboost 1.7.4 (Booster.predict on a DMatrix, nthread=1) vs
//     readXGBoostModel(...).predict on the same 1M rows (binary:logistic, 100 trees, depth 6).
//   - LightGBM: lightgbm 4.7 from the wheelhouse venv (BOOSTERS_VENV, default /work/venvs/boosters;
//     skipped with a message when absent), Booster.predict(num_threads=1) vs readLightGBMModel.
//   - ONNX: a 100-tree TreeEnsembleRegressor through the onnx flavor's predict (what the server
//     calls: input conversion, float64 -> float32 cast, outputs) vs onnxruntime-node's session.run.
// Run alone: node --import tsx bench/boosters.ts [ROWS] [SERVING_SECONDS]
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readLightGBMModel } from '../src/boosters/lightgbm/index.js';
import { readXGBoostModel } from '../src/boosters/xgboost/index.js';
import '../src/flavors/index.js';
import { makeTensor, type Tensor } from '../src/frame/tensor.js';
import { loadOrt, sessionOptions } from '../src/flavors/onnx/session.js';
import { loadPredictor } from '../src/pyfunc/index.js';
import { loadServer, startServer, stopServer } from './server-process.js';
import { readF64 } from './sklearn-batch.js';

const SCRIPT = fileURLToPath(new URL('./boosters_ref.py', import.meta.url));
const DEBIAN_PYTHON = '/usr/bin/python3';
const VENV_PYTHON = process.env.BOOSTERS_VENV ? path.join(process.env.BOOSTERS_VENV, 'bin/python') : '/work/venvs/boosters/bin/python';
const FEATURES = 20;
const WARM_UP_CALLS = 5;

/** Wall and CPU seconds of one predict call. */
interface Timing { wall: number; cpu: number }

interface Row { label: string; rows: number; refLabel: string; ref: Timing; ours: Timing; maxRelDiff: number }

async function runRef(python: string, lib: string, dir: string, rows: number): Promise<Timing> {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const { stdout } = await promisify(execFile)(python, [SCRIPT, lib, dir, String(rows)], { env, maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout) as { seconds: number; cpu_seconds: number };
  return { wall: r.seconds, cpu: r.cpu_seconds };
}

/** Times fn after warming up with warm; CPU time too, which a loaded machine disturbs less than wall time. */
async function timeIt(fn: () => unknown, warm: () => unknown): Promise<Timing> {
  for (let i = 0; i < WARM_UP_CALLS; i++) await warm();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1e-12, Math.abs(b[i])));
  return m;
}

async function modelDir(root: string, name: string, file: string, data: string, flavor: string): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(dir);
  await copyFile(file, path.join(dir, data));
  await writeFile(path.join(dir, 'MLmodel'), `flavors:\n  ${flavor}\n    data: ${data}\n`);
  return dir;
}

/** 1-row req/s of `mlflow-ts serve` on a model dir, or of the bare node:http server (dir null) as the machine's reference. */
async function oneRowReqPerSec(dir: string | null, seconds: number): Promise<number> {
  const server = await startServer(dir === null ? { kind: 'bare' } : { kind: 'serve', modelDir: dir, runtime: 'native' });
  try {
    const body = JSON.stringify({ inputs: [Array.from({ length: FEATURES }, (_, j) => Math.sin(j + 1))] });
    await loadServer(server, body, 1);
    const r = await loadServer(server, body, seconds);
    if (r.non2xx + r.errors > 0) throw new Error(`serving ${dir}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    return r.requests.total / r.duration;
  } finally {
    await stopServer(server);
  }
}

/** Runs the benchmark on `rows` rows (1-row serving for `servingSeconds` per model); returns its tables (markdown). */
export async function benchBoosters(rows: number, servingSeconds: number): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'mlflow-ts-bench-boosters-'));
  const out: Row[] = [];
  const serving: { label: string; reqPerSec: number }[] = [];
  const notes: string[] = [];
  try {
    serving.push({ label: 'bare node:http (the machine\'s ceiling, same run)', reqPerSec: await oneRowReqPerSec(null, servingSeconds) });
    const warmRows = Math.min(10_000, rows);
    // XGBoost
    const xd = path.join(root, 'xgb');
    await mkdir(xd);
    let xgbSeconds: Timing | null = null;
    try {
      xgbSeconds = await runRef(DEBIAN_PYTHON, 'xgboost', xd, rows);
    } catch (e) {
      notes.push(`XGBoost reference skipped: ${(e as Error).message.split('\n')[0]} (apt-get install python3-xgboost)`);
    }
    if (xgbSeconds !== null) {
      const x = await readF64(path.join(xd, 'X.f64'));
      const m = readXGBoostModel(await readFile(path.join(xd, 'model.ubj')));
      let pred: Float32Array = new Float32Array(0);
      const ours = await timeIt(() => { pred = m.predict(x, rows, FEATURES).data; }, () => m.predict(x.subarray(0, warmRows * FEATURES), warmRows, FEATURES));
      out.push({ label: 'XGBoost binary:logistic, 100 trees depth 6', rows, refLabel: 'xgboost 1.7.4 nthread=1', ref: xgbSeconds, ours, maxRelDiff: maxRelDiff(pred, await readF64(path.join(xd, 'xgboost.pred.f64'))) });
      serving.push({ label: 'xgboost (model.ubj)', reqPerSec: await oneRowReqPerSec(await modelDir(root, 'xgb-model', path.join(xd, 'model.ubj'), 'model.ubj', 'xgboost:'), servingSeconds) });
    }
    // LightGBM (+ the ONNX model its script writes)
    const ld = path.join(root, 'lgb');
    await mkdir(ld);
    let lgbSeconds: Timing | null = null;
    if (existsSync(VENV_PYTHON)) {
      try {
        lgbSeconds = await runRef(VENV_PYTHON, 'lightgbm', ld, rows);
      } catch (e) {
        notes.push(`LightGBM reference failed: ${(e as Error).message.split('\n')[0]}`);
      }
    } else {
      notes.push(`LightGBM and ONNX skipped: no venv python at ${VENV_PYTHON} (set BOOSTERS_VENV to a venv with lightgbm 4.7, onnx, scikit-learn)`);
    }
    if (lgbSeconds !== null) {
      const x = await readF64(path.join(ld, 'X.f64'));
      const m = readLightGBMModel(await readFile(path.join(ld, 'model.lgb')));
      let pred: Float64Array = new Float64Array(0);
      const ours = await timeIt(() => { pred = m.predict(x, rows, FEATURES).data; }, () => m.predict(x.subarray(0, warmRows * FEATURES), warmRows, FEATURES));
      out.push({ label: 'LightGBM binary, 100 trees, 63 leaves', rows, refLabel: 'lightgbm 4.7 num_threads=1', ref: lgbSeconds, ours, maxRelDiff: maxRelDiff(pred, await readF64(path.join(ld, 'lightgbm.pred.f64'))) });
      serving.push({ label: 'lightgbm (model.lgb)', reqPerSec: await oneRowReqPerSec(await modelDir(root, 'lgb-model', path.join(ld, 'model.lgb'), 'model.lgb', 'lightgbm:'), servingSeconds) });

      const od = await modelDir(root, 'onnx-model', path.join(ld, 'trees.onnx'), 'model.onnx', 'onnx:');
      const ort = await loadOrt();
      const session = await ort.InferenceSession.create(path.join(od, 'model.onnx'), sessionOptions(null));
      const p = await loadPredictor(od, { runtime: 'native' });
      // the rows arrive as float64 (as a request's JSON numbers do): both sides make the float32 input
      const feed = (n: number) => ({ X: new ort.Tensor('float32', Float32Array.from(x.subarray(0, n * FEATURES)), [n, FEATURES]) });
      let direct: Record<string, { data: unknown }> = {};
      const ortTiming = await timeIt(async () => { direct = await session.run(feed(rows)); }, () => session.run(feed(warmRows)));
      const input = makeTensor({ dtype: 'float64', shape: [rows, FEATURES], data: x });
      const warm = makeTensor({ dtype: 'float64', shape: [warmRows, FEATURES], data: x.subarray(0, warmRows * FEATURES) });
      let viaFlavor: Record<string, Tensor> = {};
      const oursTiming = await timeIt(async () => { viaFlavor = (await p.predict(input)) as Record<string, Tensor>; }, () => p.predict(warm));
      out.push({ label: 'ONNX TreeEnsembleRegressor, 100 trees depth 6', rows, refLabel: 'onnxruntime-node session.run', ref: ortTiming, ours: oursTiming, maxRelDiff: maxRelDiff(viaFlavor.variable.data as Float32Array, direct.variable.data as Float32Array) });
      await p.close();
      await session.release();
      serving.push({ label: 'onnx (model.onnx)', reqPerSec: await oneRowReqPerSec(od, servingSeconds) });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const lines = [
    `${rows.toLocaleString('en-US')} rows x ${FEATURES} float64 features, predict only, single-threaded on both sides (ONNX: onnxruntime's default intra-op threads, not spinning, on both)`,
    '',
    '| model | rows | reference | reference rows/s (wall / CPU) | mlflow-ts rows/s (wall / CPU) | mlflow-ts vs reference (wall / CPU) | max relative difference |',
    '|---|---|---|---|---|---|---|',
    ...out.map((r) => `| ${r.label} | ${r.rows} | ${r.refLabel} | ${(r.rows / r.ref.wall).toFixed(0)} / ${(r.rows / r.ref.cpu).toFixed(0)} | ` +
      `${(r.rows / r.ours.wall).toFixed(0)} / ${(r.rows / r.ours.cpu).toFixed(0)} | ${(r.ref.wall / r.ours.wall).toFixed(2)}x / ${(r.ref.cpu / r.ours.cpu).toFixed(2)}x | ${r.maxRelDiff.toExponential(1)} |`),
    '',
    `1-row requests to \`mlflow-ts serve\` (autocannon, 16 connections, ${servingSeconds} s each):`,
    '',
    '| model | req/s |',
    '|---|---|',
    ...serving.map((s) => `| ${s.label} | ${s.reqPerSec.toFixed(0)} |`),
    ...notes.map((n) => `\nNote: ${n}`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const seconds = Number(process.argv[3] ?? 5);
  process.stdout.write(`${await benchBoosters(rows, seconds)}\n`);
}

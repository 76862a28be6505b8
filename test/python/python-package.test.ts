// The Python package (python/mlflow_ts) for real: pytest in the virtualenv that
// scripts/install-python-test-deps.sh builds (.venv-py: Ray, Dask, pandas, pyarrow), driving
// `mlflow-ts worker` processes run from source. The expected predictions come from this
// process's own in-process predictor, written to files the pytest suites compare against.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Frame, frameToColumns } from '../../src/frame/index.js';
import { frameToArrow } from '../../src/arrow.js';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { predictionsToFrame } from '../../src/serve/index.js';
import { seededRandom } from '../seeded-random.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const python = join(root, '.venv-py', 'bin', 'python');
const haveVenv = existsSync(python);
const IRIS = join(root, 'examples', 'iris-sklearn');
const PROBA = join(root, 'test', 'fixtures', 'workers', 'iris_logreg_proba');
const DIABETES = join(root, 'test', 'fixtures', 'workers', 'diabetes_linreg');
const BIG_ROWS = 1_000_000;

if (!haveVenv && process.env.CI) {
  throw new Error(`${python} is missing: .ci/run must run scripts/install-python-test-deps.sh before the tests`);
}
if (!haveVenv) {
  console.warn(`Skipping the Python package tests: no ${python} (run scripts/install-python-test-deps.sh)`);
}

/** Columns of uniform random values in the given ranges. */
function randomFrame(names: string[], ranges: [number, number][], rows: number, seed: number): Frame {
  const random = seededRandom(seed);
  const columns = names.map((name, j) => {
    const [lo, hi] = ranges[j];
    const values = new Float64Array(rows);
    for (let i = 0; i < rows; i++) values[i] = lo + (hi - lo) * random();
    return { name, data: { kind: 'number' as const, dtype: 'float64' as const, values } };
  });
  return new Frame(columns, rows);
}

const IRIS_COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const IRIS_RANGES: [number, number][] = [[4, 8], [2, 4.5], [1, 7], [0.1, 2.5]];
const DIABETES_COLUMNS = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'];

async function predictInProcess(uri: string, input: Frame): Promise<Frame> {
  const predictor = await loadPredictor(uri, { runtime: 'native' });
  try {
    return predictionsToFrame(await predictor.predict(input));
  } finally {
    await predictor.close();
  }
}

/** Newest modification time of the files under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * How the Python side runs mlflow-ts: the build (`npm test` builds before vitest) when it is newer
 * than the sources, since a worker then starts in a third of the time; else the sources via tsx.
 */
function mlflowTsCommand(): string {
  const built = join(root, 'dist', 'cli', 'main.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(root, 'src'))) {
    return `${process.execPath} ${join(root, 'bin', 'mlflow-ts.js')}`;
  }
  return `${process.execPath} --import ${import.meta.resolve('tsx')} ${join(root, 'test', 'cli', 'run-cli.ts')}`;
}

function runPytest(dataDir: string, file: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', join(root, 'test', 'python', file)], {
    cwd: root,
    env: {
      ...process.env,
      MLFLOW_TS_BIN: mlflowTsCommand(),
      MLFLOW_TS_TEST_DATA: dataDir,
      PYTHONPATH: join(root, 'python'),
      // Ray's usage report and dashboard would try the network or extra processes.
      RAY_USAGE_STATS_ENABLED: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe.skipIf(!haveVenv)('the mlflow_ts Python package (pytest in .venv-py)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mlflow-ts-py-'));
    const small = randomFrame(IRIS_COLUMNS, IRIS_RANGES, 37, 7);
    const diabetes = randomFrame(DIABETES_COLUMNS, DIABETES_COLUMNS.map((): [number, number] => [-0.1, 0.1]), 23, 11);
    const expected = {
      iris_input: frameToColumns(small),
      iris_labels: frameToColumns(await predictInProcess(IRIS, small)).predictions,
      proba: frameToColumns(await predictInProcess(PROBA, small)),
      diabetes_input: frameToColumns(diabetes),
      diabetes: frameToColumns(await predictInProcess(DIABETES, diabetes)).predictions,
    };
    await writeFile(join(dataDir, 'small.json'), JSON.stringify(expected));
    const big = randomFrame(IRIS_COLUMNS, IRIS_RANGES, BIG_ROWS, 13);
    await writeFile(join(dataDir, 'iris_big.arrow'), tableToIPC(frameToArrow(big), 'file'));
    await writeFile(join(dataDir, 'iris_big_expected.arrow'), tableToIPC(frameToArrow(await predictInProcess(IRIS, big)), 'file'));
  });

  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  for (const [name, file, timeout] of [
    ['the Worker client: round trips, error frames, reuse', 'test_worker_client.py', 120_000],
    ["spark_udf's batch function over pandas iterators, as Spark calls it", 'test_spark_udf.py', 120_000],
    [`Ray Data on a local 2-CPU cluster, ${BIG_ROWS} rows`, 'test_ray.py', 300_000],
    [`Dask's multiprocessing scheduler, ${BIG_ROWS} rows`, 'test_dask.py', 240_000],
  ] as const) {
    it(name, async () => {
      const { code, output } = await runPytest(dataDir, file);
      // pytest's own summary (and any failure) in the test log.
      console.log(output.trim().split('\n').slice(-25).join('\n'));
      expect(code, output).toBe(0);
    }, timeout);
  }
});

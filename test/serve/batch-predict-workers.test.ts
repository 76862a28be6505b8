import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { saveModel } from '../../src/flavors/sklearn/index.js';
import { loadPredictor, type Predictor } from '../../src/pyfunc/index.js';
import { batchPredict, type BatchOutputFormat } from '../../src/serve/index.js';
import { workersWhileLoading, type BatchPredictOptions } from '../../src/serve/batch-predict.js';
import { seededRandom } from '../seeded-random.js';
import { writeJsModuleModel } from './js-module-model.js';

const IRIS_JS = fileURLToPath(new URL('../fixtures/serve/iris-strict', import.meta.url));
const FOREST_PICKLE = fileURLToPath(new URL('../fixtures/sklearn/extra_trees_classifier_iris/model.p4.pkl', import.meta.url));
const HEADER = 'sepal_length,sepal_width,petal_length,petal_width';

/** `n` random iris-like rows as CSV. */
function csvRows(n: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const lines = [HEADER];
  for (let i = 0; i < n; i++) lines.push([4 + rnd() * 4, 2 + rnd() * 2.5, 1 + rnd() * 6, rnd() * 2.5].map((v) => v.toFixed(2)).join(','));
  return lines;
}

async function failure(p: Promise<unknown>): Promise<MlflowError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MlflowError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

// `models predict --workers`: the same bytes as one thread, for every output format, and the same
// errors (no timing here: the speed is measured by bench/sklearn-batch.ts)
describe('batchPredict with worker threads', () => {
  let dir: string;
  const models: Record<string, { uri: string; predictor: Predictor }> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batch-workers-'));
    const forest = join(dir, 'forest');
    await saveModel(forest, { pickle: FOREST_PICKLE, onWarning: () => undefined });
    for (const [name, uri] of [['js_function', IRIS_JS], ['sklearn', forest]]) models[name] = { uri, predictor: await loadPredictor(uri) };
    await writeFile(join(dir, 'rows.csv'), `${csvRows(20_000, 5).join('\n')}\n`);
  });
  afterAll(async () => {
    for (const m of Object.values(models)) await m.predictor.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(model: string, format: BatchOutputFormat, workers: number, input = join(dir, 'rows.csv')): Promise<Buffer> {
    const { predictor } = models[model];
    const output = join(dir, `out-${model}-${workers}.${format}`);
    const progress: number[] = [];
    const { rows } = await batchPredict(predictor, {
      input, output, contentType: 'csv', outputFormat: format, batchRows: 1_500, workers, workerModel: { options: {} }, waitForWorkers: true,
      onProgress: (n) => progress.push(n),
    });
    // every batch reported once, in order
    expect(progress).toEqual(Array.from({ length: Math.ceil(rows / 1_500) }, (_, i) => Math.min(rows, (i + 1) * 1_500)));
    return readFile(output);
  }

  // each case starts its threads, which under vitest load the sources through tsx: a few cases only
  it.each([
    ['sklearn', 'json'], ['sklearn', 'parquet'], ['js_function', 'csv'],
  ] as const)('%s model, %s output: 2 threads write what 1 thread writes, byte for byte', async (model, format) => {
    const one = await run(model, format, 1);
    const two = await run(model, format, 2);
    expect(two.equals(one)).toBe(true);
    if (format === 'json') {
      const { predictions } = JSON.parse(one.toString('utf8')) as { predictions: unknown[] };
      expect(predictions.length).toBe(20_000);
    }
  });

  it('a CSV file that cannot be cut at line ends (it holds a quote) is read here and scored by the threads, the same bytes out', async () => {
    const lines = csvRows(5_000, 6);
    lines[0] = lines[0].split(',').map((n) => `"${n}"`).join(',');
    const input = join(dir, 'quoted.csv');
    await writeFile(input, `${lines.join('\n')}\n`);
    expect((await run('sklearn', 'json', 2, input)).equals(await run('sklearn', 'json', 1, input))).toBe(true);
  });

  it('threads score the batches (each thread its own model copy)', async () => {
    // A js_function model that answers each row with the id of the thread that scored it. Each
    // thread takes the next batch when it is free: so that both take some however the threads
    // are scheduled, this thread's predict waits (up to 30 s) until a worker thread has scored one.
    const model = await writeJsModuleModel(
      join(dir, 'thread-ids'),
      'thread_ids.mjs',
      [
        "import { existsSync, writeFileSync } from 'node:fs';",
        "import { threadId } from 'node:worker_threads';",
        "const marker = new URL('./scored-in-a-thread', import.meta.url);",
        'const pause = new Int32Array(new SharedArrayBuffer(4));',
        'function wait() {',
        '  if (threadId !== 0) writeFileSync(marker, "");',
        '  else for (let i = 0; i < 3000 && !existsSync(marker); i++) Atomics.wait(pause, 0, 0, 10);',
        '}',
        'export async function loadModel() { return { predict: (df) => { wait(); return Array.from({ length: df.numRows }, () => threadId); } }; }',
        '',
      ].join('\n'),
    );
    models['thread-ids'] = { uri: model, predictor: await loadPredictor(model) };
    const { predictions } = JSON.parse((await run('thread-ids', 'json', 2)).toString('utf8')) as { predictions: number[] };
    // CSV from a file: this thread (id 0) is one of the two, and both take some
    expect(predictions.length).toBe(20_000);
    expect(new Set(predictions)).toEqual(new Set([0, predictions.find((id) => id !== 0)]));
    expect(new Set(predictions).size).toBe(2);
  });

  it("a batch failing in a thread is reported as one thread reports it, and no output is left", async () => {
    const lines = csvRows(9_000, 8);
    lines[7_777] = 'abc,3.5,1.4,0.2'; // data row 7,777: in batch 6 (rows 7501-9000)
    const input = join(dir, 'bad.csv');
    await writeFile(input, `${lines.join('\n')}\n`);
    const errs = [];
    for (const workers of [1, 2]) errs.push(await failure(run('sklearn', 'json', workers, input)));
    // A text cell makes the batch's column text, so the batch's rows are named, not a wrong row.
    expect(errs[0].message).toContain(`rows 7501-9000 of '${input}'`);
    expect(errs[1].message).toBe(errs[0].message);
    expect(errs[1].errorCode).toBe(errs[0].errorCode);
  });

  it('a read error after the batches scored in threads is the error, as with one thread', async () => {
    const lines = csvRows(6_000, 9);
    lines[5_000] = `${lines[5_000]},9,9`; // a ragged line in batch 4
    const input = join(dir, 'ragged.csv');
    await writeFile(input, `${lines.join('\n')}\n`);
    const errs = [];
    for (const workers of [1, 2]) errs.push(await failure(run('sklearn', 'csv', workers, input)));
    expect(errs[0].message).toMatch(/Expected 4 fields in line 5001/);
    expect(errs[1].message).toBe(errs[0].message);
  });
  it('threads started while the model loads (a CSV file over 1 MiB) are the ones that score it, the same bytes out', async () => {
    const input = join(dir, 'large.csv');
    await writeFile(input, `${csvRows(70_000, 10).join('\n')}\n`);
    const outputs: Buffer[] = [];
    for (const workers of [1, 2]) {
      const output = join(dir, `large-${workers}.json`);
      const options: BatchPredictOptions = { input, output, contentType: 'csv', batchRows: 5_000, workers, workerModel: { options: {} }, waitForWorkers: true };
      const predictor = await loadPredictor(models.sklearn.uri, { onLoadStart: workersWhileLoading(options) });
      const started = options.startedWorkers;
      // one thread: none started; two: one, already loading as the predictor returns, and already
      // given the file's ranges (cut before this thread loaded the model)
      expect(started?.count).toBe(workers === 1 ? undefined : 1);
      const early = options.cutWhileLoading?.outcomes;
      expect(early?.pool).toBe(started);
      expect(early?.split.ranges.length).toBe(workers === 1 ? undefined : 14);
      try {
        await batchPredict(predictor, options);
      } finally {
        await predictor.close();
      }
      if (early) expect(early.inThread.some((t) => t)).toBe(true);
      outputs.push(await readFile(output));
    }
    expect(outputs[1].equals(outputs[0])).toBe(true);
    // JSON input is not cut: threads are not started for it
    const options: BatchPredictOptions = { input, contentType: 'json', workers: 2, workerModel: { options: {} } };
    await workersWhileLoading(options)(models.sklearn.uri, 'sklearn');
    expect(options.startedWorkers).toBeUndefined();
  });

  it('threads started for another flavor than the model loaded with are dropped, with what they took: the file is cut again, the same bytes out', async () => {
    const input = join(dir, 'large.csv');
    const output = join(dir, 'large-other.json');
    const options: BatchPredictOptions = { input, output, contentType: 'csv', batchRows: 5_000, workers: 2, workerModel: { options: {} }, waitForWorkers: true };
    // as if the first flavor tried had refused the model and another had loaded it
    await workersWhileLoading(options)(models.sklearn.uri, 'js_function');
    const dropped = options.startedWorkers!;
    const close = vi.spyOn(dropped, 'close');
    await batchPredict(models.sklearn.predictor, options);
    expect(close).toHaveBeenCalled();
    expect((await readFile(output)).equals(await readFile(join(dir, 'large-1.json')))).toBe(true);
  });
});

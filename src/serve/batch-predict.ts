import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { MlflowError } from '../errors.js';
import type { Params, PredictInput, PredictOutput } from '../flavors/flavor.js';
import {
  createFrameWriter, frameToCsv, parseJsonRequest, PREDICTION_LIST_PREFIX as PREFIX, PREDICTION_LIST_SUFFIX as SUFFIX, predictionListItems,
  readFrameBatches, sliceFrame, type Frame,
} from '../frame/index.js';
import { readCsvRange } from '../frame/batch-read.js';
import { splitCsvFile } from '../frame/csv-split.js';
import { lineByteOffset, rowOriginOf } from '../frame/row-origin.js';
import { firstInvalidUtf8 } from '../frame/utf8-position.js';
import { castToSchema, schemaReading, type Predictor } from '../pyfunc/index.js';
import { toBatchOutput, type BatchOutput } from './batch-output.js';
import { PredictWorkers, type RangeResult, type WorkerModel, type WorkerSetup } from './predict-workers.js';
import { RangeOutcomes } from './range-outcomes.js';
import type { ProgressReporter } from './progress.js';
import { DEFAULT_BATCH_ROWS } from './defaults.js';

/** How the input is written: MLflow's `-t` (json: a scoring request document; csv) plus table formats. */
export type BatchInputFormat = 'json' | 'csv' | 'parquet' | 'jsonl' | 'arrow';
/** json: MLflow's `{"predictions": [...]}`; csv and parquet: the predictions as a table. */
export type BatchOutputFormat = 'json' | 'csv' | 'parquet';

export interface BatchPredictOptions {
  /** Input file; stdin when absent. */
  input?: string;
  /** Output file; stdout when absent. */
  output?: string;
  contentType: BatchInputFormat;
  /** Default json, as MLflow writes whatever the output file is named; csv and parquet only when asked. */
  outputFormat?: BatchOutputFormat;
  /** Rows scored per predict call for table input. */
  batchRows?: number;
  /**
   * Worker threads scoring the batches of table input (default 1: this thread). Each loads the
   * model as `workerModel` says; the predictions are written in input order, as one thread writes
   * them. A model on the Python bridge (which has its own worker processes) and input that is a
   * single batch are scored in this thread.
   */
  workers?: number;
  workerModel?: WorkerModel;
  /**
   * Until the threads have loaded the model, batches are scored in this thread; with this set,
   * every batch after the first waits for the threads instead (tests, and measuring the threads).
   */
  waitForWorkers?: boolean;
  /**
   * Threads workersWhileLoading started while the model loaded: taken when they are the ones
   * the input needs, else closed.
   */
  startedWorkers?: PredictWorkers;
  /**
   * The CSV file as workersWhileLoading cut it before this thread loaded the model (undefined
   * when it could not be cut), with `startedWorkers` already taking its ranges.
   */
  cutWhileLoading?: { outcomes?: RangeOutcomes };
  onProgress?: ProgressReporter;
}

/** A CSV file this large is likely several batches: its threads are worth starting before it is cut. */
const EARLY_WORKERS_MIN_BYTES = 1 << 20;

/**
 * `models predict --workers N` on a CSV file: the N - 1 threads that will read and score its
 * batches can load the model while this thread loads it, rather than after. The returned hook
 * (loadPredictor's onLoadStart, awaited before this thread loads the model) starts them into
 * `options.startedWorkers` once the directory and flavor are known, then cuts the file (one pass
 * of this thread, which no thread could score meanwhile) while they load, so that they start on
 * its ranges as soon as they have the model, while this thread loads it in turn
 * (`options.cutWhileLoading`); a no-op for other input, one worker, or a small file.
 */
export function workersWhileLoading(options: BatchPredictOptions): (modelDir: string, flavor: string) => Promise<void> {
  const workers = options.workers ?? 1;
  const path = options.input;
  if (workers < 2 || options.contentType !== 'csv' || path === undefined || options.workerModel === undefined) return async () => undefined;
  const size = (() => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  })();
  if (size < EARLY_WORKERS_MIN_BYTES) return async () => undefined;
  return async (modelDir, flavor) => {
    if (options.startedWorkers !== undefined || flavor === 'python_function') return;
    const pool = new PredictWorkers(workers - 1, csvWorkerSetup(options, modelDir, flavor));
    options.startedWorkers = pool;
    const split = await splitCsvFile(path, options.batchRows ?? DEFAULT_BATCH_ROWS).catch(() => undefined);
    options.cutWhileLoading = { outcomes: split && new RangeOutcomes(split, pool) };
  };
}

/** What the threads reading the CSV file `options.input` are started with. */
function csvWorkerSetup(options: BatchPredictOptions, modelDir: string, flavor: string): WorkerSetup {
  return { ...options.workerModel!, modelDir, flavor, json: (options.outputFormat ?? 'json') === 'json', csvPath: options.input };
}

export { DEFAULT_BATCH_ROWS };


/**
 * `mlflow-ts models predict`: scores a file (or stdin) and writes the predictions (to a file or
 * stdout). Table input is read, scored and written a batch at a time, so memory follows the
 * batch size, not the file size; a JSON request document is one request, as in MLflow.
 * An output file appears only when every row was scored: the predictions go to a temporary file
 * beside it, renamed into place at the end, so a failure never leaves a half-written file.
 * Errors name the input file and, for table input, the rows of the batch that failed.
 */
export async function batchPredict(predictor: Predictor, options: BatchPredictOptions): Promise<{ rows: number }> {
  const source = options.input === undefined ? 'stdin' : `'${options.input}'`;
  if (options.input !== undefined) await checkInputFile(options.input);
  const format = options.outputFormat ?? 'json';
  const partial = options.output === undefined ? undefined : await partialPathFor(options.output);
  const reading = schemaReading(predictor.metadata.getInputSchema());
  let rows = 0;
  let sink: Sink | undefined;
  const removeOnSignal = partial === undefined ? undefined : removeOnInterrupt(partial);
  try {
    sink = openSink(partial, format);
    if (options.contentType === 'json') {
      const bytes = options.input ? await readFile(options.input) : await readAll(process.stdin);
      // Decoding would silently put U+FFFD in place of bytes that are not UTF-8.
      if (!isUtf8(bytes)) {
        throw new MlflowError(`Cannot read ${source}: it is not valid UTF-8 text (byte offset ${firstInvalidUtf8(bytes)})`, 'BAD_REQUEST');
      }
      const text = bytes.toString('utf8');
      const request = await inFile(source, async () => parseJsonRequest(text, reading));
      const { input, params } = request.format === 'unified_llm' ? splitLlmRequest(request.input, predictor) : request;
      const output = await predictRows(predictor, input, params, source);
      // As MLflow's _predict: an unwrapped (LLM-style) request gets unwrapped predictions.
      await sink.write(toBatchOutput(output, format === 'json', request.format === 'unified_llm'), true);
      rows = 1;
      options.onProgress?.(rows);
    } else {
      rows = await scoreTable(predictor, options, sink, source, reading);
    }
    await sink.close();
    sink = undefined;
    if (partial !== undefined && options.output !== undefined) await rename(partial, options.output);
  } catch (err) {
    await sink?.abort();
    if (partial !== undefined) await rm(partial, { force: true });
    throw err;
  } finally {
    removeOnSignal?.();
    // threads started early and not taken
    await options.startedWorkers?.close();
  }
  return { rows };
}

/** A batch scored (or being scored), waiting to be written. */
interface Queued {
  output: Promise<BatchOutput>;
  rows: number;
  whole: boolean;
}

/**
 * Reads table input a batch at a time, scores each batch and writes its predictions. One batch
 * of lookahead tells the sink whether a batch is the only one. With worker threads (started once
 * a second batch shows the input is not one batch), this thread scores batches itself until every
 * thread has loaded the model, then up to two batches per thread are out at once; predictions are
 * written in input order, and the first failing batch in that order is the error. A read error is
 * raised once the batches read before the one whose read failed, but one, are written, as the
 * one-thread loop raises it (it reads batch k + 1 before it scores batch k).
 */
async function scoreTable(
  predictor: Predictor, options: BatchPredictOptions, sink: Sink, source: string, reading: ReturnType<typeof schemaReading>,
): Promise<number> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const json = (options.outputFormat ?? 'json') === 'json';
  const modelDir = predictor.modelDir;
  const threads = options.workerModel && modelDir !== undefined && predictor.flavor !== 'python_function' ? (options.workers ?? 1) : 1;
  // A CSV file is cut into batches that are read apart (the fast path for plain numbers applies
  // to each), by this thread alone or beside worker threads.
  if (options.contentType === 'csv' && options.input !== undefined) {
    const outcomes = await csvOutcomes(predictor, options, threads);
    if (outcomes) return scoreCsvRanges(predictor, options, sink, reading, outcomes);
  }
  await options.startedWorkers?.close();
  options.startedWorkers = undefined;
  const batches = readFrameBatches(options.input ?? (process.stdin as Readable), options.contentType, { batchRows, ...reading })[
    Symbol.asyncIterator
  ]();
  const nextBatch = (): Promise<IteratorResult<Frame>> => inFile(source, () => batches.next());
  let rows = 0;
  let readRows = 0;
  let pool: PredictWorkers | undefined;
  let ready = false;
  const queue: Queued[] = [];
  const writeQueued = async (keep: number): Promise<void> => {
    while (queue.length > keep) {
      const q = queue.shift()!;
      await sink.write(await q.output, q.whole);
      rows += q.rows;
      options.onProgress?.(rows);
    }
  };
  try {
    let next = await nextBatch();
    let first = true;
    while (!next.done) {
      const batch = next.value;
      try {
        next = await nextBatch();
      } catch (err) {
        await writeQueued(0);
        throw err;
      }
      const whole = first && next.done === true;
      const range: [number, number] = [readRows + 1, readRows + batch.numRows];
      first = false;
      readRows += batch.numRows;
      if (threads > 1 && !whole && pool === undefined) {
        pool = new PredictWorkers(threads, { ...options.workerModel!, modelDir: modelDir!, flavor: predictor.flavor, json });
        pool.ready.then(() => (ready = true), () => undefined);
        if (options.waitForWorkers) await pool?.ready;
      }
      if (pool === undefined) {
        const output = await predictBatch(predictor, batch, source, options.input, range[0]);
        await sink.write(toBatchOutput(output, json), whole);
        rows += batch.numRows;
        options.onProgress?.(rows);
        continue;
      }
      const output = ready
        // A batch a thread fails on is scored again here, which finds and names the row at fault
        // exactly as one thread does.
        ? pool.score(batch).catch(async (err: unknown) => {
          await predictBatch(predictor, batch, source, options.input, range[0]);
          // It scored here: the thread's failure was the thread's own, named by the batch's rows.
          throw failedToPredict(`rows ${range[0]}-${range[1]} of ${source}`, err);
        })
        : predictBatch(predictor, batch, source, options.input, range[0]).then((o) => toBatchOutput(o, json));
      // awaited in turn below; a failure before then must not count as unhandled
      output.catch(() => undefined);
      queue.push({ output, rows: batch.numRows, whole });
      // while the threads load, this thread scored the batch: a failure to start them shows here
      if (!ready) await Promise.race([pool.ready, new Promise((resolve) => setImmediate(resolve))]);
      await writeQueued(ready ? 2 * threads - 1 : 0);
    }
    await writeQueued(0);
  } finally {
    await pool?.close();
  }
  return rows;
}

/**
 * Table input from a CSV file splitCsvFile could cut: this thread and `threads - 1` worker
 * threads each read (tokenize, type) and score whole batches, so neither the reading nor the
 * scoring is left to one thread. Each takes the next batch when it is free (RangeClaims), so
 * until the threads have loaded the model this thread scores every batch, and at the end no
 * thread waits on another's queue. Predictions are written in input order. The errors are one
 * thread's, in its order: a batch's read error once the batches before it, but one, are written
 * (one thread reads batch k + 1 before it scores batch k), a batch's predict error naming the row
 * at fault (a batch a thread fails on is scored again here to find it).
 */
async function scoreCsvRanges(
  predictor: Predictor, options: BatchPredictOptions, sink: Sink, reading: ReturnType<typeof schemaReading>, outcomes: RangeOutcomes,
): Promise<number> {
  const path = options.input!;
  const source = `'${path}'`;
  const json = (options.outputFormat ?? 'json') === 'json';
  const { ranges, layout } = outcomes.split;
  const { claims, results, inThread, pool } = outcomes;
  const firstRows: number[] = [];
  for (let k = 0, row = 1; k < ranges.length; row += ranges[k++].rows) firstRows.push(row);
  const readHere = (k: number): Promise<Frame> => readCsvRange(path, ranges[k], layout, reading);
  const scoreHere = async (k: number): Promise<RangeResult> => {
    let batch;
    try {
      batch = await readHere(k);
    } catch (err) {
      return { readError: err as Error };
    }
    try {
      return { output: toBatchOutput(await predictBatch(predictor, batch, source, path, firstRows[k]), json) };
    } catch (err) {
      return { predictError: err as Error };
    }
  };
  let rows = 0;
  try {
    if (options.waitForWorkers) await pool?.ready;
    for (let k = 0; k < ranges.length; k++) {
      // Batch k is written (or its error raised) once batches k and k + 1 are done, as the
      // one-pass reader reads batch k + 1 before it scores batch k. Meanwhile this thread scores
      // the next batch not taken, or waits for a thread's.
      while (results[k] === undefined || (k + 1 < ranges.length && results[k + 1] === undefined)) {
        if (outcomes.failure) throw outcomes.failure;
        const next = claims.claim();
        if (next !== undefined) {
          results[next] = await scoreHere(next);
          inThread[next] = false;
        } else {
          await outcomes.next();
        }
      }
      const result = results[k]!;
      results[k] = undefined;
      const after = results[k + 1];
      if ('readError' in result) throw namingSource(result.readError, source);
      if (after && 'readError' in after) throw namingSource(after.readError, source);
      if ('predictError' in result) {
        if (!inThread[k]) throw result.predictError;
        // scored again here, which finds and names the row at fault exactly as one thread does
        await predictBatch(predictor, await readHere(k), source, path, firstRows[k]);
        throw failedToPredict(`rows ${firstRows[k]}-${firstRows[k] + ranges[k].rows - 1} of ${source}`, result.predictError);
      }
      await sink.write(result.output, false);
      claims.written(k + 1);
      rows += ranges[k].rows;
      options.onProgress?.(rows);
    }
  } finally {
    await pool?.close();
  }
  return rows;
}

/**
 * The CSV file `options.input` cut into ranges for this thread and `threads - 1` worker threads,
 * undefined when it cannot be cut: as workersWhileLoading cut it, with the threads it started,
 * when those load the model this thread has; else cut now (those threads, and what they scored,
 * are dropped).
 */
async function csvOutcomes(predictor: Predictor, options: BatchPredictOptions, threads: number): Promise<RangeOutcomes | undefined> {
  const setup = threads > 1 ? csvWorkerSetup(options, predictor.modelDir!, predictor.flavor) : undefined;
  const started = options.startedWorkers;
  const cut = options.cutWhileLoading;
  options.cutWhileLoading = undefined;
  if (setup && started?.serves(setup) && started.count === threads - 1 && cut) {
    options.startedWorkers = undefined;
    if (cut.outcomes) return cut.outcomes;
    await started.close();
    return undefined;
  }
  await started?.close();
  options.startedWorkers = undefined;
  const split = await splitCsvFile(options.input!, options.batchRows ?? DEFAULT_BATCH_ROWS).catch(() => undefined);
  if (split === undefined) return undefined;
  return new RangeOutcomes(split, setup && new PredictWorkers(threads - 1, setup));
}

const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Until the returned function is called, SIGINT, SIGTERM or SIGHUP removes the temporary output
 * file and then ends the process as the signal would have (a handler replaces Node's default
 * exit, so the signal is raised again once the handler is gone).
 */
function removeOnInterrupt(partial: string): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    stop();
    rmSync(partial, { force: true });
    process.kill(process.pid, signal);
  };
  const stop = (): void => {
    for (const s of INTERRUPTS) process.off(s, onSignal);
  };
  for (const s of INTERRUPTS) process.on(s, onSignal);
  return stop;
}

/** MLflow's _split_data_and_params_for_llm_input: the keys the params schema names are params. */
function splitLlmRequest(body: PredictInput, predictor: Predictor): { input: PredictInput; params?: Params } {
  const names = new Set((predictor.metadata.getParamsSchema()?.params ?? []).map((p) => p.name));
  if (names.size === 0) return { input: body };
  const input: Record<string, unknown> = {};
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) (names.has(k) ? params : input)[k] = v;
  return { input, params: params as Params };
}

async function checkInputFile(path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new MlflowError(`The input file '${path}' does not exist`, 'RESOURCE_DOES_NOT_EXIST');
  }
  if (info.isDirectory()) throw new MlflowError(`The input path '${path}' is a directory, not a file`, 'INVALID_PARAMETER_VALUE');
}

/** A temporary path beside `output`, after checking that its directory exists. */
async function partialPathFor(output: string): Promise<string> {
  const dir = dirname(output);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new MlflowError(`Cannot write the output file '${output}': the directory '${dir}' does not exist`, 'INVALID_PARAMETER_VALUE');
  }
  if ((await stat(output).catch(() => undefined))?.isDirectory()) {
    throw new MlflowError(`Cannot write the output file '${output}': it is a directory`, 'INVALID_PARAMETER_VALUE');
  }
  return join(dir, `.${basename(output)}.${process.pid}-${randomBytes(4).toString('hex')}.partial`);
}

/**
 * Scores one parsed input. As `mlflow models predict` reads its input with the model's schema,
 * the server's parse-time cast (ints into a double column, ...) comes first.
 */
async function predictRows(predictor: Predictor, input: PredictInput, params: unknown, source: string): Promise<PredictOutput> {
  try {
    return await castAndPredict(predictor, input, params);
  } catch (err) {
    throw failedToPredict(source, err);
  }
}

async function castAndPredict(predictor: Predictor, input: PredictInput, params?: unknown): Promise<PredictOutput> {
  return predictor.predict(castToSchema(input, predictor.metadata.getInputSchema()), params);
}

function failedToPredict(where: string, err: unknown): MlflowError {
  const code = err instanceof MlflowError ? err.errorCode : 'BAD_REQUEST';
  return new MlflowError(`Failed to predict ${where}: ${messageOf(err)}`, code, { cause: err });
}

/**
 * Scores one batch of a table. When it fails, the row at fault is found by halving the batch
 * (a few more predicts, on the error path only) and named as the file numbers it: the row, the
 * line and byte offset where it starts, and the columns a short row left empty.
 */
async function predictBatch(predictor: Predictor, batch: Frame, source: string, path: string | undefined, firstRow: number): Promise<PredictOutput> {
  try {
    return await castAndPredict(predictor, batch);
  } catch (err) {
    const row = await failingRow(predictor, batch, err);
    // The row is named only when the batch scores without it: a failure that comes from the
    // batch as a whole (a column read as text because of one cell) names the batch's rows.
    if (row === undefined || !(await scoresWithout(predictor, batch, row.at))) {
      throw failedToPredict(`rows ${firstRow}-${firstRow + batch.numRows - 1} of ${source}`, err);
    }
    throw failedToPredict(`row ${firstRow + row.at} of ${source}${await rowPlace(batch, row.at, path)}`, row.error);
  }
}

async function scoresWithout(predictor: Predictor, batch: Frame, at: number): Promise<boolean> {
  if (batch.numRows === 1) return true;
  const rest = at === 0 ? sliceFrame(batch, 1, batch.numRows) : at === batch.numRows - 1 ? sliceFrame(batch, 0, at) : undefined;
  const parts = rest ? [rest] : [sliceFrame(batch, 0, at), sliceFrame(batch, at + 1, batch.numRows)];
  for (const part of parts) {
    try {
      await castAndPredict(predictor, part);
    } catch {
      return false;
    }
  }
  return true;
}

/** A single row of `batch` that fails on its own, with its error; undefined if none does. */
async function failingRow(predictor: Predictor, batch: Frame, batchError: unknown): Promise<{ at: number; error: unknown } | undefined> {
  let from = 0;
  let to = batch.numRows;
  let error = batchError;
  const failure = (a: number, b: number): Promise<unknown> =>
    castAndPredict(predictor, sliceFrame(batch, a, b)).then(() => undefined, (e: unknown) => e ?? new Error(String(e)));
  while (to - from > 1) {
    const mid = from + Math.floor((to - from) / 2);
    const first = await failure(from, mid);
    const second = first === undefined ? await failure(mid, to) : undefined;
    if (first !== undefined) [to, error] = [mid, first];
    else if (second !== undefined) [from, error] = [mid, second];
    else return undefined;
  }
  return to - from === 1 ? { at: from, error } : undefined;
}

/** ` (line L, byte offset B; ...)`: where row `at` of the batch stands in the input file. */
async function rowPlace(batch: Frame, at: number, path: string | undefined): Promise<string> {
  const origin = rowOriginOf(batch);
  const parts: string[] = [];
  const line = origin?.lines?.[at];
  if (line !== undefined) {
    const offset = path === undefined ? undefined : await lineByteOffset(path, line).catch(() => undefined);
    parts.push(offset === undefined ? `line ${line}` : `line ${line}, byte offset ${offset}`);
  }
  const filled = origin?.shortRows?.get(at);
  const names = batch.columnNames;
  if (filled !== undefined) {
    const missing = names.slice(filled);
    parts.push(`the row has ${filled} of ${names.length} fields: ${plural(missing.length, 'column')} ${missing.map((n) => `'${n}'`).join(', ')} missing`);
  } else {
    const empty = batch.columns.filter((c) => isMissing(c.data.values[at])).map((c) => `'${c.name}'`);
    if (empty.length > 0) parts.push(`no value in ${plural(empty.length, 'column')} ${empty.join(', ')}`);
  }
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/** Runs a read of the input; an error that does not name the input is given its name. */
async function inFile<T>(source: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw namingSource(err, source);
  }
}

function namingSource(err: unknown, source: string): MlflowError {
  const message = messageOf(err);
  if (err instanceof MlflowError && message.includes(source)) return err;
  const code = err instanceof MlflowError ? err.errorCode : 'BAD_REQUEST';
  return new MlflowError(`Cannot read ${source}: ${message}`, code, { cause: err });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Sink {
  /** `whole`: these are all the predictions there will be (no batches to join). */
  write(output: BatchOutput, whole: boolean): Promise<void>;
  /** Completes the output (e.g. the closing `]}`). */
  close(): Promise<void>;
  /** After a failure: releases the file without completing it, so no valid-looking result is left. */
  abort(): Promise<void>;
}

function openSink(path: string | undefined, format: BatchOutputFormat): Sink {
  if (format === 'json') return jsonSink(path);
  if (path) {
    const writer = createFrameWriter(path, format);
    return {
      write: (output) => writer.write(frameOf(output)),
      close: () => writer.close(),
      abort: () => writer.close().catch(() => undefined),
    };
  }
  if (format === 'parquet') {
    throw new MlflowError('Parquet output needs an output file (-o)', 'INVALID_PARAMETER_VALUE');
  }
  let first = true;
  return {
    write(output) {
      const text = frameToCsv(frameOf(output), { header: first });
      first = false;
      return writeText(process.stdout, text);
    },
    close: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}

/**
 * MLflow's `{"predictions": [...]}`, streamed: each batch's list items are appended, so the
 * result is what predicting the whole table at once gives. A single batch is written as is,
 * whatever its shape.
 */
function jsonSink(path: string | undefined): Sink {
  const out: Writable = path ? createWriteStream(path) : process.stdout;
  // A write error (disk full, no permission) rejects the write or close waiting on it.
  if (path) out.on('error', () => undefined);
  let state: 'empty' | 'whole' | 'open' = 'empty';
  let hasItems = false;
  return {
    async write(output, whole) {
      if (!('json' in output)) throw new Error('a JSON sink was given a table');
      const { json } = output;
      if (state === 'empty' && whole) {
        state = 'whole';
        return writeText(out, json);
      }
      const items = predictionListItems(json);
      if (items === undefined) {
        throw new MlflowError(
          "The model's predictions are not a list, so the batches of the table cannot be joined;" +
            ' write csv or parquet output, or raise --batch-rows above the row count',
          'INVALID_PARAMETER_VALUE',
        );
      }
      const text = (state === 'empty' ? PREFIX : '') + (hasItems && items ? ', ' : '') + items;
      state = 'open';
      hasItems ||= items !== '';
      return writeText(out, text);
    },
    async close() {
      if (state === 'empty') await writeText(out, PREFIX + SUFFIX);
      else if (state === 'open') await writeText(out, SUFFIX);
      if (out !== process.stdout) {
        out.end();
        await finished(out);
      }
    },
    async abort() {
      if (out === process.stdout) return;
      out.end();
      await finished(out).catch(() => undefined);
    },
  };
}

function frameOf(output: BatchOutput): Frame {
  if (!('frame' in output)) throw new Error('a table sink was given JSON text');
  return output.frame;
}

function writeText(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

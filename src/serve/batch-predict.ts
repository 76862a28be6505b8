import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { MlflowError } from '../errors.js';
import type { PredictOutput } from '../flavors/flavor.js';
import { createFrameWriter, frameToCsv, parseJsonRequest, predictionsToJson, readFrameBatches } from '../frame/index.js';
import type { Predictor } from '../pyfunc/index.js';
import { predictionsToFrame } from './predictions-frame.js';
import type { ProgressReporter } from './progress.js';

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
  /** Default: from the output file's extension (.csv, .parquet), else json. */
  outputFormat?: BatchOutputFormat;
  /** Rows scored per predict call for table input. */
  batchRows?: number;
  onProgress?: ProgressReporter;
}

export const DEFAULT_BATCH_ROWS = 10_000;

const PREFIX = '{"predictions": [';
const SUFFIX = ']}';

/**
 * `mlflow-ts models predict`: scores a file (or stdin) and writes the predictions (to a file or
 * stdout). Table input is read, scored and written a batch at a time, so memory follows the
 * batch size, not the file size; a JSON request document is one request, as in MLflow.
 */
export async function batchPredict(predictor: Predictor, options: BatchPredictOptions): Promise<{ rows: number }> {
  const sink = openSink(options.output, options.outputFormat ?? outputFormatOf(options.output));
  let rows = 0;
  try {
    if (options.contentType === 'json') {
      const text = options.input ? await readFile(options.input, 'utf8') : await readAll(process.stdin);
      const { input, params } = parseJsonRequest(text);
      await sink.write(await predictor.predict(input, params), true);
      rows = 1;
      options.onProgress?.(rows);
    } else {
      const source = options.input ?? (process.stdin as Readable);
      const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
      // One batch of lookahead tells the sink whether a batch is the only one.
      const batches = readFrameBatches(source, options.contentType, { batchRows })[Symbol.asyncIterator]();
      let next = await batches.next();
      let first = true;
      while (!next.done) {
        const batch = next.value;
        next = await batches.next();
        await sink.write(await predictor.predict(batch), first && next.done === true);
        first = false;
        rows += batch.numRows;
        options.onProgress?.(rows);
      }
    }
  } finally {
    await sink.close();
  }
  return { rows };
}

interface Sink {
  /** `whole`: these are all the predictions there will be (no batches to join). */
  write(output: PredictOutput, whole: boolean): Promise<void>;
  close(): Promise<void>;
}

function openSink(path: string | undefined, format: BatchOutputFormat): Sink {
  if (format === 'json') return jsonSink(path);
  if (path) {
    const writer = createFrameWriter(path, format);
    return { write: (output) => writer.write(predictionsToFrame(output)), close: () => writer.close() };
  }
  if (format === 'parquet') {
    throw new MlflowError('Parquet output needs an output file (-o)', 'INVALID_PARAMETER_VALUE');
  }
  let first = true;
  return {
    write(output) {
      const text = frameToCsv(predictionsToFrame(output), { header: first });
      first = false;
      return writeText(process.stdout, text);
    },
    close: () => Promise.resolve(),
  };
}

/**
 * MLflow's `{"predictions": [...]}`, streamed: each batch's list items are appended, so the
 * result is what predicting the whole table at once gives. A single batch is written as is,
 * whatever its shape.
 */
function jsonSink(path: string | undefined): Sink {
  const out: Writable = path ? createWriteStream(path) : process.stdout;
  let state: 'empty' | 'whole' | 'open' = 'empty';
  let hasItems = false;
  return {
    async write(output, whole) {
      const json = predictionsToJson(output);
      if (state === 'empty' && whole) {
        state = 'whole';
        return writeText(out, json);
      }
      if (!json.startsWith(PREFIX) || !json.endsWith(SUFFIX)) {
        throw new MlflowError(
          "The model's predictions are not a list, so the batches of the table cannot be joined;" +
            ' write csv or parquet output, or raise --batch-rows above the row count',
          'INVALID_PARAMETER_VALUE',
        );
      }
      const items = json.slice(PREFIX.length, -SUFFIX.length);
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
  };
}

function writeText(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The output format an output file's extension names; json otherwise (and for stdout). */
export function outputFormatOf(path: string | undefined): BatchOutputFormat {
  const ext = path ? extname(path).toLowerCase() : '';
  if (ext === '.csv') return 'csv';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  return 'json';
}

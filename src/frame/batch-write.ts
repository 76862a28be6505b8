import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { MlflowError } from '../errors.js';
import { frameToCsv } from './csv-write.js';
import type { Frame } from './frame.js';
import type { BatchFormat } from './batch-read.js';
import { frameRowsToJson } from './predictions-json.js';

/** Writes Frames one after another into one output file. */
export interface FrameWriter {
  write(frame: Frame): Promise<void>;
  close(): Promise<void>;
}

/**
 * A writer of batches of predictions (or any Frames) to `path`:
 * - csv: as pandas' to_csv(index=False), the header once;
 * - json: MLflow's `{"predictions": [records...]}` (what `mlflow models predict` writes);
 * - jsonl: one record per line, written as Python's json.dumps writes it;
 * - parquet: one file, row groups as the batches come;
 * - arrow: an Arrow IPC file.
 * Each batch goes to disk as it comes.
 */
export function createFrameWriter(path: string, format: BatchFormat): FrameWriter {
  switch (format) {
    case 'csv':
      return new TextFrameWriter(path, (f, first) => frameToCsv(f, { header: first }), '', '');
    case 'jsonl':
      return new TextFrameWriter(path, (f) => recordsLines(f), '', '');
    case 'json':
      return new TextFrameWriter(path, jsonRecords, '{"predictions": [', ']}');
    case 'parquet':
      return parquetWriter(path);
    case 'arrow':
      return arrowWriter(path);
  }
}

function jsonRecords(frame: Frame, first: boolean): string {
  return frame.numRows === 0 ? '' : (first ? '' : ', ') + frameRowsToJson(frame).join(', ');
}

function recordsLines(frame: Frame): string {
  return frame.numRows === 0 ? '' : frameRowsToJson(frame).join('\n') + '\n';
}

class TextFrameWriter implements FrameWriter {
  private readonly out: WriteStream;
  /** No row has been written yet (decides the CSV header and the JSON separator). */
  private first = true;
  private failure?: Error;

  constructor(
    path: string,
    private readonly render: (frame: Frame, first: boolean) => string,
    prefix: string,
    private readonly suffix: string,
  ) {
    this.out = createWriteStream(path);
    this.out.on('error', (e) => (this.failure = e));
    if (prefix) this.out.write(prefix);
  }

  async write(frame: Frame): Promise<void> {
    if (this.failure) throw this.failure;
    const text = this.render(frame, this.first);
    if (frame.numRows > 0 || text) this.first = false;
    if (text && !this.out.write(text)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    this.out.end(this.suffix);
    await once(this.out, 'finish');
    if (this.failure) throw this.failure;
  }
}

/**
 * Parquet and Arrow writers are made when the first batch comes, with their libraries loaded
 * then: importing mlflow-ts stays fast. A failure to start is reported by write and close.
 */
function lazily<T>(start: () => Promise<T>): () => Promise<T> {
  let started: Promise<T> | undefined;
  return () => (started ??= start());
}

function parquetWriter(path: string): FrameWriter {
  const writer = lazily(async () => {
    const [{ fileWriter }, { ParquetFrameWriter }] = await Promise.all([import('hyparquet-writer'), import('./parquet.js')]);
    return new ParquetFrameWriter(fileWriter(path));
  });
  return {
    write: async (frame) => (await writer()).write(frame),
    close: async () => (await writer()).close(),
  };
}

function arrowWriter(path: string): FrameWriter {
  const arrow = lazily(async () => {
    const [{ RecordBatchFileWriter }, { frameToArrow }] = await Promise.all([import('apache-arrow'), import('./arrow.js')]);
    const writer = new RecordBatchFileWriter();
    const out = createWriteStream(path);
    writer.toNodeStream().pipe(out);
    return { writer, out, frameToArrow };
  });
  let schema: string | undefined;
  return {
    write: async (frame) => {
      const { writer, frameToArrow } = await arrow();
      const table = frameToArrow(frame);
      const s = table.schema.fields.map((f) => `${f.name}:${f.type}`).join(',');
      if (schema !== undefined && s !== schema) {
        throw new MlflowError(`Arrow output: a batch has columns [${s}] but the file has [${schema}]`, 'INVALID_PARAMETER_VALUE');
      }
      schema = s;
      // Batches, not the Table: writing a Table starts a new file in apache-arrow.
      for (const batch of table.batches) writer.write(batch);
    },
    close: async () => {
      const { writer, out } = await arrow();
      writer.finish();
      await once(out, 'finish');
    },
  };
}

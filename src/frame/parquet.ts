import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ParquetWriter, schemaFromColumnData, type ColumnSource, type Writer } from 'hyparquet-writer';
import { MlflowError } from '../errors.js';
import { exactInt64 } from './exact-integer.js';
import { Frame, type Column, type ColumnData } from './frame.js';

/**
 * Reads a Parquet file as Frames of at most `batchRows` rows, one row group decoded at a time:
 * memory holds one row group, not the file. Types follow pandas' read_parquet: DOUBLE/FLOAT ->
 * float64/float32 (null -> NaN), INT32/INT64 -> int32/int64 (with nulls -> float64 NaN),
 * BOOLEAN -> bool, strings -> string, timestamps -> datetime, anything nested -> object.
 */
export async function* readParquetBatches(file: AsyncBuffer, batchRows: number): AsyncGenerator<Frame> {
  const metadata = await parquetMetadataAsync(file);
  const leaves = parquetSchema(metadata).children;
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    const groupEnd = groupStart + groupRows;
    const chunks = new Map<string, unknown[]>();
    await parquetRead({
      file,
      metadata,
      compressors,
      rowStart: groupStart,
      rowEnd: groupEnd,
      onComplete: () => undefined,
      onChunk: ({ columnName, columnData, rowStart }) => {
        let col = chunks.get(columnName);
        if (!col) {
          col = new Array<unknown>(groupRows);
          chunks.set(columnName, col);
        }
        for (let i = 0; i < columnData.length; i++) {
          const r = rowStart + i - groupStart;
          if (r >= 0 && r < groupRows) col[r] = columnData[i];
        }
      },
    });
    for (let start = 0; start < groupRows; start += batchRows) {
      const end = Math.min(groupRows, start + batchRows);
      const columns: Column[] = leaves.map((leaf) => {
        const name = leaf.element.name;
        const values = (chunks.get(name) ?? []).slice(start, end);
        return { name, data: parquetColumn(leaf.element, leaf.children.length > 0, values, end - start) };
      });
      yield new Frame(columns, end - start);
    }
    groupStart = groupEnd;
  }
}

function parquetColumn(el: SchemaElement, nested: boolean, values: unknown[], n: number): ColumnData {
  const logical = el.logical_type?.type;
  const converted = el.converted_type;
  const hasNull = values.length < n || values.some((v) => v === null || v === undefined);
  if (nested) return { kind: 'object', values: padded(values, n).map(toPlain) };
  if (logical === 'TIMESTAMP' || converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS') {
    return { kind: 'datetime', values: padded(values, n).map((v) => (v === null ? null : v instanceof Date ? v : new Date(Number(v)))) };
  }
  switch (el.type) {
    case 'DOUBLE':
    case 'FLOAT': {
      const out = el.type === 'FLOAT' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = values[i] === null || values[i] === undefined ? NaN : Number(values[i]);
      return { kind: 'number', dtype: el.type === 'FLOAT' ? 'float32' : 'float64', values: out };
    }
    case 'INT32':
    case 'INT64': {
      const out = new Float64Array(n);
      // With a missing value the column is float64 and rounds as pandas' does; else int64 must be exact.
      const where = `in column '${el.name}'`;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        out[i] = v === null || v === undefined ? NaN : hasNull ? Number(v) : exactInt64(v as number | bigint, where);
      }
      if (hasNull) return { kind: 'number', dtype: 'float64', values: out };
      if (el.type === 'INT32' && converted !== 'UINT_32') return { kind: 'number', dtype: 'int32', values: Int32Array.from(out) };
      return { kind: 'number', dtype: 'int64', values: out };
    }
    case 'BOOLEAN':
      return { kind: 'bool', values: padded(values, n).map((v) => (v === null ? null : Boolean(v))) };
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY': {
      const vals = padded(values, n);
      if (converted === 'JSON' || logical === 'JSON') {
        return { kind: 'object', values: vals.map((v) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : toPlain(v))) };
      }
      if (vals.every((v) => v === null || typeof v === 'string')) return { kind: 'string', values: vals as (string | null)[] };
      if (vals.every((v) => v === null || v instanceof Uint8Array)) return { kind: 'binary', values: vals as (Uint8Array | null)[] };
      return { kind: 'object', values: vals.map(toPlain) };
    }
    default:
      return { kind: 'object', values: padded(values, n).map(toPlain) };
  }
}

function padded(values: unknown[], n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => (values[i] === undefined ? null : values[i]));
}

function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !ArrayBuffer.isView(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  }
  return v ?? null;
}

/** A Frame's columns as hyparquet-writer takes them, typed as pandas' to_parquet types them. */
export function frameToParquetColumns(frame: Frame): ColumnSource[] {
  return frame.columns.map((c): ColumnSource => {
    const d = c.data;
    switch (d.kind) {
      case 'number':
        switch (d.dtype) {
          case 'float64':
            return { name: c.name, data: d.values as Float64Array, type: 'DOUBLE' };
          case 'float32':
            return { name: c.name, data: d.values as Float32Array, type: 'FLOAT' };
          case 'int64':
          case 'uint64':
          case 'uint32':
            return { name: c.name, data: BigInt64Array.from(d.values, (x) => BigInt(Math.trunc(x))), type: 'INT64' };
          default:
            return { name: c.name, data: Int32Array.from(d.values), type: 'INT32' };
        }
      case 'bool':
        return { name: c.name, data: d.values, type: 'BOOLEAN' };
      case 'string':
        return { name: c.name, data: d.values, type: 'STRING' };
      case 'binary':
        return { name: c.name, data: d.values, type: 'BYTE_ARRAY' };
      case 'datetime':
        return { name: c.name, data: d.values, type: 'TIMESTAMP' };
      case 'object':
        return { name: c.name, data: d.values, type: 'JSON' };
    }
  });
}

/**
 * Writes Frames as one Parquet file, each Frame as row groups, to a hyparquet Writer
 * (hyparquet-writer's fileWriter(path) for a file, ByteWriter for memory). The first Frame fixes
 * the schema; a later Frame with other columns or types is refused.
 */
export class ParquetFrameWriter {
  private writer?: ParquetWriter;
  private signature?: string;

  constructor(
    private readonly sink: Writer,
    private readonly rowGroupRows = 100_000,
  ) {}

  write(frame: Frame): void {
    const columnData = frameToParquetColumns(frame);
    const signature = columnData.map((c) => `${c.name}:${c.type}`).join(',');
    if (!this.writer) {
      this.writer = new ParquetWriter({ writer: this.sink, schema: schemaFromColumnData({ columnData }) });
      this.signature = signature;
    } else if (signature !== this.signature) {
      throw new MlflowError(
        `Parquet output: a batch has columns [${signature}] but the file has [${this.signature}]`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    if (frame.numRows > 0) this.writer.write({ columnData, rowGroupSize: this.rowGroupRows });
  }

  /** Finishes the file (an empty file if no Frame was written has no columns). */
  close(): void {
    if (!this.writer) this.write(new Frame([], 0));
    this.writer!.finish();
  }
}

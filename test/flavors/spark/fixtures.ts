import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { CsvRows, CsvTokenizer } from '../../../src/frame/csv-tokenizer.js';
import { Frame, type Column } from '../../../src/frame/frame.js';

export const SPARK_FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/spark');
export const JPMML = path.join(SPARK_FIXTURES, 'jpmml-sparkml-3.5');

export interface ManifestEntry {
  name: string;
  module: string;
  pipeline_zip: string;
  input: string;
  input_schema: string;
  expected_csv: string | null;
  expected_columns: string[];
}

export function manifest(): ManifestEntry[] {
  return (JSON.parse(readFileSync(path.join(JPMML, 'MANIFEST.json'), 'utf8')) as { pipelines: ManifestEntry[] }).pipelines;
}

/** The fixture's path in our copy (the manifest names the upstream layout `<module>/src/test/resources/...`). */
export function fixturePath(p: string): string {
  return path.join(JPMML, p.replace('/src/test/resources/', '/'));
}

/** Unzips a pipeline into the tests' cache folder (once per content) and returns its directory. */
export function unzipPipeline(zipPath: string): string {
  const bytes = readFileSync(zipPath);
  const dir = path.join(process.env.MLFLOW_TS_CACHE_DIR ?? tmpdir(), 'spark-fixtures', `${path.basename(zipPath, '.zip')}-${bytes.length}`);
  if (existsSync(path.join(dir, '.done'))) return dir;
  const files = unzipSync(bytes);
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('/')) continue;
    const target = path.join(dir, name);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, data);
  }
  writeFileSync(path.join(dir, '.done'), '');
  return dir;
}

export function readCsv(file: string): { header: string[]; rows: string[][] } {
  const rows = new CsvRows();
  const tok = new CsvTokenizer();
  tok.push(readFileSync(file, 'utf8'), rows);
  tok.end(rows);
  const all = Array.from({ length: rows.length }, (_, i) => rows.row(i));
  return { header: all[0], rows: all.slice(1) };
}

interface SchemaField {
  name: string;
  type: string | { class?: string };
}

/** The input CSV typed by its Spark schema (integer -> int32, double -> float64, ...); `N/A` is missing. */
export function inputFrame(csvFile: string, schemaFile: string): Frame {
  const { header, rows } = readCsv(csvFile);
  const fields = (JSON.parse(readFileSync(schemaFile, 'utf8')) as { fields: SchemaField[] }).fields;
  const types = new Map(fields.map((f) => [f.name, f.type]));
  const cols: Column[] = header.map((name, j) => {
    const raw = rows.map((r) => (r[j] === 'N/A' || r[j] === undefined ? null : r[j]));
    const type = types.get(name) ?? 'string';
    // integers as int64, missing values included (pandas' nullable Int64), as Spark's integer columns
    if (type === 'integer') return { name, data: { kind: 'number', dtype: 'int64', values: Float64Array.from(raw, (v) => (v === null ? NaN : Number(v))) } };
    if (type === 'float') return { name, data: { kind: 'number', dtype: 'float32', values: Float32Array.from(raw, (v) => (v === null ? NaN : Number(v))) } };
    if (type === 'double') return { name, data: { kind: 'number', dtype: 'float64', values: Float64Array.from(raw, (v) => (v === null ? NaN : Number(v))) } };
    if (type === 'boolean') return { name, data: { kind: 'bool', values: raw.map((v) => (v === null ? null : v === 'true' || v === '1')) } };
    return { name, data: { kind: 'string', values: raw } };
  });
  return new Frame(cols, rows.length);
}

/** A libsvm file as Spark's reader gives it (the generator cast Iris' label to integer): label and a sparse features vector (1-based indices in the file). */
export function libsvmFrame(file: string, numFeatures: number, integerLabel: boolean): Frame {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const labels = new Float64Array(lines.length);
  const features = lines.map((line, i) => {
    const [label, ...pairs] = line.trim().split(/\s+/);
    labels[i] = Number(label);
    const indices: number[] = [];
    const values: number[] = [];
    for (const p of pairs) {
      const [k, v] = p.split(':');
      indices.push(Number(k) - 1);
      values.push(Number(v));
    }
    return { size: numFeatures, indices, values };
  });
  return new Frame([
    { name: 'label', data: { kind: 'number', dtype: integerLabel ? 'int64' : 'float64', values: labels } },
    { name: 'features', data: { kind: 'object', values: features } },
  ]);
}

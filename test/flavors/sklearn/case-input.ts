import { readFileSync } from 'node:fs';
import { Frame, type Column } from '../../../src/frame/frame.js';
import { makeTensor, type Tensor } from '../../../src/frame/tensor.js';

/** A fixture's case.json (see test/fixtures/sklearn/make.py). */
export interface CaseJson {
  case: string;
  files: Record<string, string>;
  input: { kind: 'ndarray' | 'dataframe' | 'text'; columns: string[] | null; dtypes: Record<string, string> | null; dtype?: string; data: unknown[][] };
  outputs: Record<string, { value: unknown; dtype: string; shape: number[] }>;
  /** Methods scikit-learn raised on for this input, with its message (make_versions.py's raising_cases). */
  errors?: Record<string, string>;
}

/**
 * A case.json as Python's json wrote it: an infinite output value is the bare word Infinity or
 * -Infinity there, which JSON.parse refuses; 1e999 parses as one.
 */
export function readCaseJson(file: string): CaseJson {
  return JSON.parse(readFileSync(file, 'utf8').replace(/(?<=[[,:\s])(-?)Infinity(?=[\],\s}])/g, '$11e999')) as CaseJson;
}

/**
 * The case input as pyfunc hands it over: a Frame for DataFrames, a float64 Tensor for arrays,
 * a 1-D string Tensor for documents (text vectorizers).
 */
export function caseInput(c: CaseJson): Frame | Tensor {
  const rows = c.input.data;
  if (c.input.kind === 'text') return makeTensor({ dtype: 'string', shape: [rows.length], data: rows as unknown as string[] });
  if (c.input.kind === 'ndarray') {
    const cols = rows[0].length;
    // float32 rows (MLflow casts a signature's float columns to float32) stay float32
    const dtype = c.input.dtype === 'float32' ? 'float32' : 'float64';
    const data = dtype === 'float32' ? new Float32Array(rows.length * cols) : new Float64Array(rows.length * cols);
    rows.forEach((r, i) => r.forEach((v, j) => (data[i * cols + j] = v === null ? NaN : (v as number))));
    return makeTensor({ dtype, shape: [rows.length, cols], data });
  }
  const columns: Column[] = c.input.columns!.map((name, j) => {
    const dtype = c.input.dtypes![name];
    if (dtype === 'float64') {
      return { name, data: { kind: 'number', dtype: 'float64', values: Float64Array.from(rows, (r) => (r[j] === null ? NaN : (r[j] as number))) } };
    }
    if (dtype === 'float32') {
      return { name, data: { kind: 'number', dtype: 'float32', values: Float32Array.from(rows, (r) => (r[j] === null ? NaN : (r[j] as number))) } };
    }
    // an int64 column (numpy computes on it in integers): held as float64 values, as our readers do
    if (dtype === 'int64') return { name, data: { kind: 'number', dtype: 'int64', values: Float64Array.from(rows, (r) => r[j] as number) } };
    // an object column of nulls only: pandas makes a column of Nones object (of NaNs float64),
    // as the server reads a one-row request's null
    if (dtype === 'object' && rows.length > 0 && rows.every((r) => r[j] === null)) return { name, data: { kind: 'object', values: rows.map(() => null) } };
    // make.py writes NaN as null ("nan_as_null"): in an object column that is pandas' float NaN,
    // which sklearn tells apart from None.
    const values = rows.map((r) => (r[j] === null ? NaN : r[j]));
    // numbers, dicts or lists among the values: an object column, kept as parsed JSON
    if (values.some((v) => typeof v === 'number' || (typeof v === 'object' && v !== null))) return { name, data: { kind: 'object', values } };
    return { name, data: { kind: 'string', values: values as string[] } };
  });
  return new Frame(columns, rows.length);
}


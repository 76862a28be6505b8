import { MlflowError } from '../../errors.js';
import { Frame } from '../../frame/frame.js';
import { isTensor, type Tensor } from '../../frame/tensor.js';

/** A dense 2-D float64 array in row-major order, as sklearn works on it after check_array. */
export interface Matrix {
  readonly kind: 'matrix';
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  /** Column names when the data came from a DataFrame (sklearn's feature_names_in_ check). */
  readonly names: readonly string[] | null;
  /** 0/1 values numpy holds as bool (a MissingIndicator's mask): returned with dtype bool. */
  readonly bool?: boolean;
  /**
   * numpy holds these values as float32 (each one is a float32): the input rows were float32
   * (MLflow casts a signature's `float` columns to float32) and every step so far kept the dtype,
   * as scikit-learn's dtype-preserving transformers do. Returned with dtype float32.
   */
  readonly f32?: boolean;
  /**
   * Columns numpy holds as int64: a DataFrame's int64 columns (see Table.ints) and what a numpy
   * function that keeps int64 made of them. Every column int64: returned with dtype int64.
   */
  readonly ints?: readonly boolean[];
  /**
   * One column numpy holds as a 1-D array (IsotonicRegression.transform's answer): returned with
   * shape (rows,); a later step's check_array refuses it as 1-D input.
   */
  readonly oneD?: boolean;
  /**
   * numpy holds these as a 3-D array (blocks, rows, cols / blocks), the blocks side by side here
   * (a soft VotingClassifier's transform with flatten_transform=False: each estimator's
   * probabilities): returned with that shape; a later step's check_array refuses it as 3-D input.
   */
  readonly blocks?: number;
}

/** A column of a table: numbers (NaN = missing) or Python-like objects (strings, null). */
export type TableColumn = Float64Array | readonly unknown[];

/** Column-wise data that may hold strings: a DataFrame or an object ndarray. */
export interface Table {
  readonly kind: 'table';
  readonly rows: number;
  readonly columns: readonly TableColumn[];
  readonly names: readonly string[] | null;
  /**
   * A 1-D input held as its one column (a 1-D array of documents, a Series a ColumnTransformer
   * selects by a scalar column): what text vectorizers take; check_array refuses it as 1-D.
   */
  readonly oneD?: boolean;
  /**
   * Columns the DataFrame held as int64 (we hold them as float64), kept while a step passes its
   * columns on as they are: a numpy function on an int64 column computes in integers
   * (np.reciprocal is integer division), which a FunctionTransformer follows.
   */
  readonly ints?: readonly boolean[];
}

/**
 * A scipy CSR matrix (what sklearn's text vectorizers output): row i's values are
 * values[indptr[i]..indptr[i+1]] at columns indices[...], each row's indices sorted.
 */
export interface Csr {
  readonly kind: 'csr';
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
  /**
   * The numpy dtype the values have in sklearn (CountVectorizer counts in int64; a DictVectorizer
   * or FeatureHasher made with dtype=np.float32 holds float32 values, each one a float32).
   */
  readonly dtype: 'float64' | 'int64' | 'float32';
  readonly names: null;
}

/** What flows between sklearn steps. */
export type Data = Matrix | Table | Csr;

export function matrix(rows: number, cols: number, data: Float64Array, names: readonly string[] | null = null): Matrix {
  return { kind: 'matrix', rows, cols, data, names };
}

/** `m` marked as float32 values when `f32` (see Matrix.f32): the caller has rounded each value. */
export function withF32(m: Matrix, f32: boolean): Matrix {
  return f32 ? { ...m, f32 } : m;
}

/** Whether x holds float32 rows (Matrix.f32). */
export function isF32(x: Data): boolean {
  return x.kind === 'matrix' && x.f32 === true;
}

export function numCols(x: Data): number {
  return x.kind === 'table' ? x.columns.length : x.cols;
}

/** Dense matrices beyond this many values are refused: a CSR this wide must stay sparse. */
const MAX_DENSE = 2 ** 28;

/** Whether numpy holds every column of `m` as int64 (Matrix.ints). */
export function allInt64(m: Matrix): boolean {
  return m.ints !== undefined && m.ints.length === m.cols && m.ints.every(Boolean);
}

/** A CSR matrix as a dense one, for an estimator that works on dense rows. */
export function densify(x: Csr): Matrix {
  if (x.rows * x.cols > MAX_DENSE) {
    throw new MlflowError(
      `a sparse matrix of shape (${x.rows}, ${x.cols}) is too large to make dense for the next step; score fewer rows per request`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  const out = new Float64Array(x.rows * x.cols);
  for (let i = 0; i < x.rows; i++) {
    for (let p = x.indptr[i]; p < x.indptr[i + 1]; p++) out[i * x.cols + x.indices[p]] += x.values[p];
  }
  return withF32(matrix(x.rows, x.cols, out), x.dtype === 'float32');
}

/** One column of any Data (numbers for a matrix). */
export function columnOf(x: Data, j: number): TableColumn {
  if (x.kind === 'table') return x.columns[j];
  if (x.kind === 'csr') return columnOf(densify(x), j);
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) out[i] = x.data[i * x.cols + j];
  return out;
}

/** The columns chosen by index, keeping names. */
export function selectColumns(x: Data, idx: readonly number[]): Data {
  if (x.kind === 'table') {
    return withInts({
      kind: 'table',
      rows: x.rows,
      columns: idx.map((j) => x.columns[j]),
      names: x.names ? idx.map((j) => x.names![j]) : null,
    }, x.ints && idx.map((j) => x.ints![j]));
  }
  if (x.kind === 'csr') return selectColumns(densify(x), idx);
  const out = new Float64Array(x.rows * idx.length);
  for (let i = 0; i < x.rows; i++) {
    for (let k = 0; k < idx.length; k++) out[i * idx.length + k] = x.data[i * x.cols + idx[k]];
  }
  const m = withF32(matrix(x.rows, idx.length, out, x.names ? idx.map((j) => x.names![j]) : null), x.f32 === true);
  return withInts(m, x.ints && idx.map((j) => x.ints![j]));
}

/** `x` with its int64 columns marked (Table.ints), when any is. */
export function withInts<T extends Matrix | Table>(x: T, ints: readonly boolean[] | undefined): T {
  return ints?.some(Boolean) ? { ...x, ints } : x;
}

function toNumber(v: unknown, column: string): number {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  throw new MlflowError(`could not convert ${typeof v} to float in column ${column}`, 'INVALID_PARAMETER_VALUE');
}

/** check_array(dtype=float64): a Table's object columns are converted, strings are refused. */
export function toMatrix(x: Data): Matrix {
  if (x.kind === 'matrix') return x;
  if (x.kind === 'csr') return densify(x);
  if (x.oneD) throw oneDError();
  const cols = x.columns.length;
  const out = new Float64Array(x.rows * cols);
  for (let j = 0; j < cols; j++) {
    const c = x.columns[j];
    const label = x.names ? `'${x.names[j]}'` : String(j);
    if (c instanceof Float64Array) {
      for (let i = 0; i < x.rows; i++) out[i * cols + j] = c[i];
    } else {
      for (let i = 0; i < x.rows; i++) out[i * cols + j] = toNumber(c[i], label);
    }
  }
  return matrix(x.rows, cols, out, x.names);
}

/** Concatenates blocks side by side (np.hstack): a Matrix if every block is numeric. */
export function hstack(sparseOrDense: readonly Data[], rows: number): Data {
  // int64 sparse blocks only (counts, int64 DictVectorizer/FeatureHasher) stay int64, as scipy's
  // hstack (and numpy's of their dense forms) keeps them
  if (sparseOrDense.length > 0 && sparseOrDense.every((b) => b.kind === 'csr' && b.dtype === 'int64')) return csrHstack(sparseOrDense as Csr[], rows);
  const blocks = sparseOrDense.map((b) => (b.kind === 'csr' ? densify(b) : b));
  if (blocks.every((b) => b.kind === 'matrix')) {
    const mats = blocks as Matrix[];
    // numpy's hstack of float32 blocks only (beside bool ones: a missing-value indicator) is float32
    const f32 = mats.some((m) => m.f32 === true) && mats.every((m) => m.f32 === true || m.bool === true);
    const cols = mats.reduce((s, m) => s + m.cols, 0);
    const out = new Float64Array(rows * cols);
    let off = 0;
    for (const m of mats) {
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < m.cols; j++) out[i * cols + off + j] = m.data[i * m.cols + j];
      }
      off += m.cols;
    }
    // and of bool blocks only (MissingIndicator masks, passed-through bool columns) bool, of
    // int64 blocks only int64
    const stacked = withF32(matrix(rows, cols, out), f32);
    if (mats.length > 0 && mats.every(allInt64)) return withInts(stacked, new Array<boolean>(cols).fill(true));
    return mats.length > 0 && mats.every((m) => m.bool === true) ? { ...stacked, bool: true } : stacked;
  }
  // an object array: a bool block's values stay Python bools in it (numpy's hstack of object and bool)
  const columns: TableColumn[] = [];
  for (const b of blocks) {
    for (let j = 0; j < numCols(b); j++) {
      const c = columnOf(b, j);
      columns.push(b.kind === 'matrix' && b.bool === true ? Array.from(c as Float64Array, (v) => v !== 0) : c);
    }
  }
  return { kind: 'table', rows, columns, names: null };
}

/** CSR blocks side by side, one row at a time. */
function csrHstack(blocks: readonly Csr[], rows: number): Csr {
  const cols = blocks.reduce((n, b) => n + b.cols, 0);
  const nnz = blocks.reduce((n, b) => n + b.indptr[b.rows], 0);
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  for (let i = 0; i < rows; i++) {
    let off = 0;
    for (const b of blocks) {
      for (let q = b.indptr[i]; q < b.indptr[i + 1]; q++) {
        indices[p] = b.indices[q] + off;
        values[p++] = b.values[q];
      }
      off += b.cols;
    }
    indptr[i + 1] = p;
  }
  return { kind: 'csr', rows, cols, indptr, indices, values, dtype: 'int64', names: null };
}

/** Converts the enforced pyfunc input (a Frame, a 2-D Tensor, nested arrays) to sklearn data. */
export function fromPredictInput(input: unknown): Data {
  if (input instanceof Frame) return fromFrame(input);
  if (isTensor(input)) return fromTensor(input);
  if (Array.isArray(input)) return fromRows(input);
  throw new MlflowError(
    'sklearn models take a DataFrame or a 2-D array as input; got ' + describe(input),
    'INVALID_PARAMETER_VALUE',
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `an object with keys [${Object.keys(v).slice(0, 5).join(', ')}]`;
  return `a ${typeof v}`;
}

function fromFrame(f: Frame): Data {
  const columns: TableColumn[] = [];
  let allNumeric = true;
  // check_array on a DataFrame of float32 columns only keeps float32 (any other dtype beside them makes float64)
  let allF32 = f.columns.length > 0;
  for (const c of f.columns) {
    if (c.data.kind !== 'number' || c.data.dtype !== 'float32') allF32 = false;
    if (c.data.kind === 'number') {
      columns.push(c.data.values instanceof Float64Array ? c.data.values : Float64Array.from(c.data.values));
    } else {
      allNumeric = false;
      columns.push(c.data.values);
    }
  }
  const t: Table = { kind: 'table', rows: f.numRows, columns, names: f.columnNames };
  const ints = f.columns.map((c) => c.data.kind === 'number' && c.data.dtype === 'int64');
  return withInts(allNumeric ? withF32(toMatrix(t), allF32) : t, ints);
}

/** check_array's refusal of 1-D input. */
export function oneDError(shape = ''): MlflowError {
  return new MlflowError(
    `Expected 2D array, got 1D array instead${shape}. ` +
      'Reshape your data either using array.reshape(-1, 1) if your data has a single feature or ' +
      'array.reshape(1, -1) if it contains a single sample.',
    'INVALID_PARAMETER_VALUE',
  );
}

function fromTensor(t: Tensor): Data {
  // a 1-D array of strings: documents for a text vectorizer (refused by check_array elsewhere)
  if (t.shape.length === 1 && (t.dtype === 'string' || t.dtype === 'object')) {
    return { kind: 'table', rows: t.shape[0], columns: [Array.from(t.data as ArrayLike<unknown>)], names: null, oneD: true };
  }
  if (t.shape.length !== 2) {
    throw new MlflowError(
      `Expected 2D array, got ${t.shape.length}D array instead (shape [${t.shape.join(', ')}]). ` +
        'Reshape your data either using array.reshape(-1, 1) if your data has a single feature or ' +
        'array.reshape(1, -1) if it contains a single sample.',
      'INVALID_PARAMETER_VALUE',
    );
  }
  const [rows, cols] = t.shape;
  if (t.dtype === 'string' || t.dtype === 'object') {
    const columns: unknown[][] = [];
    for (let j = 0; j < cols; j++) {
      const c: unknown[] = new Array(rows);
      for (let i = 0; i < rows; i++) c[i] = t.data[i * cols + j];
      columns.push(c);
    }
    return { kind: 'table', rows, columns, names: null };
  }
  const data = t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number>);
  return withInts(withF32(matrix(rows, cols, data), t.dtype === 'float32'), new Array<boolean>(cols).fill(t.dtype === 'int64'));
}

function fromRows(rowsIn: unknown[]): Data {
  const rows = rowsIn.length;
  if (!rowsIn.every((r) => Array.isArray(r))) {
    throw new MlflowError('Expected 2D array, got 1D array instead', 'INVALID_PARAMETER_VALUE');
  }
  const cols = rows > 0 ? (rowsIn[0] as unknown[]).length : 0;
  const columns: unknown[][] = Array.from({ length: cols }, () => new Array(rows));
  for (let i = 0; i < rows; i++) {
    const r = rowsIn[i] as unknown[];
    if (r.length !== cols) {
      throw new MlflowError(`Row ${i} has ${r.length} values but row 0 has ${cols}`, 'INVALID_PARAMETER_VALUE');
    }
    for (let j = 0; j < cols; j++) columns[j][i] = r[j];
  }
  const t: Table = { kind: 'table', rows, columns, names: null };
  return columns.every((c) => c.every((v) => typeof v === 'number' || v === null)) ? toMatrix(t) : t;
}

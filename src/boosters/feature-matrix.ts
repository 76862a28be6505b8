import { MlflowError } from '../errors.js';
import { Frame } from '../frame/frame.js';
import { isTensor } from '../frame/tensor.js';

/** Rows of float64 features as the boosters take them (row-major, NaN = missing), with the input's column names. */
export interface FeatureMatrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Column names when the input was a table. */
  readonly names: readonly string[] | null;
}

/**
 * The pyfunc input (a Frame, a 2-D numeric Tensor, or rows of numbers) as a feature matrix,
 * as XGBoost's DMatrix and LightGBM's Dataset read a DataFrame or an ndarray: numbers and
 * booleans become float64, null becomes NaN (missing), and text is refused naming the column.
 */
export function featureMatrix(input: unknown, library: string): FeatureMatrix {
  if (input instanceof Frame) return fromFrame(input, library);
  if (isTensor(input)) {
    if (input.shape.length !== 2) {
      throw new MlflowError(`${library} takes a 2-D array; got shape [${input.shape.join(', ')}]`, 'INVALID_PARAMETER_VALUE');
    }
    if (input.dtype === 'string' || input.dtype === 'object') {
      const data = Float64Array.from(input.data, (v, i) => toNumber(v, `column ${i % input.shape[1]}`, library));
      return { data, rows: input.shape[0], cols: input.shape[1], names: null };
    }
    const data = input.data instanceof Float64Array ? input.data : Float64Array.from(input.data as ArrayLike<number>);
    return { data, rows: input.shape[0], cols: input.shape[1], names: null };
  }
  if (Array.isArray(input) && input.every((r) => Array.isArray(r))) {
    const rows = input as unknown[][];
    const cols = rows.length > 0 ? rows[0].length : 0;
    const data = new Float64Array(rows.length * cols);
    rows.forEach((r, i) => {
      if (r.length !== cols) throw new MlflowError(`Row ${i} has ${r.length} values but row 0 has ${cols}`, 'INVALID_PARAMETER_VALUE');
      for (let j = 0; j < cols; j++) data[i * cols + j] = toNumber(r[j], `column ${j}`, library);
    });
    return { data, rows: rows.length, cols, names: null };
  }
  throw new MlflowError(`${library} models take a DataFrame or a 2-D array as input`, 'INVALID_PARAMETER_VALUE');
}

function fromFrame(f: Frame, library: string): FeatureMatrix {
  const rows = f.numRows;
  const cols = f.columns.length;
  const data = new Float64Array(rows * cols);
  f.columns.forEach((c, j) => {
    const d = c.data;
    if (d.kind === 'number') {
      const v = d.values;
      for (let i = 0; i < rows; i++) data[i * cols + j] = v[i];
    } else if (d.kind === 'bool' || d.kind === 'object') {
      for (let i = 0; i < rows; i++) data[i * cols + j] = toNumber(d.values[i], `column '${c.name}'`, library);
    } else {
      throw new MlflowError(
        `${library} takes numeric, boolean or missing values; column '${c.name}' holds ${d.kind} values`,
        'BAD_REQUEST',
      );
    }
  });
  return { data, rows, cols, names: f.columnNames };
}

function toNumber(v: unknown, where: string, library: string): number {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new MlflowError(`${library} takes numeric, boolean or missing values; ${where} holds ${typeof v} ${JSON.stringify(v)}`, 'BAD_REQUEST');
}

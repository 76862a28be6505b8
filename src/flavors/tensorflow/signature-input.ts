import { MlflowError } from '../../errors.js';
import { arrayTypeOf, isFrame, type Column, type Frame, type NumericDType } from '../../frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../../frame/tensor.js';
import { tensorFromJson } from '../../frame/tensor-json.js';

/** A column as numpy's np.array(column.to_list()) builds it. */
function columnTensor(c: Column, rows: number): Tensor {
  const d = c.data;
  if (d.kind === 'number') return makeTensor({ dtype: d.dtype, shape: [rows], data: d.values });
  if (d.kind === 'bool' && d.values.every((v) => v !== null)) {
    return makeTensor({ dtype: 'bool', shape: [rows], data: Uint8Array.from(d.values, (v) => (v ? 1 : 0)) });
  }
  if (d.kind === 'string' && d.values.every((v) => v !== null)) return makeTensor({ dtype: 'string', shape: [rows], data: d.values });
  if (d.kind === 'object') return tensorFromJson(d.values);
  throw new MlflowError(`Column '${c.name}' (${d.kind}, or with missing values) cannot be fed to a TensorFlow signature`, 'INVALID_PARAMETER_VALUE');
}

/** The whole table as one [rows, columns] tensor, as np.asarray(df) gives for numeric frames. */
function tableTensor(frame: Frame): Tensor {
  const cols = frame.columns;
  const rows = frame.numRows;
  const dtypes = new Set<NumericDType>();
  for (const c of cols) {
    if (c.data.kind !== 'number') {
      throw new MlflowError(`Column '${c.name}' is not numeric; a single-input signature takes the table as one numeric tensor`, 'INVALID_PARAMETER_VALUE');
    }
    dtypes.add(c.data.dtype);
  }
  const [only] = dtypes;
  const dtype: NumericDType = dtypes.size === 1 ? only : [...dtypes].some((t) => t.startsWith('float')) ? 'float64' : 'int64';
  const data = new (arrayTypeOf(dtype))(rows * cols.length);
  cols.forEach((c, j) => {
    const values = (c.data as { values: ArrayLike<number> }).values;
    for (let i = 0; i < rows; i++) data[i * cols.length + j] = values[i];
  });
  return makeTensor({ dtype, shape: [rows, cols.length], data });
}

/**
 * Maps a pyfunc input onto a signature's inputs as MLflow's tensorflow flavor does: a table's
 * columns by name (or, for a single-input signature whose name is not a column, the whole table
 * as one tensor), named tensors by key, a lone tensor to the single input.
 */
export function signatureFeeds(input: unknown, inputKeys: readonly string[]): Record<string, Tensor> {
  if (isFrame(input)) {
    if (inputKeys.every((k) => input.column(k) !== undefined)) {
      return Object.fromEntries(inputKeys.map((k) => [k, columnTensor(input.column(k) as Column, input.numRows)]));
    }
    if (inputKeys.length === 1) return { [inputKeys[0]]: tableTensor(input) };
    const missing = inputKeys.filter((k) => input.column(k) === undefined);
    throw new MlflowError(`The input table lacks columns for signature inputs ${missing.map((k) => `'${k}'`).join(', ')}`, 'INVALID_PARAMETER_VALUE');
  }
  if (isTensor(input)) {
    if (inputKeys.length !== 1) {
      throw new MlflowError(
        `A single tensor was given but the signature takes ${inputKeys.length} inputs (${inputKeys.map((k) => `'${k}'`).join(', ')}); send named tensors`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    return { [inputKeys[0]]: input };
  }
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(input)) out[k] = isTensor(v) ? v : tensorFromJson(v);
    return out;
  }
  if (Array.isArray(input)) return signatureFeeds(tensorFromJson(input), inputKeys);
  throw new MlflowError('TensorFlow models take a table, a tensor or named tensors', 'INVALID_PARAMETER_VALUE');
}

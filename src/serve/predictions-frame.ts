import { MlflowError } from '../errors.js';
import type { PredictOutput } from '../flavors/flavor.js';
import { columnFromJsonValues, Frame, isFrame, isTensor, type Column, type NumericArray, type NumericDType, type Tensor } from '../frame/index.js';

/**
 * A model's predictions as a table, for CSV and Parquet output: a Frame as is; a 1-D tensor or
 * a list as one column `predictions`; a 2-D tensor as columns "0".."k-1" (pandas' names for a
 * DataFrame built from a matrix); named 1-D tensors as one column each.
 */
export function predictionsToFrame(output: PredictOutput): Frame {
  if (isFrame(output)) return output;
  if (isTensor(output)) return tensorFrame(output);
  if (Array.isArray(output)) return new Frame([columnFromJsonValues('predictions', output)], output.length);
  if (typeof output === 'object' && output !== null && Object.values(output).every(isTensor)) {
    const columns = Object.entries(output as Record<string, Tensor>).map(([name, t]) => tensorColumn(name, t));
    return new Frame(columns);
  }
  throw new MlflowError(
    `The model's predictions (${typeof output}) cannot be written as a table; write JSON output instead`,
    'INVALID_PARAMETER_VALUE',
  );
}

function tensorFrame(t: Tensor): Frame {
  if (t.shape.length === 2) {
    const [rows, width] = t.shape;
    const columns: Column[] = [];
    for (let j = 0; j < width; j++) {
      if (isNumeric(t)) {
        const values = new (t.data.constructor as new (n: number) => NumericArray)(rows);
        for (let i = 0; i < rows; i++) values[i] = t.data[i * width + j];
        columns.push({ name: String(j), data: { kind: 'number', dtype: t.dtype, values } });
      } else {
        const values = new Array<unknown>(rows);
        for (let i = 0; i < rows; i++) values[i] = valueAt(t, i * width + j);
        columns.push(columnFromJsonValues(String(j), values));
      }
    }
    return new Frame(columns, rows);
  }
  return new Frame([tensorColumn('predictions', t)]);
}

function tensorColumn(name: string, t: Tensor): Column {
  if (t.shape.length !== 1) {
    throw new MlflowError(
      `Predictions '${name}' have shape [${t.shape.join(', ')}]; only 1-D and 2-D predictions can be written as a table`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  if (isNumeric(t)) {
    return { name, data: { kind: 'number', dtype: t.dtype, values: t.data } };
  }
  return columnFromJsonValues(name, Array.from({ length: t.data.length }, (_, i) => valueAt(t, i)));
}

function valueAt(t: Tensor, i: number): unknown {
  if (t.dtype === 'bool') return t.data[i] !== 0;
  return t.data[i];
}

type NumericTensor = Extract<Tensor, { data: NumericArray; dtype: NumericDType }>;

function isNumeric(t: Tensor): t is NumericTensor {
  return t.dtype !== 'bool' && t.dtype !== 'string' && t.dtype !== 'object';
}

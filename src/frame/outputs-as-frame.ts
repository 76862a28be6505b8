import { Frame, type Column, type NumericArray, type NumericDType } from './frame.js';
import type { Tensor } from './tensor.js';

/** What tfjs models answer with: float32 or int32 tensors. */
export type NumericTensor = Extract<Tensor, { dtype: NumericDType }>;

/** Column j of a [rows, cols] (or [rows]) tensor. */
function positional(t: NumericTensor, j: number, cols: number, rows: number): Column {
  const values = new (t.data.constructor as new (n: number) => NumericArray)(rows);
  for (let i = 0; i < rows; i++) values[i] = t.data[i * cols + j];
  return { name: String(j), data: { kind: 'number', dtype: t.dtype, values } };
}

/** One output as one column: numbers when each row holds one value (numpy's ravel), else the rows as lists. */
function named(t: NumericTensor, name: string): Column {
  const rows = t.shape.length === 0 ? 1 : t.shape[0];
  const rowSize = rows === 0 ? 0 : t.data.length / rows;
  if (rowSize === 1) return { ...positional(t, 0, 1, rows), name };
  const nest = (shape: readonly number[], offset: number): unknown => {
    if (shape.length === 0) return t.data[offset];
    const inner = shape.slice(1).reduce((a, b) => a * b, 1);
    return Array.from({ length: shape[0] }, (_, i) => nest(shape.slice(1), offset + i * inner));
  };
  return { name, data: { kind: 'object', values: Array.from({ length: rows }, (_, r) => nest(t.shape.slice(1), r * rowSize)) } };
}

/**
 * A model's outputs as the table MLflow's TensorFlow pyfunc answers a DataFrame with: one output
 * of rank 1 or 2 as columns 0..n-1 (_KerasModelWrapper: pandas.DataFrame(model.predict(df.values)));
 * otherwise one column per output, by name, holding numbers when each row has one value and lists
 * when it has more (_TF2Wrapper: pandas.DataFrame.from_dict of raveled or tolist()ed outputs).
 */
export function outputsAsFrame(outputs: readonly NumericTensor[], names: readonly string[]): Frame {
  if (outputs.length === 1 && (outputs[0].shape.length === 1 || outputs[0].shape.length === 2)) {
    const t = outputs[0];
    const [rows, cols = 1] = t.shape;
    return new Frame(Array.from({ length: cols }, (_, j) => positional(t, j, cols, rows)), rows);
  }
  return new Frame(outputs.map((t, i) => named(t, names[i])));
}

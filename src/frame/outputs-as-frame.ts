import { Frame, type Column, type NumericArray, type NumericDType } from './frame.js';
import type { Tensor } from './tensor.js';

/** What tfjs models answer with: float32 or int32 tensors. */
export type NumericTensor = Extract<Tensor, { dtype: NumericDType }>;

function isNumeric(t: Tensor): t is NumericTensor {
  return t.dtype !== 'bool' && t.dtype !== 'string' && t.dtype !== 'object';
}

/** Column j of a [rows, cols] (or [rows]) tensor. */
function positional(t: NumericTensor, j: number, cols: number, rows: number): Column {
  const values = new (t.data.constructor as new (n: number) => NumericArray)(rows);
  for (let i = 0; i < rows; i++) values[i] = t.data[i * cols + j];
  return { name: String(j), data: { kind: 'number', dtype: t.dtype, values } };
}

/** The value at flat index i, as Python's tolist() gives it (bools as booleans). */
function valueAt(t: Tensor, i: number): unknown {
  return t.dtype === 'bool' ? t.data[i] !== 0 : t.data[i];
}

/** One output as one column: its values when each row holds one (numpy's ravel), else the rows as lists. */
function named(t: Tensor, name: string): Column {
  const rows = t.shape.length === 0 ? 1 : t.shape[0];
  const rowSize = rows === 0 ? 0 : t.data.length / rows;
  if (rowSize === 1 || rows === 0) {
    if (isNumeric(t)) return { ...positional(t, 0, 1, rows), name };
    if (t.dtype === 'bool') return { name, data: { kind: 'bool', values: Array.from(t.data, (v) => v !== 0) } };
    return { name, data: t.dtype === 'string' ? { kind: 'string', values: t.data.map(String) } : { kind: 'object', values: [...t.data] } };
  }
  const nest = (shape: readonly number[], offset: number): unknown => {
    if (shape.length === 0) return valueAt(t, offset);
    const inner = shape.slice(1).reduce((a, b) => a * b, 1);
    return Array.from({ length: shape[0] }, (_, i) => nest(shape.slice(1), offset + i * inner));
  };
  return { name, data: { kind: 'object', values: Array.from({ length: rows }, (_, r) => nest(t.shape.slice(1), r * rowSize)) } };
}

/**
 * Outputs as MLflow's TensorFlow SavedModel pyfunc (_TF2Wrapper) answers a DataFrame with: one
 * column per output, by name, holding a value per row when each row has one (ravel()) and lists
 * when it has more (tolist()), as pandas.DataFrame.from_dict of them.
 */
export function namedOutputsFrame(outputs: readonly Tensor[], names: readonly string[]): Frame {
  return new Frame(outputs.map((t, i) => named(t, names[i])));
}

/**
 * A model's outputs as the table MLflow's Keras pyfunc answers a DataFrame with: one output of
 * rank 1 or 2 as columns 0..n-1 (_KerasModelWrapper: pandas.DataFrame(model.predict(df.values)));
 * several outputs as namedOutputsFrame.
 */
export function outputsAsFrame(outputs: readonly NumericTensor[], names: readonly string[]): Frame {
  if (outputs.length === 1 && (outputs[0].shape.length === 1 || outputs[0].shape.length === 2)) {
    const t = outputs[0];
    const [rows, cols = 1] = t.shape;
    return new Frame(Array.from({ length: cols }, (_, j) => positional(t, j, cols, rows)), rows);
  }
  return namedOutputsFrame(outputs, names);
}

import { MlflowError } from '../../errors.js';

/**
 * A Spark ML vector: dense when `indices` is null, else sparse (sorted indices of the active
 * values). Kept sparse where Spark keeps it sparse, so dot products add terms in Spark's order.
 */
export interface Vec {
  readonly size: number;
  readonly indices: Int32Array | null;
  readonly values: Float64Array;
}

export function dense(values: Float64Array | number[]): Vec {
  const v = values instanceof Float64Array ? values : Float64Array.from(values);
  return { size: v.length, indices: null, values: v };
}

export function sparse(size: number, indices: ArrayLike<number>, values: ArrayLike<number>): Vec {
  return { size, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

/** The value at index i. */
export function at(v: Vec, i: number): number {
  if (v.indices === null) return v.values[i];
  // binary search: indices are sorted
  let lo = 0;
  let hi = v.indices.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = v.indices[mid];
    if (k === i) return v.values[mid];
    if (k < i) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

export function toArray(v: Vec): Float64Array {
  if (v.indices === null) return v.values;
  const out = new Float64Array(v.size);
  for (let k = 0; k < v.indices.length; k++) out[v.indices[k]] = v.values[k];
  return out;
}

/** Calls f(index, value) for each stored value (every value of a dense vector). */
export function forEachActive(v: Vec, f: (i: number, x: number) => void): void {
  if (v.indices === null) {
    for (let i = 0; i < v.values.length; i++) f(i, v.values[i]);
  } else {
    for (let k = 0; k < v.indices.length; k++) f(v.indices[k], v.values[k]);
  }
}

/** x·w for a vector and a dense array of weights, in Spark's order (active values only). */
export function dot(v: Vec, w: ArrayLike<number>, offset = 0): number {
  let s = 0;
  if (v.indices === null) {
    const x = v.values;
    for (let i = 0; i < x.length; i++) s += x[i] * w[offset + i];
  } else {
    const idx = v.indices;
    const x = v.values;
    for (let k = 0; k < idx.length; k++) s += x[k] * w[offset + idx[k]];
  }
  return s;
}

/** Spark's Vector.compressed: the smaller of the dense and sparse forms. */
export function compressed(values: Float64Array): Vec {
  let nnz = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) nnz++;
  // Spark: sparse when 1.5 * (nnz + 1) < size (its storage estimate)
  if (1.5 * (nnz + 1.0) < values.length) {
    const idx = new Int32Array(nnz);
    const val = new Float64Array(nnz);
    let k = 0;
    for (let i = 0; i < values.length; i++) {
      if (values[i] !== 0) {
        idx[k] = i;
        val[k++] = values[i];
      }
    }
    return { size: values.length, indices: idx, values: val };
  }
  return dense(values);
}

/** v * w element by element; a sparse vector stays sparse. */
export function multiply(v: Vec, w: ArrayLike<number>): Vec {
  const idx = v.indices;
  return { size: v.size, indices: idx, values: v.values.map((x, k) => x * w[idx === null ? k : idx[k]]) };
}

/** The entries at `picked` (in that order), dense for a dense vector, else sparse without zeros. */
export function select(v: Vec, picked: readonly number[]): Vec {
  const full = toArray(v);
  const values = picked.map((k) => full[k]);
  if (v.indices === null) return dense(values);
  const idx: number[] = [];
  const val: number[] = [];
  values.forEach((x, j) => {
    if (x !== 0) {
      idx.push(j);
      val.push(x);
    }
  });
  return sparse(picked.length, idx, val);
}

/** A VectorUDT value as stored in parquet: {type: 0 sparse | 1 dense, size, indices, values}. */
export function decodeVector(x: unknown, where: string): Vec {
  const o = x as { type?: unknown; size?: unknown; indices?: unknown; values?: unknown } | null;
  if (o === null || typeof o !== 'object' || !Array.isArray(o.values)) throw new MlflowError(`${where} is not a Spark vector`, 'INVALID_PARAMETER_VALUE');
  if (o.type === 1) return dense(o.values as number[]);
  if (o.type === 0 && typeof o.size === 'number' && Array.isArray(o.indices)) return sparse(o.size, o.indices as number[], o.values as number[]);
  throw new MlflowError(`${where} is not a Spark vector (type ${String(o.type)})`, 'INVALID_PARAMETER_VALUE');
}

/** A dense row-major view of a MatrixUDT value. */
export interface Matrix {
  readonly numRows: number;
  readonly numCols: number;
  /** row-major values */
  readonly values: Float64Array;
}

/**
 * A MatrixUDT value: {type: 1 dense | 0 sparse, numRows, numCols, colPtrs, rowIndices, values,
 * isTransposed}. Dense is column-major unless transposed; sparse is CSC, or CSR when transposed.
 */
export function decodeMatrix(x: unknown, where: string): Matrix {
  const o = x as { type?: unknown; numRows?: unknown; numCols?: unknown; colPtrs?: unknown; rowIndices?: unknown; values?: unknown; isTransposed?: unknown } | null;
  if (o === null || typeof o !== 'object' || typeof o.numRows !== 'number' || typeof o.numCols !== 'number' || !Array.isArray(o.values)) {
    throw new MlflowError(`${where} is not a Spark matrix`, 'INVALID_PARAMETER_VALUE');
  }
  const r = o.numRows;
  const c = o.numCols;
  const vals = o.values as number[];
  const t = o.isTransposed === true;
  const out = new Float64Array(r * c);
  if (o.type === 1) {
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = t ? vals[i * c + j] : vals[j * r + i];
  } else if (o.type === 0 && Array.isArray(o.colPtrs) && Array.isArray(o.rowIndices)) {
    const ptrs = o.colPtrs as number[];
    const idx = o.rowIndices as number[];
    // CSC: ptrs over columns, idx are rows; CSR (transposed): ptrs over rows, idx are columns
    const outer = t ? r : c;
    for (let a = 0; a < outer; a++) {
      for (let k = ptrs[a]; k < ptrs[a + 1]; k++) {
        const i = t ? a : idx[k];
        const j = t ? idx[k] : a;
        out[i * c + j] = vals[k];
      }
    }
  } else {
    throw new MlflowError(`${where} is not a Spark matrix (type ${String(o.type)})`, 'INVALID_PARAMETER_VALUE');
  }
  return { numRows: r, numCols: c, values: out };
}

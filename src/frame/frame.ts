import { MlflowError } from '../errors.js';

/** Numeric dtypes a column or tensor can hold, named as numpy names them. */
export type NumericDType =
  | 'float64' | 'float32'
  | 'int64' | 'int32' | 'int16' | 'int8'
  | 'uint64' | 'uint32' | 'uint16' | 'uint8';

/**
 * The storage for each numeric dtype. int64/uint64 are held in a Float64Array: exact up to 2^53,
 * which covers every label and count a model sees, and keeps arithmetic on plain numbers. A
 * classifier's predicted labels may sit in a narrower integer array that holds every class
 * (see sklearn's Labels): code that makes a new array for int64 values takes arrayTypeOf's.
 */
export type NumericArray =
  | Float64Array | Float32Array | Int32Array | Int16Array | Int8Array
  | Uint32Array | Uint16Array | Uint8Array;

/** The typed array a new array of each dtype's values is made in. */
const ARRAY_TYPES: Record<NumericDType, new (n: number | ArrayBufferLike) => NumericArray> = {
  float64: Float64Array, float32: Float32Array, int64: Float64Array, uint64: Float64Array, int32: Int32Array,
  int16: Int16Array, int8: Int8Array, uint32: Uint32Array, uint16: Uint16Array, uint8: Uint8Array,
};

/** The typed array a new array of a dtype's values is made in (of a length, or over a buffer). */
export function arrayTypeOf(dtype: NumericDType): new (n: number | ArrayBufferLike) => NumericArray {
  return ARRAY_TYPES[dtype];
}

/** Whether a dtype name (numpy's, as a signature writes it) is one of the numeric dtypes. */
export function isNumericDType(name: string): name is NumericDType {
  return Object.hasOwn(ARRAY_TYPES, name);
}

/**
 * One column's values. Numeric columns are typed arrays; a missing numeric value is NaN.
 * Elsewhere null is Python's None (a JSON null), which pandas and sklearn keep apart from a
 * float NaN (pandas' missing value, e.g. an empty CSV cell or a missing record key): a NaN among
 * strings or bools makes an 'object' column holding the number NaN, as a pandas object column.
 */
export type ColumnData =
  | { kind: 'number'; dtype: NumericDType; values: NumericArray }
  | { kind: 'string'; values: (string | null)[] }
  | { kind: 'bool'; values: (boolean | null)[] }
  | { kind: 'binary'; values: (Uint8Array | null)[] }
  | { kind: 'datetime'; values: (Date | null)[] }
  /** Nested lists, maps and mixed values, kept as parsed JSON. */
  | { kind: 'object'; values: unknown[] };

export interface Column {
  readonly name: string;
  readonly data: ColumnData;
}

/** The one table type of mlflow-ts: named columns of equal length. */
export class Frame {
  readonly columns: readonly Column[];
  readonly numRows: number;
  private readonly byName: Map<string, Column>;

  constructor(columns: readonly Column[], numRows?: number) {
    this.columns = columns;
    this.numRows = numRows ?? (columns.length > 0 ? columns[0].data.values.length : 0);
    this.byName = new Map();
    for (const c of columns) {
      if (c.data.values.length !== this.numRows) {
        throw new MlflowError(
          `Column '${c.name}' has ${c.data.values.length} values but the table has ${this.numRows} rows`,
          'INVALID_PARAMETER_VALUE',
        );
      }
      if (this.byName.has(c.name)) {
        throw new MlflowError(`Column '${c.name}' appears twice`, 'INVALID_PARAMETER_VALUE');
      }
      this.byName.set(c.name, c);
    }
  }

  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  column(name: string): Column | undefined {
    return this.byName.get(name);
  }

  /** The columns named, in that order (a missing name is an error naming it). */
  select(names: readonly string[]): Frame {
    return new Frame(
      names.map((n) => {
        const c = this.byName.get(n);
        if (!c) throw new MlflowError(`Column '${n}' is not in the table`, 'INVALID_PARAMETER_VALUE');
        return c;
      }),
      this.numRows,
    );
  }
}

export function isFrame(x: unknown): x is Frame {
  return x instanceof Frame;
}

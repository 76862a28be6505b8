import { MlflowError } from '../../errors.js';
import type { Attr } from './attributes.js';
import type { Vec } from './linalg.js';

/** Spark's numeric types; they matter where Spark casts to string or does integer arithmetic. */
export type NumericType = 'double' | 'float' | 'long' | 'int' | 'short' | 'byte';

/**
 * One column as a Spark DataFrame holds it. A missing numeric value is NaN (pandas' missing
 * value, which is what a pandas-built DataFrame holds); strings and booleans use null.
 */
export type SparkColumn =
  | { readonly kind: 'numeric'; readonly type: NumericType; readonly values: Float64Array; readonly attr?: Attr }
  | { readonly kind: 'string'; readonly values: readonly (string | null)[]; readonly attr?: Attr }
  | { readonly kind: 'boolean'; readonly values: readonly (boolean | null)[]; readonly attr?: Attr }
  /** VectorUDT; `attrs` are the per-slot attributes (an AttributeGroup) when known. */
  | { readonly kind: 'vector'; readonly values: readonly (Vec | null)[]; readonly attrs?: readonly Attr[] }
  /** array<string> (tokenizer outputs) */
  | { readonly kind: 'strings'; readonly values: readonly (readonly string[] | null)[] };

/**
 * A Spark DataFrame as the pipeline sees it: ordered named columns of `numRows` values.
 * Stages return a new table; they never change one in place.
 */
export class Table {
  constructor(
    readonly columns: ReadonlyMap<string, SparkColumn>,
    readonly numRows: number,
    /**
     * Columns a stage did not make because their input was absent (Spark's StringIndexer skips
     * those), each with that input: a later stage's error then names the column the caller left out.
     */
    readonly skipped: ReadonlyMap<string, string> = new Map(),
  ) {}

  has(name: string): boolean {
    return this.columns.has(name);
  }

  /** The column, or a 400 naming it (Spark: "Column ... does not exist"). */
  get(name: string, stage: string): SparkColumn {
    const c = this.columns.get(name);
    if (!c) {
      const from = this.skipped.get(name);
      const what = from === undefined ? `input column '${name}' does not exist` : `input column '${from}' is missing (column '${name}' is made from it)`;
      throw new MlflowError(`${stage}: ${what}. Available columns: ${[...this.columns.keys()].join(', ')}`, 'BAD_REQUEST');
    }
    return c;
  }

  /** A copy with these columns added (or replaced, in place, as Spark's withColumn does). */
  with(added: readonly [string, SparkColumn][]): Table {
    const next = new Map(this.columns);
    for (const [name, col] of added) next.set(name, col);
    return new Table(next, this.numRows, this.skipped);
  }

  /** A copy noting that `output` was not made because column `input` is absent. */
  withSkipped(output: string, input: string): Table {
    return new Table(this.columns, this.numRows, new Map([...this.skipped, [output, this.skipped.get(input) ?? input]]));
  }

  without(names: readonly string[]): Table {
    const next = new Map(this.columns);
    for (const n of names) next.delete(n);
    return new Table(next, this.numRows, this.skipped);
  }

  /** The rows where keep[i] is true (handleInvalid = "skip"). */
  filter(keep: Uint8Array): Table {
    let n = 0;
    for (let i = 0; i < keep.length; i++) n += keep[i];
    if (n === this.numRows) return this;
    const next = new Map<string, SparkColumn>();
    for (const [name, col] of this.columns) next.set(name, filterColumn(col, keep, n));
    return new Table(next, n, this.skipped);
  }
}

function filterColumn(col: SparkColumn, keep: Uint8Array, n: number): SparkColumn {
  if (col.kind === 'numeric') {
    const out = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < keep.length; i++) if (keep[i]) out[k++] = col.values[i];
    return { ...col, values: out };
  }
  const vals = col.values as readonly unknown[];
  return { ...col, values: vals.filter((_, i) => keep[i] === 1) } as SparkColumn;
}

/** A numeric column's values as doubles, or a 400 naming the column. Booleans count as 0/1. */
export function numericValues(col: SparkColumn, name: string, stage: string): Float64Array {
  if (col.kind === 'numeric') return col.values;
  if (col.kind === 'boolean') return Float64Array.from(col.values, (b) => (b === null ? NaN : b ? 1 : 0));
  throw new MlflowError(`${stage}: column '${name}' must be numeric but is ${describeKind(col)}`, 'BAD_REQUEST');
}

export function vectorValues(col: SparkColumn, name: string, stage: string): readonly (Vec | null)[] {
  if (col.kind === 'vector') return col.values;
  throw new MlflowError(`${stage}: column '${name}' must be a vector but is ${describeKind(col)}`, 'BAD_REQUEST');
}

export function stringValues(col: SparkColumn, name: string, stage: string): readonly (string | null)[] {
  if (col.kind === 'string') return col.values;
  throw new MlflowError(`${stage}: column '${name}' must be a string column but is ${describeKind(col)}`, 'BAD_REQUEST');
}

export function stringArrayValues(col: SparkColumn, name: string, stage: string): readonly (readonly string[] | null)[] {
  if (col.kind === 'strings') return col.values;
  throw new MlflowError(`${stage}: column '${name}' must be an array of strings but is ${describeKind(col)}`, 'BAD_REQUEST');
}

export function describeKind(col: SparkColumn): string {
  return col.kind === 'numeric' ? col.type : col.kind === 'strings' ? 'array<string>' : col.kind;
}

export function doubleColumn(values: Float64Array, attr?: Attr): SparkColumn {
  return { kind: 'numeric', type: 'double', values, attr };
}

export function vectorColumn(values: readonly (Vec | null)[], attrs?: readonly Attr[]): SparkColumn {
  return { kind: 'vector', values, attrs };
}

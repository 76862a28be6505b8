/**
 * Spark ML column attributes (the `ml_attr` metadata Spark attaches to columns at transform
 * time). They are not saved with a model, so the pipeline carries them from stage to stage:
 * Interaction one-hot expands nominal inputs by their cardinality, IndexToString reads labels
 * from them, VectorSlicer may select by name.
 */
export type Attr =
  | { readonly kind: 'nominal'; readonly name?: string; readonly numValues?: number; readonly values?: readonly string[] }
  | { readonly kind: 'binary'; readonly name?: string }
  | { readonly kind: 'numeric'; readonly name?: string };

export const NUMERIC: Attr = { kind: 'numeric' };

/** The cardinality of a nominal attribute (Interaction's one-hot width), or 1 for anything else. */
export function nominalSize(a: Attr | undefined): number {
  if (a?.kind !== 'nominal') return 1;
  return Math.max(1, a.numValues ?? a.values?.length ?? 1);
}

export function nominal(values: readonly string[], name?: string): Attr {
  return { kind: 'nominal', name, values, numValues: values.length };
}

export function withName(a: Attr, name: string): Attr {
  return { ...a, name };
}

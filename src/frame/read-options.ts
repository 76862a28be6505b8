/**
 * Which columns or named inputs the model's schema reads as floats (double, float32/64), and
 * `undefined` for an unnamed tensor: there an integer beyond 2^53 is rounded to the nearest
 * float, as pandas and numpy round it when they cast, so it is not refused.
 */
export type ReadsAsFloat = (name: string | undefined) => boolean;

/**
 * What the model's schema says about reading a request: MLflow's server reads a body with the
 * schema's dtypes (pd.read_csv(body, dtype=...)), not only by inference.
 */
export interface ReadRequestOptions {
  readsAsFloat?: ReadsAsFloat;
  /** CSV columns read as text, as pandas reads a dtype=object column: "007" stays "007". */
  readsAsText?: (name: string) => boolean;
  /**
   * The columns a named column signature reads: the keys of records that are kept while building
   * the table (enforcement drops the others), so records with ever new keys cost nothing.
   */
  keepsColumn?: (name: string) => boolean;
}

// The iris rows every serving benchmark sends: three real iris samples, repeated.
export const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const SAMPLES = [
  [5.1, 3.5, 1.4, 0.2],
  [6.2, 2.9, 4.3, 1.3],
  [7.7, 3.1, 6.1, 2.3],
];

export function irisRows(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => SAMPLES[i % SAMPLES.length]);
}

/** An /invocations body of `n` rows in MLflow's dataframe_split format. */
export function irisPayload(n: number): string {
  return JSON.stringify({ dataframe_split: { columns: IRIS_FEATURES, data: irisRows(n) } });
}

/** The same rows as a V2 /infer body: one named 1-D FP64 tensor per column (a table, as MLServer reads it). */
export function irisV2Payload(n: number): string {
  const rows = irisRows(n);
  return JSON.stringify({
    inputs: IRIS_FEATURES.map((name, j) => ({ name, datatype: 'FP64', shape: [n], data: rows.map((r) => r[j]) })),
  });
}

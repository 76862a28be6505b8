/**
 * `mlflow-ts/parquet`: Frame <-> Parquet with hyparquet. A subpath of its own so that importing
 * `mlflow-ts` does not load the Parquet libraries (start-up time); batch IO (readFrameBatches,
 * createFrameWriter) loads them by itself for the parquet format.
 */
export { frameToParquetColumns, ParquetFrameWriter, readParquetBatches } from './frame/parquet.js';

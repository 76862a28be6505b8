import { MlflowError } from '../errors.js';

/**
 * The most columns one request or input file may have. pandas has no such limit, but a header
 * of 40,000 names or records with ever new keys make a table whose cost grows with the number of
 * columns times rows; beyond this a request is refused up front, naming the limit.
 */
export const MAX_COLUMNS = 100_000;

/**
 * The most cells (rows x columns) a table built from records may have. Records with ever new
 * keys make every record a row of every key: 8,000 records of 10 keys each, 1 MB of JSON, would be
 * 640 million cells. A dense request of the default 100 MB body limit stays far below this.
 */
export const MAX_CELLS = 2 ** 25;

/** Refuses a table of records whose distinct keys make it larger than MAX_CELLS / MAX_COLUMNS. */
export function assertRecordTableSize(rows: number, columns: number, what: string): void {
  assertColumnCount(columns, what);
  if (rows * columns > MAX_CELLS) {
    throw new MlflowError(
      `Invalid input. The ${what} hold ${columns} distinct keys over ${rows} records, a table of ${rows * columns} cells; mlflow-ts accepts at most ${MAX_CELLS} cells per request.`,
      'BAD_REQUEST',
    );
  }
}

/** Refuses a table of more than MAX_COLUMNS columns; `what` names where they came from. */
export function assertColumnCount(count: number, what: string): void {
  if (count > MAX_COLUMNS) {
    throw new MlflowError(
      `Invalid input. The ${what} has ${count} columns; mlflow-ts accepts at most ${MAX_COLUMNS} columns per request.`,
      'BAD_REQUEST',
    );
  }
}

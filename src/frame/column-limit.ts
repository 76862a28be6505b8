import { MlflowError } from '../errors.js';

/**
 * The most columns one request or input file may have. pandas has no such limit, but a header
 * of 40,000 names or records with ever new keys make a table whose cost grows with the number of
 * columns times rows; beyond this a request is refused up front, naming the limit.
 */
export const MAX_COLUMNS = 100_000;

/** Refuses a table of more than MAX_COLUMNS columns; `what` names where they came from. */
export function assertColumnCount(count: number, what: string): void {
  if (count > MAX_COLUMNS) {
    throw new MlflowError(
      `Invalid input. The ${what} has ${count} columns; mlflow-ts accepts at most ${MAX_COLUMNS} columns per request.`,
      'BAD_REQUEST',
    );
  }
}

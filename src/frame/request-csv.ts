import { MlflowError } from '../errors.js';
import { csvLayout, csvRowsToFrame } from './csv-columns.js';
import { CsvRows, CsvSyntaxError, CsvTokenizer } from './csv-tokenizer.js';
import type { Frame } from './frame.js';
import type { ReadRequestOptions } from './read-options.js';
import { CSV_PARSE_FAILED } from './scoring-messages.js';

/**
 * Reads a text/csv scoring request as MLflow's parse_csv_input does without a schema,
 * pd.read_csv(body): a header row, then each column typed as pandas infers it. Errors are
 * BAD_REQUEST with MLflow's message and pandas' reason.
 */
export function parseCsvRequest(text: string, options: ReadRequestOptions = {}): Frame {
  try {
    const tokenizer = new CsvTokenizer();
    const rows = new CsvRows();
    tokenizer.push(text, rows);
    tokenizer.end(rows);
    if (rows.length === 0) throw new CsvSyntaxError('No columns to parse from file');
    const layout = csvLayout(rows.row(0), rows.length > 1 ? rows.width(1) : undefined);
    return csvRowsToFrame(layout, rows, 1, rows.length, options);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    throw new MlflowError(`${CSV_PARSE_FAILED} Error: '${e.message}'`, 'BAD_REQUEST');
  }
}

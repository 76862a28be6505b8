import { MlflowError } from '../errors.js';
import { assertExactIntegers } from './exact-integer.js';
import { Frame } from './frame.js';
import { frameFromRecords, frameFromRows, recordKeys } from './frame-from-json.js';
import { MAX_COLUMNS, assertColumnCount, assertRecordTableSize } from './column-limit.js';
import { readNumericSplit } from './numeric-split-json.js';
import { FloatMarks, JSON_ROOT, JsonSyntaxError, NO_FLOAT_LITERALS, parseJsonText, type FloatLiterals } from './json-text.js';
import type { ReadRequestOptions } from './read-options.js';
import { floatRepr, pythonStrListRepr, pythonStrRepr, pythonTypeName } from './python-text.js';
import { REQUIRED_INPUT_FORMAT, SCORING_PROTOCOL_CHANGE_INFO } from './scoring-messages.js';
import type { Tensor } from './tensor.js';
import { tensorAt } from './tensor-json.js';

export type RequestFormat = 'dataframe_split' | 'dataframe_records' | 'instances' | 'inputs' | 'unified_llm';

/**
 * A parsed scoring request. `input` is a Frame (dataframe_*), a Tensor or a record of Tensors
 * (instances/inputs), or for a unified-LLM body (a `messages`, `prompt` or `input` key) the
 * JSON object itself, whose predictions MLflow writes without the {"predictions": ...} wrapper.
 */
export interface ParsedRequest {
  input: Frame | Tensor | Record<string, Tensor> | unknown;
  /** As sent: MLflow hands any JSON value on, and pyfunc ignores or refuses it (enforceParams). */
  params?: unknown;
  format: RequestFormat;
  /** `instances`/`inputs` given as a list of records (MLflow leaves those to pyfunc's enforcement). */
  fromRecords?: boolean;
}

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
const LLM_KEYS = ['messages', 'prompt', 'input'];

function badRequest(message: string): MlflowError {
  return new MlflowError(message, 'BAD_REQUEST');
}

/**
 * Reads a JSON scoring request as MLflow 2.22.1's server does without a model schema
 * (`_parse_json_data`): exactly one of the four wrapper keys, optional `params`. Messages are
 * MLflow's, except that the request body is never quoted back (MLflow issue #16537).
 */
export function parseJsonRequest(text: string, options: ReadRequestOptions = {}): ParsedRequest {
  // The common numeric table skips the parsed tree; it reads to the same Frame.
  const numeric = readNumericSplit(text);
  if (numeric) return { input: numeric, format: 'dataframe_split' };
  let parsed;
  try {
    parsed = parseJsonText(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw badRequest(`Invalid input. Ensure that input is a valid JSON formatted string. Error: '${e.pythonRepr}'`);
  }
  return parseRequestValue(parsed.value, parsed.floats, parsed.inexactIntegers, options);
}

/**
 * The same reading for a body already parsed (e.g. unwrapped from another envelope). `floats`
 * from parseJsonText keeps float literals such as 1.0 apart from ints; without it an integral
 * number is an int. `inexactIntegers` from parseJsonText: a request that puts one of them where
 * an int64 is read is refused rather than rounded.
 */
export function parseRequestValue(
  value: unknown,
  floats: FloatLiterals = NO_FLOAT_LITERALS,
  inexactIntegers?: ReadonlyMap<number, string>,
  options: ReadRequestOptions = {},
): ParsedRequest {
  const request = readRequestValue(value, floats, options.keepsColumn);
  assertExactIntegers(request.input, request.params, inexactIntegers, options.readsAsFloat);
  return request;
}

function readRequestValue(value: unknown, floats: FloatLiterals, keep?: (name: string) => boolean): ParsedRequest {
  if (Array.isArray(value)) throw badRequest(`Invalid input. ${REQUIRED_INPUT_FORMAT}. Received a list.`);
  if (typeof value !== 'object' || value === null) {
    const type = pythonTypeName(value, floats.has(JSON_ROOT, 'value'));
    throw badRequest(`Invalid input. ${REQUIRED_INPUT_FORMAT}. Received unexpected input type '<class '${type}'>.`);
  }
  const body = value as Record<string, unknown>;
  if (LLM_KEYS.some((k) => Object.hasOwn(body, k))) {
    // Without a params schema MLflow passes every key, "params" included, to the model.
    return { input: body, format: 'unified_llm' };
  }
  const keys = Object.keys(body).filter((k) => (FORMATS as readonly string[]).includes(k));
  if (keys.length !== 1) {
    throw badRequest(
      `${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: ${pythonStrListRepr(keys)}. ${SCORING_PROTOCOL_CHANGE_INFO}`,
    );
  }
  const format = keys[0] as (typeof FORMATS)[number];
  const params = body.params ?? undefined;
  const input =
    format === 'dataframe_split'
      ? frameFromSplit(body[format], floats)
      : format === 'dataframe_records'
        ? frameFromRecordsField(body[format], floats, keep)
        : format === 'instances'
          ? parseInstances(body, floats, keep)
          : parseInputs(body, floats, keep);
  const request: ParsedRequest = params === undefined || params === null ? { input, format } : { input, params, format };
  if ((format === 'instances' || format === 'inputs') && isRecordList(body[format])) request.fromRecords = true;
  return request;
}

function typeMessage(value: unknown): string {
  return `type <class '${pythonTypeName(value, false)}'>`;
}

/** A column name as str() of the JSON value pandas would hold. */
function columnName(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  return JSON.stringify(v);
}

function splitError(detail: string): MlflowError {
  return badRequest(
    `Invalid input. Provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: '${detail}'`,
  );
}

function frameFromSplit(split: unknown, floats: FloatLiterals): Frame {
  if (typeof split !== 'object' || split === null || Array.isArray(split)) {
    const got = Array.isArray(split) ? 'list' : typeMessage(split);
    throw badRequest(`Invalid input. Dataframe split format must be a dictionary. Got ${got}.`);
  }
  const fields = split as Record<string, unknown>;
  const keys = Object.keys(fields);
  if (!keys.includes('data') || keys.some((k) => !['columns', 'data', 'index'].includes(k))) {
    const set = keys.length === 0 ? 'set()' : `{${keys.map(pythonStrRepr).join(', ')}}`;
    throw badRequest(
      `Invalid input. Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got ${set}.'`,
    );
  }
  const data = fields.data;
  if (!Array.isArray(data)) throw splitError('DataFrame constructor not properly called!');
  const columns = fields.columns ?? null;
  if (columns !== null && !Array.isArray(columns)) {
    throw splitError(`Index(...) must be called with a collection of some kind, a ${pythonTypeName(columns, false)} was passed`);
  }
  // Before any row is read: the cost of a table grows with its columns.
  if (columns !== null) assertColumnCount(columns.length, 'dataframe_split');
  let rows = rowsOf(data, columns, floats);
  assertColumnCount(rows.width, 'dataframe_split');
  const index = fields.index ?? null;
  if (index !== null) {
    if (!Array.isArray(index)) {
      throw splitError(`Index(...) must be called with a collection of some kind, a ${pythonTypeName(index, false)} was passed`);
    }
    // pandas repeats a single row along a longer index.
    if (rows.rows.length === 1 && index.length > 1) rows = { ...rows, rows: index.map(() => rows.rows[0]) };
    if (rows.rows.length !== index.length && !(rows.rows.length === 0 && rows.width === 0)) {
      throw splitError(`Length of values (${rows.rows.length}) does not match length of index (${index.length})`);
    }
  }
  let names: string[];
  if (columns === null) {
    // pandas names the columns 0..n-1 (ints), which a column schema then fails to match.
    names = Array.from({ length: rows.width }, (_, i) => String(i));
  } else {
    if (rows.rows.length > 0 && columns.length !== rows.width) {
      throw splitError(`${columns.length} columns passed, passed data had ${rows.width} columns`);
    }
    names = columns.map(columnName);
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) {
        // pandas builds such a table; MLflow's schema enforcement then fails on it.
        throw new MlflowError(
          `Invalid input. The column ${pythonStrRepr(n)} appears more than once in dataframe_split; a model's input columns must have distinct names.`,
          'INVALID_PARAMETER_VALUE',
        );
      }
      seen.add(n);
    }
  }
  return frameFromRows(names, rows.rows, { floats: rows.floats });
}

interface Rows {
  rows: unknown[][];
  width: number;
  floats: FloatLiterals;
}

/** The rows of a `data` list: lists of values, single values (one column), or records. */
function rowsOf(data: unknown[], columns: unknown[] | null, floats: FloatLiterals): Rows {
  if (data.length === 0) return { rows: [], width: columns?.length ?? 0, floats };
  if (data.every(Array.isArray)) {
    const rows = data as unknown[][];
    let width = 0;
    for (const r of rows) if (r.length > width) width = r.length;
    return { rows, width, floats };
  }
  if (data.every(isRecord)) {
    const records = data as Record<string, unknown>[];
    const names = columns ? columns.map(columnName) : recordKeys(records);
    assertRecordTableSize(records.length, names.length, 'dataframe_split records');
    const marks = new FloatMarks();
    const rows = records.map((r) => {
      // A missing key is pandas' NaN, not the None of a JSON null.
      const row = names.map((n) => (Object.hasOwn(r, n) ? r[n] : NaN));
      names.forEach((n, j) => floats.has(r, n) && marks.add(row, j));
      return row;
    });
    return { rows, width: names.length, floats: marks };
  }
  if (data.some((x) => Array.isArray(x) || isRecord(x))) {
    throw splitError('the rows of data must all be lists, all records or all single values');
  }
  const marks = new FloatMarks();
  const rows = data.map((v, i) => {
    const row = [v];
    if (floats.has(data, i)) marks.add(row, 0);
    return row;
  });
  return { rows, width: 1, floats: marks };
}

function isRecordList(x: unknown): boolean {
  return Array.isArray(x) && x.length > 0 && x.every(isRecord);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function frameFromRecordsField(records: unknown, floats: FloatLiterals, keep?: (name: string) => boolean): Frame {
  if (!Array.isArray(records)) {
    const got = isRecord(records) ? 'dictionary' : typeMessage(records);
    throw badRequest(`Invalid input. Dataframe records format must be a list of records. Got ${got}.`);
  }
  if (records.every(isRecord)) return frameFromRecords(records, { floats, keepsColumn: keep });
  // Lists or single values: pandas builds the frame from rows, with columns 0..n-1.
  try {
    const rows = rowsOf(records, null, floats);
    return frameFromRows(Array.from({ length: rows.width }, (_, i) => String(i)), rows.rows, { floats: rows.floats });
  } catch {
    throw badRequest(
      "Invalid input. Provided dataframe_records field is not a valid dataframe representation in 'records' format." +
        " Error: 'the records must all be dictionaries, all lists or all single values'",
    );
  }
}

/** `inputs` as _cast_schema_type(inputs, None): a dict or list of records -> named tensors, else one tensor. */
function parseInputs(body: Record<string, unknown>, floats: FloatLiterals, keep?: (name: string) => boolean): Tensor | Record<string, Tensor> {
  const inputs = body.inputs;
  if (isRecord(inputs)) return namedTensors(inputs, floats, keep);
  if (Array.isArray(inputs) && inputs.length > 0 && inputs.every(isRecord)) {
    const cols = columnsOfRecords(inputs, floats, true, keep);
    return namedTensors(cols.columns, cols.floats);
  }
  return tensorAt(body, 'inputs', { floats });
}

/** `instances` as parse_instances_data(data, None), with its same-length check. */
function parseInstances(body: Record<string, unknown>, floats: FloatLiterals, keep?: (name: string) => boolean): Tensor | Record<string, Tensor> {
  const instances = body.instances;
  let tensors: Record<string, Tensor>;
  if (Array.isArray(instances) && instances.length > 0 && isRecord(instances[0])) {
    if (!instances.every(isRecord)) {
      throw badRequest(
        "Invalid input. Ensure that the input is a valid JSON-formatted string.\nError: AttributeError(\"'list' object has no attribute 'items'\")",
      );
    }
    const cols = columnsOfRecords(instances, floats, false);
    tensors = namedTensors(cols.columns, cols.floats);
  } else if (isRecord(instances)) {
    tensors = namedTensors(instances, floats, keep);
  } else {
    return tensorAt(body, 'instances', { floats });
  }
  const lengths = Object.values(tensors).map((t) => {
    if (t.shape.length === 0) {
      throw badRequest("Invalid input. Ensure that the input is a valid JSON-formatted string.\nError: TypeError('len() of unsized object')");
    }
    return t.shape[0];
  });
  if (lengths.some((n) => n !== lengths[0])) {
    throw badRequest('Invalid input. The length of values for each input/column name are not the same');
  }
  return tensors;
}

/**
 * Records to column lists. With `fillMissing` a record lacking a key gives NaN there (pyfunc's
 * pd.DataFrame of the records fills NaN); without, the key's list is just shorter, as MLflow's
 * defaultdict builds it.
 */
function columnsOfRecords(
  records: Record<string, unknown>[],
  floats: FloatLiterals,
  fillMissing: boolean,
  keep?: (name: string) => boolean,
): { columns: Map<string, unknown[]>; floats: FloatLiterals } {
  const columns = new Map<string, unknown[]>();
  const marks = new FloatMarks();
  const names = fillMissing ? recordKeys(records, keep) : [];
  if (fillMissing) assertRecordTableSize(records.length, names.length, 'inputs records');
  for (const r of records) {
    for (const k of fillMissing ? names : Object.keys(r)) {
      let col = columns.get(k);
      if (!col) {
        col = [];
        columns.set(k, col);
      }
      if (floats.has(r, k)) marks.add(col, col.length);
      col.push(Object.hasOwn(r, k) ? r[k] : NaN);
    }
  }
  return { columns, floats: marks };
}

function namedTensors(values: Record<string, unknown> | Map<string, unknown[]>, floats: FloatLiterals, keep?: (name: string) => boolean): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  // Names are walked without building a list of pairs: a body of a million names is refused at
  // the cap, and as for records, names a named column signature does not read are dropped
  // before any tensor is built. Each named input is a tensor of its own, a few microseconds each.
  const names: string[] = [];
  for (const k of values instanceof Map ? values.keys() : ownKeys(values)) {
    if (keep && !keep(k)) continue;
    names.push(k);
    if (names.length > MAX_COLUMNS) assertColumnCount(values instanceof Map ? values.size : Object.keys(values).length, 'dictionary of named inputs');
  }
  const entries = names.map((k): [string, unknown] => [k, values instanceof Map ? values.get(k) : values[k]]);
  for (const [k, v] of entries) {
    // defineProperty: a "__proto__" key is data here.
    const tensor = values instanceof Map ? tensorAt([v], 0, { floats }) : tensorAt(values, k, { floats });
    Object.defineProperty(out, k, { value: tensor, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The own keys of a parsed JSON object, one at a time. */
function* ownKeys(o: Record<string, unknown>): Generator<string> {
  for (const k in o) if (Object.hasOwn(o, k)) yield k;
}

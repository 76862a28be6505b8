import { isUtf8 } from 'node:buffer';
import { MlflowError, type ErrorCode } from '../errors.js';
import type { Flavor, PredictInput } from '../flavors/flavor.js';
import { parseCsvRequest, parseJsonRequest, parseJsonText, parseRequestValue, type ReadRequestOptions } from '../frame/index.js';
import { decodeJsonBytes } from '../frame/json-bytes.js';
import { CSV_PARSE_FAILED } from '../frame/scoring-messages.js';
import { firstInvalidUtf8 } from '../frame/utf8-position.js';
import type { ParamSchema, Schema } from '../model/index.js';
import { castToSchema, schemaReading } from '../pyfunc/index.js';

export interface ParsedBody {
  input: PredictInput;
  /** As sent (any JSON value): pyfunc's enforceParams ignores or refuses it. */
  params?: unknown;
  /** An unwrapped (LLM-style) request gets unwrapped predictions back, as MLflow does. */
  unwrapped: boolean;
  /** instances/inputs sent as a list of records. */
  fromRecords?: boolean;
}

/** What reading a body needs to know of the model: its input schema and the names its params schema declares. */
export interface BodyModel {
  inputSchema: Schema | undefined;
  paramNames: ReadonlySet<string>;
  reading: ReadRequestOptions;
  /**
   * A large body's long lists of strings reach the model as their UTF-8 bytes (a list that makes
   * each string when read: frame/utf8-strings.ts): for the Python bridge, which only sends them on.
   */
  stringsAsBytes?: boolean;
}

/** What reading a body needs of a model with these signature parts, scored where `kind` says. */
export function bodyModel(inputSchema: Schema | undefined, paramsSchema: ParamSchema | undefined, kind?: Flavor['kind']): BodyModel {
  return {
    inputSchema, paramNames: new Set((paramsSchema?.params ?? []).map((p) => p.name)), reading: schemaReading(inputSchema), stringsAsBytes: kind === 'python',
  };
}

/** A body read and cast to the model's schema, or the client's error (always a 400-class answer). */
export type ReadBody = { ok: true; parsed: ParsedBody } | { ok: false; code: ErrorCode; message: string };

/**
 * Reads a request body as MLflow's server does: decodes it (JSON as json.loads(bytes) does: a
 * BOM, UTF-16/32; CSV as UTF-8), parses it in the Content-Type's format and casts it to the
 * model's input schema. A value that cannot take the schema's type is the client's fault (400
 * BAD_REQUEST), before predict is called; an unwrapped (LLM-style) body goes to the model as is,
 * as MLflow passes it. The same function runs in the large-body thread, so answers match.
 */
export function readBody(body: Uint8Array, format: 'json' | 'csv', model: BodyModel): ReadBody {
  const text = format === 'json' ? decodeJsonBytes(body) : isUtf8(body) ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') : undefined;
  if (text === undefined) {
    // As `models predict` does, a CSV body names where its UTF-8 breaks.
    const where = format === 'csv' ? ` (byte offset ${firstInvalidUtf8(body)})` : '';
    return { ok: false, code: 'BAD_REQUEST', message: `Invalid input. The request body is not valid UTF-8 text${where}.` };
  }
  try {
    const tensorSchema = model.inputSchema?.isTensorSpec() ?? false;
    const parsed = format === 'json' ? parseJson(text, model.paramNames, model.reading) : parseCsv(text, tensorSchema, model.reading);
    if (!parsed.unwrapped) parsed.input = castToSchema(parsed.input, model.inputSchema, { fromRecords: parsed.fromRecords });
    return { ok: true, parsed };
  } catch (err) {
    // Whatever fails while reading the body is the client's fault, as in MLflow; a table
    // pandas builds but enforcement refuses (duplicate column names) keeps its code.
    const code = err instanceof MlflowError && err.errorCode === 'INVALID_PARAMETER_VALUE' ? err.errorCode : 'BAD_REQUEST';
    return { ok: false, code, message: parseErrorMessage(err) };
  }
}

/**
 * JSON bodies go to frame/. An unwrapped (LLM-style) body is the model's input as is, minus the
 * keys the params schema names, which are params (as MLflow splits them). Azure ML's
 * `{"input_data": ...}` shape is tried only when the standard shapes fail, so the common path
 * parses the JSON once.
 */
function parseJson(text: string, paramNames: ReadonlySet<string>, reading: ReadRequestOptions): ParsedBody {
  let request;
  try {
    request = parseJsonRequest(text, reading);
  } catch (err) {
    const azure = azureRequest(text, reading);
    if (azure) return azure;
    throw err;
  }
  if (request.format !== 'unified_llm') {
    return { input: request.input, params: request.params, unwrapped: false, fromRecords: request.fromRecords };
  }
  if (paramNames.size === 0) return { input: request.input, unwrapped: true };
  const input: Record<string, unknown> = {};
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(request.input as Record<string, unknown>)) (paramNames.has(k) ? params : input)[k] = v;
  return { input, params, unwrapped: true };
}

/**
 * `{"input_data": {"columns", "index", "data"}}` (a table) or `{"input_data": [...]}` (a tensor).
 * The parsed values are rewrapped, not re-serialized, so float literals (1.0) and integers
 * beyond 2^53 keep the marks the parser gave them.
 */
function azureRequest(text: string, reading: ReadRequestOptions): ParsedBody | undefined {
  let parsed;
  try {
    parsed = parseJsonText(text);
  } catch {
    return undefined;
  }
  const doc = parsed.value;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Object.hasOwn(doc, 'input_data')) return undefined;
  const { input_data: data, params } = doc as { input_data: unknown; params?: unknown };
  const isTable = typeof data === 'object' && data !== null && !Array.isArray(data) && 'data' in data;
  const wrapped: Record<string, unknown> = { [isTable ? 'dataframe_split' : 'inputs']: data };
  if (params !== undefined) wrapped.params = params;
  const request = parseRequestValue(wrapped, parsed.floats, parsed.inexactIntegers, reading);
  return { input: request.input, params: request.params, unwrapped: false };
}

function parseCsv(text: string, tensorSchema: boolean, reading: ReadRequestOptions): ParsedBody {
  if (tensorSchema) {
    // MLflow fails here too: pandas cannot read a CSV with a tensor signature's dtypes.
    throw new MlflowError(`${CSV_PARSE_FAILED} Error: 'TensorSpec only supports numpy types, use numpy_types() instead'`, 'BAD_REQUEST');
  }
  return { input: parseCsvRequest(text, reading), unwrapped: false };
}

function parseErrorMessage(err: unknown): string {
  if (err instanceof MlflowError) return err.message;
  // A RangeError from a pathologically nested body lands here too; its message is generic.
  return `Invalid input. ${err instanceof Error ? err.message : String(err)}`;
}

import { isUtf8 } from 'node:buffer';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { MlflowError, ModelRaisedError, httpStatusOf, type ErrorCode } from '../errors.js';
import type { PredictInput } from '../flavors/flavor.js';
import {
  isFrame,
  parseCsvRequest,
  parseJsonRequest,
  parseJsonText,
  parseRequestValue,
  predictionsToJson,
  unwrappedPredictionsToJson,
  type Frame,
  type ReadRequestOptions,
} from '../frame/index.js';
import { decodeJsonBytes } from '../frame/json-bytes.js';
import { CSV_PARSE_FAILED } from '../frame/scoring-messages.js';
import { castToSchema, schemaReading, type Predictor } from '../pyfunc/index.js';
import { readContentType } from './content-type.js';
import { FIRST_BLOCK_ROWS, predictInBlocks } from './predict-in-blocks.js';

/** One HTTP answer of the scoring protocol, ready to write. */
export interface ScoringResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export const JSON_TYPE = 'application/json';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/** Bodies up to this size are scored without yielding between stages: each stage takes well under 1 ms. */
const YIELD_ABOVE_BYTES = 64 * 1024;

/** MLflow's answer when a model raises something other than an MlflowException. */
export const UNEXPECTED_MODEL_ERROR =
  'Encountered an unexpected error while evaluating the model. Verify that the serialized input' +
  ' Dataframe is compatible with the model for inference.';

interface ParsedBody {
  input: PredictInput;
  /** As sent (any JSON value): pyfunc's enforceParams ignores or refuses it. */
  params?: unknown;
  /** An unwrapped (LLM-style) request gets unwrapped predictions back, as MLflow does. */
  unwrapped: boolean;
  /** instances/inputs sent as a list of records. */
  fromRecords?: boolean;
}

/**
 * The POST /invocations handler of MLflow 2.x's scoring protocol, apart from HTTP: reads the
 * body as the Content-Type says, scores it and answers as MLflow's server would. Errors never
 * quote the request's data back (MLflow issue #16537).
 */
export function createInvocationHandler(
  predictor: Predictor,
  logger?: Logger,
): (body: Buffer, contentType: string | undefined) => Promise<ScoringResponse> {
  const inputSchema = predictor.metadata.getInputSchema();
  const tensorSchema = inputSchema?.isTensorSpec() ?? false;
  const paramNames = new Set((predictor.metadata.getParamsSchema()?.params ?? []).map((p) => p.name));
  const reading = schemaReading(inputSchema);
  return async (body, contentType) => {
    const verdict = readContentType(contentType);
    if (!verdict.ok) return { status: 415, contentType: TEXT_TYPE, body: verdict.message };
    // JSON bodies are read as json.loads(bytes) reads them (a BOM, UTF-16/32); CSV as UTF-8.
    const text = verdict.format === 'json' ? decodeJsonBytes(body) : isUtf8(body) ? body.toString('utf8') : undefined;
    if (text === undefined) {
      return errorResponse('BAD_REQUEST', 'Invalid input. The request body is not valid UTF-8 text.');
    }

    let parsed: ParsedBody;
    try {
      parsed = verdict.format === 'json' ? parseJson(text, paramNames, reading) : parseCsv(text, tensorSchema, reading);
      // MLflow reads the body with the model's input schema: a value that cannot take the
      // schema's type is the client's fault (400 BAD_REQUEST), before predict is called. An
      // unwrapped (LLM-style) body goes to the model as is, as MLflow passes it.
      if (!parsed.unwrapped) parsed.input = castToSchema(parsed.input, inputSchema, { fromRecords: parsed.fromRecords });
    } catch (err) {
      // Whatever fails while reading the body is the client's fault, as in MLflow; a table
      // pandas builds but enforcement refuses (duplicate column names) keeps its code.
      const code = err instanceof MlflowError && err.errorCode === 'INVALID_PARAMETER_VALUE' ? err.errorCode : 'BAD_REQUEST';
      return errorResponse(code, parseErrorMessage(err));
    }

    // A large body's stages (parse, predict, serialize) each hold the event loop for a time that
    // grows with the body; between them /ping, other requests and signals get their turn.
    const large = body.length > YIELD_ABOVE_BYTES;
    if (large) await nextTurn();
    let output: unknown;
    try {
      const blocks = large && predictor.kind === 'native' && !parsed.unwrapped && isFrame(parsed.input) && parsed.input.numRows > FIRST_BLOCK_ROWS;
      const json = blocks ? await predictInBlocks(predictor, parsed.input as Frame, parsed.params) : undefined;
      if (json !== undefined) return { status: 200, contentType: JSON_TYPE, body: json };
      output = await predictor.predict(parsed.input, parsed.params);
    } catch (err) {
      if (err instanceof MlflowError && !(err instanceof ModelRaisedError)) {
        return errorResponse(err.errorCode, `Failed to predict data. \nError: ${err.message}`);
      }
      // The model raised, as MLflow's catch-all sees it: its own message may quote the data, so
      // it goes to the server's log, not to the client.
      logger?.warn({ err }, 'the model failed on a request');
      return errorResponse('BAD_REQUEST', UNEXPECTED_MODEL_ERROR);
    }

    if (large) await nextTurn();
    try {
      const json = parsed.unwrapped ? unwrappedPredictionsToJson(output) : predictionsToJson(output);
      return { status: 200, contentType: JSON_TYPE, body: json };
    } catch (err) {
      return errorResponse('INTERNAL_ERROR', `Failed to serialize the model's predictions: ${messageOf(err)}`);
    }
  };
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
  return `Invalid input. ${messageOf(err)}`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** MLflow's JSON error body, spaced as Python's json.dumps writes it. */
export function errorResponse(code: ErrorCode, message: string, status?: number): ScoringResponse {
  return {
    status: status ?? httpStatusOf(code),
    contentType: JSON_TYPE,
    body: `{"error_code": ${JSON.stringify(code)}, "message": ${JSON.stringify(message)}}`,
  };
}

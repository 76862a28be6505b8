import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { MlflowError, ModelRaisedError, httpStatusOf, type ErrorCode } from '../errors.js';
import type { PredictInput } from '../flavors/flavor.js';
import { predictionsToJson, unwrappedPredictionsToJson } from '../frame/index.js';
import type { Predictor } from '../pyfunc/index.js';
import { readContentType } from './content-type.js';
import { THREAD_ABOVE_BYTES, readLargeBody } from './large-body.js';
import { blockRows, predictInBlocks, predictionsJsonInBlocks, type RowInput } from './predict-in-blocks.js';
import { bodyModel, readBody, type ParsedBody } from './read-body.js';

/** One HTTP answer of the scoring protocol, ready to write (a large answer as bytes, made a block at a time). */
export interface ScoringResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer;
}

export const JSON_TYPE = 'application/json';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/** Bodies up to this size are scored without yielding between stages: each stage takes well under 1 ms. */
export const YIELD_ABOVE_BYTES = 64 * 1024;

/** MLflow's answer when a model raises something other than an MlflowException. */
export const UNEXPECTED_MODEL_ERROR =
  'Encountered an unexpected error while evaluating the model. Verify that the serialized input' +
  ' Dataframe is compatible with the model for inference.';

/**
 * The POST /invocations handler of MLflow 2.x's scoring protocol, apart from HTTP: reads the
 * body as the Content-Type says, scores it and answers as MLflow's server would. Errors never
 * quote the request's data back (MLflow issue #16537).
 */
export function createInvocationHandler(
  predictor: Predictor,
  logger?: Logger,
): (body: Buffer, contentType: string | undefined) => Promise<ScoringResponse> {
  const model = bodyModel(predictor.metadata.getInputSchema(), predictor.metadata.getParamsSchema(), predictor.kind);
  /** A large body's stages (parse, predict, serialize) each hold the event loop for a time that grows with the body; between them /ping, other requests and signals get their turn. */
  const scoreLarge = async (body: Buffer, format: 'json' | 'csv'): Promise<ScoringResponse> => {
    // A very large body is read in a thread of its own (it takes the body).
    const read = body.length > THREAD_ABOVE_BYTES ? await readLargeBody(body, format, model) : readBody(body, format, model);
    if (!read.ok) return errorResponse(read.code, read.message);
    const parsed = read.parsed;
    const { params, unwrapped } = parsed;
    await nextTurn();
    let output: unknown;
    try {
      const blocks = !unwrapped && blockRows(predictor, parsed.input) !== undefined;
      const json = blocks ? await predictInBlocks(predictor, parsed.input as RowInput, params) : undefined;
      if (json !== undefined) return { status: 200, contentType: JSON_TYPE, body: json };
      output = await predictor.predict(takeInput(parsed), params);
    } catch (err) {
      return predictFailed(err, logger);
    }
    await nextTurn();
    if (unwrapped) return answerOf(output, true);
    try {
      return { status: 200, contentType: JSON_TYPE, body: await predictionsJsonInBlocks(output) };
    } catch (err) {
      return serializeFailed(err);
    }
  };
  // Not an async function: a small body's answer is one promise (predict's) away, with no awaits.
  return (body, contentType) => {
    try {
      const verdict = readContentType(contentType);
      if (!verdict.ok) return Promise.resolve({ status: 415, contentType: TEXT_TYPE, body: verdict.message });
      if (body.length > YIELD_ABOVE_BYTES) return scoreLarge(body, verdict.format);
      const read = readBody(body, verdict.format, model);
      if (!read.ok) return Promise.resolve(errorResponse(read.code, read.message));
      const { input, params, unwrapped } = read.parsed;
      let predicted: Promise<unknown>;
      try {
        predicted = predictor.predict(input, params);
      } catch (err) {
        return Promise.resolve(predictFailed(err, logger));
      }
      return predicted.then((output) => answerOf(output, unwrapped), (err: unknown) => predictFailed(err, logger));
    } catch (err) {
      // as the async function this was: whatever else throws is the caller's rejection
      return Promise.reject(err as Error);
    }
  };
}

/**
 * The body's input, taken out of `parsed`: once predict has it nothing here holds it, so a model's
 * answer of millions of values is read and written while the input is garbage (a frame waiting on
 * predict kept it alive, and the collector marked it again and again).
 */
function takeInput(parsed: ParsedBody): PredictInput {
  const { input } = parsed;
  parsed.input = null;
  return input;
}

/** The answer to a predict that threw, as MLflow's server gives it. */
function predictFailed(err: unknown, logger: Logger | undefined): ScoringResponse {
  if (err instanceof MlflowError && !(err instanceof ModelRaisedError)) {
    return errorResponse(err.errorCode, `Failed to predict data. \nError: ${err.message}`);
  }
  // The model raised, as MLflow's catch-all sees it: its own message may quote the data, so
  // it goes to the server's log, not to the client.
  logger?.warn({ err }, 'the model failed on a request');
  return errorResponse('BAD_REQUEST', UNEXPECTED_MODEL_ERROR);
}

/** The predictions' JSON answer. */
function answerOf(output: unknown, unwrapped: boolean): ScoringResponse {
  try {
    const json = unwrapped ? unwrappedPredictionsToJson(output) : predictionsToJson(output);
    return { status: 200, contentType: JSON_TYPE, body: json };
  } catch (err) {
    return serializeFailed(err);
  }
}

function serializeFailed(err: unknown): ScoringResponse {
  return errorResponse('INTERNAL_ERROR', `Failed to serialize the model's predictions: ${messageOf(err)}`);
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

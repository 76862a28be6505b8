import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  concatFrames, concatTensors, isFrame, isTensor, PREDICTION_LIST_PREFIX, PREDICTION_LIST_SUFFIX, predictionListItems, predictionsToJson, pythonJsonOf,
  sliceFrame, sliceTensor,
  valueToJsonInTurns,
  type Frame, type NumericArray, type Tensor,
} from '../frame/index.js';
import type { TensorSpec } from '../model/index.js';
import type { Predictor } from '../pyfunc/index.js';

/** Rows in the first block; later blocks are sized from how long the previous one took. */
export const FIRST_BLOCK_ROWS = 4096;
/** Time one block may hold the event loop, predict and serialization together. */
const BLOCK_MS = 20;
const MAX_BLOCK_ROWS = 1 << 20;

/** An input that can be cut into blocks of rows: a table, a tensor, or named tensors sharing their first axis. */
export type RowInput = Frame | Tensor | { readonly [name: string]: Tensor };

/** Flavors whose models score each row of a tensor on its own, whatever its shape: estimators. */
const ROW_WISE_FLAVORS = new Set(['sklearn', 'lightgbm', 'xgboost', 'h2o', 'h2o_mojo_pojo', 'spark']);
/**
 * Flavors whose models are graphs: row-wise along a batch dimension, which the signature
 * declares by a variable (-1) first dimension of every tensor input. A graph may still mix
 * rows (a reduction over the batch); its signature cannot say so, and the README names the case.
 */
const BATCH_GRAPH_FLAVORS = new Set(['tensorflow', 'keras', 'tfjs', 'onnx']);

/**
 * How many rows `input` has when a large request's input may be scored in blocks of rows: a
 * native model's table (native flavors score each row on its own, as `models predict` relies on
 * when it scores a file in batches), or its tensors where the model is row-wise along their first
 * axis (see above). Undefined otherwise: the input goes to the model whole.
 */
export function blockRows(predictor: Predictor, input: unknown): number | undefined {
  const rows = rowsOfInput(input);
  if (predictor.kind !== 'native' || rows === undefined || rows <= FIRST_BLOCK_ROWS) return undefined;
  if (isFrame(input) || ROW_WISE_FLAVORS.has(predictor.flavor)) return rows;
  const schema = predictor.metadata.getInputSchema();
  const batched = schema?.isTensorSpec() && (schema.inputs as TensorSpec[]).every((s) => s.shape.length > 0 && s.shape[0] === -1);
  return BATCH_GRAPH_FLAVORS.has(predictor.flavor) && batched ? rows : undefined;
}

/**
 * The `{"predictions": [...]}` body for a large input (see blockRows) scored by a native model,
 * predicted and serialized a block of rows at a time with a turn of the event loop between
 * blocks, so /ping, other requests and signals are not held up by one request. Should a block's
 * predictions not be one per row, or not a list, undefined tells the caller to score the whole
 * input at once instead (the blocks scored so far are then lost, nothing else).
 */
export async function predictInBlocks(predictor: Predictor, input: RowInput, params: unknown): Promise<string | undefined> {
  const items: string[] = [];
  const whole = await inBlocks(predictor, input, params, (output) => {
    let text;
    try {
      text = predictionListItems(predictionsToJson(output));
    } catch {
      // Predictions JSON cannot hold: the whole-input path answers that as MLflow does.
      return false;
    }
    if (text === undefined) return false;
    items.push(text);
    return true;
  });
  return whole ? PREDICTION_LIST_PREFIX + items.join(', ') + PREDICTION_LIST_SUFFIX : undefined;
}

/**
 * The prediction for a large input (see blockRows) scored a block of rows at a time with a turn
 * of the event loop between blocks, the blocks' predictions stacked as one predict of the whole
 * input gives them (the V2 route encodes it after). Undefined when a block's prediction is not
 * one row per input row or the blocks' predictions do not stack (other columns or dtypes): the
 * caller scores the whole input at once instead.
 */
export async function predictOutputInBlocks(predictor: Predictor, input: RowInput, params: unknown): Promise<unknown> {
  const outputs: unknown[] = [];
  const whole = await inBlocks(predictor, input, params, (output) => outputs.push(output) > 0);
  return whole ? stack(outputs) : undefined;
}

/** Text gathered before it becomes one Buffer of the answer. */
const TEXT_PART = 1 << 20;

/**
 * predictionsToJson(output)'s text, for a large output a model gave whole (a Python model, or one
 * not scored in blocks), as UTF-8 bytes made a part at a time with turns of the event loop
 * between, so that neither serializing a hundred megabytes nor encoding it holds the event loop:
 * a table or tensor a block of rows at a time, each block about BLOCK_MS; a list or object (a
 * Python model's JSON answer) a slice of each long list at a time (valueToJsonInTurns). Anything
 * else, or a table or tensor whose JSON is not a list of rows, is serialized at once, as text.
 */
export async function predictionsJsonInBlocks(output: unknown): Promise<string | Buffer> {
  const parts: Buffer[] = [];
  const add = (text: string): void => {
    parts.push(Buffer.from(text));
  };
  const pythonText = pythonJsonOf(output);
  const rows = isFrame(output) || isTensor(output) ? rowsOf(output) : undefined;
  if (rows !== undefined) {
    if (rows <= FIRST_BLOCK_ROWS) return predictionsToJson(output);
    add(PREDICTION_LIST_PREFIX);
    if (!(await rowBlocksJson(output as Frame | Tensor, rows, add))) return predictionsToJson(output);
    add(PREDICTION_LIST_SUFFIX);
  } else if (pythonText !== undefined) {
    add('{"predictions": ');
    parts.push(pythonText);
    add('}');
  } else if (typeof output === 'object' && output !== null && (Array.isArray(output) || Object.getPrototypeOf(output) === Object.prototype)) {
    let text = '{"predictions": ';
    await valueToJsonInTurns(output, (piece) => {
      text += piece;
      if (text.length >= TEXT_PART) {
        add(text);
        text = '';
      }
    });
    add(`${text}}`);
  } else {
    return predictionsToJson(output);
  }
  return joinInTurns(parts);
}

/** `parts` as one buffer, copied a part per turn: one copy of a hundred megabytes would hold the event loop too. */
export async function joinInTurns(parts: readonly Uint8Array[]): Promise<Buffer> {
  let size = 0;
  for (const part of parts) size += part.byteLength;
  const out = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
    await nextTurn();
  }
  return out;
}

/** The list items of a table's or tensor's predictions JSON, a block of rows per turn; false when its JSON is not a list of rows. */
async function rowBlocksJson(output: Frame | Tensor, total: number, add: (text: string) => void): Promise<boolean> {
  let rows = FIRST_BLOCK_ROWS;
  for (let start = 0; start < total; ) {
    const end = Math.min(total, start + rows);
    const began = performance.now();
    const text = predictionListItems(predictionsToJson(isFrame(output) ? sliceFrame(output, start, end) : sliceTensor(output, start, end)));
    if (text === undefined) return false;
    add(start === 0 ? text : `, ${text}`);
    rows = nextBlockRows(end - start, performance.now() - began);
    start = end;
    await nextTurn();
  }
  return true;
}

/**
 * Rows (or values) of the next block, from how long the last one (`rows` of them) took: about
 * BLOCK_MS, and at most twice the last. A block's time is not linear in its rows: a larger block
 * allocates larger arrays, whose fresh memory costs page faults on first touch (on a 2-core VM,
 * a 16x jump from a fast cold first block held the event loop 60-130 ms), and a cold JIT speeds
 * up as it goes; doubling at most keeps a misjudged block near BLOCK_MS.
 */
export function nextBlockRows(rows: number, ms: number): number {
  return Math.max(256, Math.min(MAX_BLOCK_ROWS, 2 * rows, Math.round((rows * BLOCK_MS) / Math.max(ms, 0.5))));
}

/**
 * Predicts `input` a block of rows at a time, each block sized so that its predict and `take`
 * hold the event loop about BLOCK_MS, with a turn of the event loop between blocks. False when a
 * block's prediction is not one row per input row or `take` refuses it: the rest is not scored.
 */
async function inBlocks(predictor: Predictor, input: RowInput, params: unknown, take: (output: unknown) => boolean): Promise<boolean> {
  const total = rowsOfInput(input) as number;
  let rows = FIRST_BLOCK_ROWS;
  for (let start = 0; start < total; ) {
    const end = Math.min(total, start + rows);
    const began = performance.now();
    const output = await predictor.predict(sliceInput(input, start, end), params);
    if (rowsOf(output) !== end - start || !take(output)) return false;
    rows = nextBlockRows(end - start, performance.now() - began);
    start = end;
    if (start < total) await nextTurn();
  }
  return true;
}

/** Predictions of consecutive blocks as one: tables, tensors, lists or typed arrays of one kind; undefined when they differ. */
function stack(outputs: unknown[]): unknown {
  const first = outputs[0];
  if (outputs.every(isFrame)) return concatFrames(outputs);
  if (outputs.every(isTensor)) return concatTensors(outputs);
  if (outputs.every((o) => Array.isArray(o))) return (outputs as unknown[][]).flat();
  if (ArrayBuffer.isView(first) && outputs.every((o) => (o as object).constructor === first.constructor)) {
    const views = outputs as NumericArray[];
    const out = new (first.constructor as new (n: number) => NumericArray)(views.reduce((n, v) => n + v.length, 0));
    let at = 0;
    for (const v of views) {
      out.set(v, at);
      at += v.length;
    }
    return out;
  }
  return undefined;
}

/** Rows of a table, of a tensor (its first axis), or of named tensors that share their first axis. */
function rowsOfInput(input: unknown): number | undefined {
  if (isFrame(input)) return input.numRows;
  if (isTensor(input)) return input.shape.length > 0 ? input.shape[0] : undefined;
  if (typeof input !== 'object' || input === null || Object.getPrototypeOf(input) !== Object.prototype) return undefined;
  const tensors = Object.values(input);
  if (tensors.length === 0 || !tensors.every((t) => isTensor(t) && t.shape.length > 0)) return undefined;
  const rows = (tensors[0] as Tensor).shape[0];
  return tensors.every((t) => (t as Tensor).shape[0] === rows) ? rows : undefined;
}

function sliceInput(input: RowInput, start: number, end: number): RowInput {
  if (isFrame(input)) return sliceFrame(input, start, end);
  if (isTensor(input)) return sliceTensor(input, start, end);
  return Object.fromEntries(Object.entries(input).map(([k, t]) => [k, sliceTensor(t, start, end)]));
}

/** How many rows a prediction output holds, when it is one with a row per input row. */
function rowsOf(output: unknown): number | undefined {
  if (isFrame(output)) return output.numRows;
  if (isTensor(output)) return output.shape.length > 0 ? output.shape[0] : undefined;
  if (Array.isArray(output)) return output.length;
  if (ArrayBuffer.isView(output) && !(output instanceof DataView)) return (output as unknown as ArrayLike<unknown>).length;
  return undefined;
}

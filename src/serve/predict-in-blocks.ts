import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  isFrame, isTensor, PREDICTION_LIST_PREFIX, PREDICTION_LIST_SUFFIX, predictionListItems, predictionsToJson, sliceFrame, type Frame,
} from '../frame/index.js';
import type { Predictor } from '../pyfunc/index.js';

/** Rows in the first block; later blocks are sized from how long the previous one took. */
export const FIRST_BLOCK_ROWS = 4096;
/** Time one block may hold the event loop, predict and serialization together. */
const BLOCK_MS = 20;
const MAX_BLOCK_ROWS = 1 << 20;

/**
 * The `{"predictions": [...]}` body for a large table scored by a native model, predicted and
 * serialized a block of rows at a time with a turn of the event loop between blocks, so /ping,
 * other requests and signals are not held up by one request. Native flavors score each row on
 * its own, as `models predict` relies on when it scores a file in batches; should a block's
 * predictions not be one per row, or not a list, undefined tells the caller to score the whole
 * table at once instead (the first block's work is then lost, nothing else).
 */
export async function predictInBlocks(predictor: Predictor, frame: Frame, params: unknown): Promise<string | undefined> {
  const items: string[] = [];
  let rows = FIRST_BLOCK_ROWS;
  for (let start = 0; start < frame.numRows; ) {
    const end = Math.min(frame.numRows, start + rows);
    const began = performance.now();
    const output = await predictor.predict(sliceFrame(frame, start, end), params);
    if (rowsOf(output) !== end - start) return undefined;
    let text;
    try {
      text = predictionListItems(predictionsToJson(output));
    } catch {
      // Predictions JSON cannot hold: the whole-table path answers that as MLflow does.
      return undefined;
    }
    if (text === undefined) return undefined;
    items.push(text);
    const ms = performance.now() - began;
    rows = Math.max(256, Math.min(MAX_BLOCK_ROWS, Math.round(((end - start) * BLOCK_MS) / Math.max(ms, 0.5))));
    start = end;
    if (start < frame.numRows) await nextTurn();
  }
  return PREDICTION_LIST_PREFIX + items.join(', ') + PREDICTION_LIST_SUFFIX;
}

/** How many rows a prediction output holds, when it is one with a row per input row. */
function rowsOf(output: unknown): number | undefined {
  if (isFrame(output)) return output.numRows;
  if (isTensor(output)) return output.shape.length > 0 ? output.shape[0] : undefined;
  if (Array.isArray(output)) return output.length;
  if (ArrayBuffer.isView(output) && !(output instanceof DataView)) return (output as unknown as ArrayLike<unknown>).length;
  return undefined;
}

import type { PredictOutput } from '../flavors/flavor.js';
import { Frame, predictionsToJson, unwrappedPredictionsToJson, type Column, type ColumnData } from '../frame/index.js';
import { plainArray } from '../frame/lazy-list.js';
import { predictionsToFrame } from './predictions-frame.js';

/** One batch's predictions as `models predict` writes them: JSON text, or a table (csv, parquet). */
export type BatchOutput = { json: string } | { frame: Frame };

/**
 * The predictions in the form the output format needs. Done where the batch was scored (a worker
 * thread too), so the costly part of writing runs there; `unwrapped`: JSON without the
 * `{"predictions": ...}` wrapper, for an LLM-style request.
 */
export function toBatchOutput(output: PredictOutput, json: boolean, unwrapped = false): BatchOutput {
  if (!json) return { frame: predictionsToFrame(output) };
  return { json: unwrapped ? unwrappedPredictionsToJson(output) : predictionsToJson(output) };
}

/** A Frame as plain data that postMessage copies (typed arrays, arrays, dates); `frameFromMessage` rebuilds it. */
export interface FrameMessage {
  columns: readonly Column[];
  numRows: number;
}

export function frameToMessage(f: Frame): FrameMessage {
  // a Python model's long lists are Proxies (frame/lazy-list.ts), which postMessage cannot clone
  return { columns: f.columns.map((c) => ({ name: c.name, data: { ...c.data, values: plainArray(c.data.values) } as ColumnData })), numRows: f.numRows };
}

export function frameFromMessage(m: FrameMessage): Frame {
  return new Frame(m.columns, m.numRows);
}

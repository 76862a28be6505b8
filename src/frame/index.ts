export { Frame, isFrame, type Column, type ColumnData, type NumericArray, type NumericDType } from './frame.js';
export { concatTensors, isTensor, sliceTensor, makeTensor, sizeOfShape, type Tensor, type TensorDType } from './tensor.js';
export { parseJsonText, NO_FLOAT_LITERALS, type FloatLiterals, type ParsedJsonText } from './json-text.js';
export { tensorFromJson, tensorToNested, type TensorFromJsonOptions } from './tensor-json.js';
export { columnFromJsonValues, frameFromColumns, frameFromRecords, frameFromRows } from './frame-from-json.js';
export { parseJsonRequest, parseRequestValue, type ParsedRequest, type RequestFormat } from './request-json.js';
export type { ReadRequestOptions, ReadsAsFloat } from './read-options.js';
export { parseCsvRequest } from './request-csv.js';
export {
  frameRowsToJson, frameToJsonRecords, PREDICTION_LIST_PREFIX, PREDICTION_LIST_SUFFIX, predictionListItems, predictionsToJson, PYTHON_JSON, pythonJsonOf,
  tensorToJson, unwrappedPredictionsToJson, valueToJson,
} from './predictions-json.js';
export { concatFrames, sliceFrame, frameToColumns, frameToRecords } from './frame-rows.js';
export { frameToCsv } from './csv-write.js';
export { readFrameBatches, type BatchFormat, type BatchSource, type ReadBatchesOptions } from './batch-read.js';
export { createFrameWriter, type FrameWriter } from './batch-write.js';
export { CSV_PARSE_FAILED, REQUIRED_INPUT_FORMAT, SCORING_PROTOCOL_CHANGE_INFO } from './scoring-messages.js';
export { Turns } from './turns.js';
export { valueToJsonInTurns } from './value-json-in-turns.js';

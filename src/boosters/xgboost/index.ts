/**
 * XGBoost models scored natively: `readXGBoostModel(bytes)` reads any file XGBoost saves (JSON,
 * UBJSON, legacy binary; 0.x to 3.x) into an `XGBoostModel` whose `predict` answers as
 * `Booster.predict(DMatrix(rows))` does. Shared by the xgboost, sklearn, spark and h2o flavors.
 */
import { MlflowError } from '../../errors.js';
import { decodeUbjson } from '../../formats/ubjson.js';
import { parseJsonText } from '../../frame/json-text.js';
import { XGBoostModel } from './booster.js';
import { partsFromDocument } from './from-json.js';
import { partsFromLegacyBinary } from './legacy-binary.js';

export { XGBoostModel, type XGBoostPredictOptions, type XGBoostPrediction } from './booster.js';
export type { XGBoostParts } from './parts.js';

export type XGBoostFormat = 'json' | 'ubj' | 'binary';

export interface ReadXGBoostOptions {
  /** The file's format; detected from its first bytes when omitted. */
  readonly format?: XGBoostFormat;
  /** Names the file in errors. */
  readonly file?: string;
}

export function readXGBoostModel(bytes: Uint8Array, opts: ReadXGBoostOptions = {}): XGBoostModel {
  const file = opts.file ?? 'XGBoost model';
  const format = opts.format ?? detectFormat(bytes);
  if (format === 'binary') return new XGBoostModel(partsFromLegacyBinary(bytes, file), file);
  let doc;
  if (format === 'json') {
    doc = parseJson(new TextDecoder().decode(bytes), file);
  } else {
    doc = decodeUbjson(bytes, file);
  }
  return new XGBoostModel(partsFromDocument(doc as Parameters<typeof partsFromDocument>[0], file), file);
}

/** XGBoost writes NaN and Infinity bare (categorical splits' conditions): JSON.parse first, Python's rules when it refuses. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    try {
      return parseJsonText(text).value;
    } catch (e) {
      throw new MlflowError(`${file} is not valid JSON: ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE');
    }
  }
}

/** JSON starts with '{' and then a quote or a space; UBJSON's '{' is followed by a type marker. */
export function detectFormat(bytes: Uint8Array): XGBoostFormat {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x7b) return 'binary';
  const next = bytes[i + 1];
  return next === 0x22 || next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09 || next === 0x7d ? 'json' : 'ubj';
}
export {
  attributesFromBooster, xgbSklearnKind, xgbSklearnPredict, xgbSklearnPredictProba,
  type XGBSklearnAttributes, type XGBSklearnKind,
} from './sklearn-api.js';

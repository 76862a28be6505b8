/**
 * LightGBM models scored natively: `readLightGBMModel(text)` reads a LightGBM text model
 * (`Booster.save_model`, `model_to_string`, SynapseML's model strings; format v2 to v4) into a
 * `LightGBMModel` whose `predict` answers as `lightgbm.Booster.predict` does.
 */
import { LightGBMModel } from './booster.js';
import { parseLightGBMText } from './text-model.js';

export { LightGBMModel, type LightGBMPredictOptions, type LightGBMPrediction } from './booster.js';
export type { LightGBMText, LightGBMTree } from './text-model.js';

export interface ReadLightGBMOptions {
  /** Names the file in errors. */
  readonly file?: string;
}

export function readLightGBMModel(text: string | Uint8Array, opts: ReadLightGBMOptions = {}): LightGBMModel {
  const file = opts.file ?? 'LightGBM model';
  const s = typeof text === 'string' ? text : new TextDecoder().decode(text);
  return new LightGBMModel(parseLightGBMText(s, file), file);
}
export {
  LGBM_PICKLE_CLASSES, lgbmFromPickled, lgbmPredict, lgbmPredictProba, lgbmSklearnKind,
  type LGBMSklearnKind, type LGBMSklearnModel,
} from './sklearn-api.js';

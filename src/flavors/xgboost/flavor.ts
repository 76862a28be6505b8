import { readFile } from 'node:fs/promises';
import { MlflowError } from '../../errors.js';
import { featureMatrix, type FeatureMatrix } from '../../boosters/feature-matrix.js';
import {
  attributesFromBooster, readXGBoostModel, xgbSklearnKind, xgbSklearnPredict,
  type XGBoostFormat, type XGBoostModel, type XGBoostPredictOptions,
} from '../../boosters/xgboost/index.js';
import { makeTensor, type Tensor } from '../../frame/tensor.js';
import { flavorFilePath } from '../../model/index.js';
import type { FlavorModel, LoadContext, Params } from '../flavor.js';

export const FLAVOR_NAME = 'xgboost';
const BOOSTER_CLASS = 'xgboost.core.Booster';
const FORMATS: Readonly<Record<string, XGBoostFormat>> = { xgb: 'binary', json: 'json', ubj: 'ubj', deprecated: 'binary' };

/**
 * Loads the `xgboost` flavor natively, as mlflow.xgboost's _XGBModelWrapper predicts: a Booster
 * answers Booster.predict(DMatrix(input), validate_features=True, **params); an sklearn-API
 * model_class answers its predict (labels for classifiers).
 */
export async function loadXGBoostFlavor(ctx: LoadContext): Promise<FlavorModel> {
  const file = flavorFilePath(ctx.modelDir, ctx.conf, FLAVOR_NAME, 'data');
  const modelClass = typeof ctx.conf.model_class === 'string' ? ctx.conf.model_class : BOOSTER_CLASS;
  const kind = modelClass === BOOSTER_CLASS ? null : xgbSklearnKind(modelClass);
  if (modelClass !== BOOSTER_CLASS && kind === null) {
    throw new MlflowError(`flavors.xgboost.model_class '${modelClass}' is not supported natively; use --runtime python`, 'NOT_IMPLEMENTED');
  }
  const fmt = ctx.conf.model_format;
  if (fmt !== undefined && (typeof fmt !== 'string' || !Object.hasOwn(FORMATS, fmt))) {
    throw new MlflowError(`flavors.xgboost.model_format '${String(fmt)}' is not one of xgb, json, ubj`, 'INVALID_PARAMETER_VALUE');
  }
  // the format is told by the file's first bytes: xgboost >= 2.1 writes UBJSON under "model.xgb"
  const model = readXGBoostModel(await readFile(file), { file });
  if (kind === null) {
    return { predict: (input, params) => predictBooster(model, input, params ?? {}) };
  }
  const attrs = attributesFromBooster(model, kind);
  return {
    predict: (input, params) => {
      const opts = readParams(params ?? {}, ['output_margin', 'iteration_range', 'validate_features', 'ntree_limit']);
      const x = matrixFor(model, input, false, opts.validate);
      const p = xgbSklearnPredict(model, attrs, x.data, x.rows, x.cols, opts.predict);
      if (p.dtype === 'float32') return makeTensor({ dtype: 'float32', shape: [...p.shape], data: Float32Array.from(p.data) });
      if (p.dtype === 'int32') return makeTensor({ dtype: 'int32', shape: [...p.shape], data: Int32Array.from(p.data) });
      return makeTensor({ dtype: 'int64', shape: [...p.shape], data: Float64Array.from(p.data) });
    },
  };
}

function predictBooster(model: XGBoostModel, input: unknown, params: Params): Tensor {
  const opts = readParams(params, ['output_margin', 'pred_leaf', 'iteration_range', 'validate_features', 'ntree_limit', 'strict_shape', 'training']);
  const x = matrixFor(model, input, true, opts.validate);
  const p = model.predict(x.data, x.rows, x.cols, opts.predict);
  return makeTensor({ dtype: 'float32', shape: [...p.shape], data: p.data });
}

const REFUSED = new Set(['pred_contribs', 'pred_interactions', 'approx_contribs', 'base_margin']);

/** Booster.predict / XGBModel.predict keyword arguments, each checked; any other is refused by name. */
function readParams(params: Params, allowed: readonly string[]): { predict: XGBoostPredictOptions; validate: boolean } {
  const predict: { outputMargin?: boolean; predLeaf?: boolean; iterationRange?: [number, number] } = {};
  let validate = true;
  for (const [key, value] of Object.entries(params)) {
    if (!allowed.includes(key)) {
      const why = REFUSED.has(key) ? 'is not supported natively; use --runtime python' : 'is not a parameter of this model\'s predict';
      throw new MlflowError(`XGBoost predict parameter '${key}' ${why}`, REFUSED.has(key) ? 'NOT_IMPLEMENTED' : 'INVALID_PARAMETER_VALUE');
    }
    const flag = (): boolean => {
      if (typeof value !== 'boolean') throw new MlflowError(`XGBoost predict parameter '${key}' must be a boolean`, 'INVALID_PARAMETER_VALUE');
      return value;
    };
    switch (key) {
      case 'output_margin': predict.outputMargin = flag(); break;
      case 'pred_leaf': predict.predLeaf = flag(); break;
      case 'validate_features': validate = flag(); break;
      case 'iteration_range': {
        if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => Number.isInteger(v))) {
          throw new MlflowError(`XGBoost predict parameter 'iteration_range' must be two integers, got ${JSON.stringify(value)}`, 'INVALID_PARAMETER_VALUE');
        }
        predict.iterationRange = [value[0] as number, value[1] as number];
        break;
      }
      case 'ntree_limit':
        if (value !== 0 && value !== null) throw new MlflowError("XGBoost predict parameter 'ntree_limit' is deprecated and not supported natively; use iteration_range", 'NOT_IMPLEMENTED');
        break;
      case 'strict_shape':
        if (flag()) throw new MlflowError("XGBoost predict parameter 'strict_shape=True' is not supported natively; use --runtime python", 'NOT_IMPLEMENTED');
        break;
      case 'training':
        if (flag()) throw new MlflowError("XGBoost predict parameter 'training=True' is not supported natively", 'NOT_IMPLEMENTED');
        break;
    }
  }
  return { predict, validate };
}

/**
 * The input as XGBoost reads it, with its feature check: a table's column names must be the
 * booster's feature_names in order; a Booster with feature names refuses an unnamed array, as
 * DMatrix validation does (an sklearn-API model checks only the count for an array).
 */
function matrixFor(model: XGBoostModel, input: unknown, isBooster: boolean, validate: boolean): FeatureMatrix {
  const x = featureMatrix(input, 'XGBoost');
  const names = model.featureNames;
  if (validate && names) {
    if (x.names && (x.names.length !== names.length || x.names.some((n, i) => n !== names[i]))) {
      throw new MlflowError(`feature_names mismatch: expected [${names.join(', ')}], got [${x.names.join(', ')}]`, 'BAD_REQUEST');
    }
    if (!x.names && isBooster) {
      throw new MlflowError(`training data did not have the following fields: ${names.join(', ')}`, 'BAD_REQUEST');
    }
  }
  return x;
}

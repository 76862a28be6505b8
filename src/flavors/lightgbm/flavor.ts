import { readFile } from 'node:fs/promises';
import { MlflowError } from '../../errors.js';
import { featureMatrix } from '../../boosters/feature-matrix.js';
import {
  LGBM_PICKLE_CLASSES, lgbmFromPickled, lgbmPredict, lgbmSklearnKind, readLightGBMModel, type LGBMSklearnModel,
} from '../../boosters/lightgbm/index.js';
import { isPyInstance, loadPickleFile, type NdArray } from '../../formats/pickle/index.js';
import type { NumericDType } from '../../frame/frame.js';
import { makeTensor, type Tensor } from '../../frame/tensor.js';
import { flavorFilePath } from '../../model/index.js';
import type { FlavorModel, LoadContext } from '../flavor.js';

export const FLAVOR_NAME = 'lightgbm';
const BOOSTER_CLASS = 'lightgbm.basic.Booster';

/**
 * Loads the `lightgbm` flavor natively, as mlflow.lightgbm's _LGBModelWrapper predicts:
 * `model.predict(dataframe)` (params are not passed on), for a Booster saved as LightGBM's text
 * model (model.lgb) or an sklearn-API model pickled with cloudpickle (model.pkl).
 */
export async function loadLightGBMFlavor(ctx: LoadContext): Promise<FlavorModel> {
  const file = flavorFilePath(ctx.modelDir, ctx.conf, FLAVOR_NAME, 'data');
  const modelClass = typeof ctx.conf.model_class === 'string' ? ctx.conf.model_class : BOOSTER_CLASS;
  if (modelClass === BOOSTER_CLASS) {
    const model = readLightGBMModel(await readFile(file), { file });
    return {
      predict: (input) => {
        const x = featureMatrix(input, 'LightGBM');
        const p = model.predict(x.data, x.rows, x.cols);
        return makeTensor({ dtype: 'float64', shape: [...p.shape], data: p.data });
      },
    };
  }
  if (lgbmSklearnKind(modelClass) === null) {
    throw new MlflowError(`flavors.lightgbm.model_class '${modelClass}' is not supported natively; use --runtime python`, 'NOT_IMPLEMENTED');
  }
  const allowed = new Set(LGBM_PICKLE_CLASSES);
  const obj = await loadPickleFile(file, { allowGlobal: (m, n) => allowed.has(`${m}.${n}`), source: file });
  if (!isPyInstance(obj)) throw new MlflowError(`${file} does not hold a LightGBM model`, 'INVALID_PARAMETER_VALUE');
  const m = lgbmFromPickled(obj, file);
  return { predict: (input) => predictSklearn(m, input) };
}

function predictSklearn(m: LGBMSklearnModel, input: unknown): Tensor {
  const x = featureMatrix(input, 'LightGBM');
  const r = lgbmPredict(m, x.data, x.rows, x.cols);
  if ('values' in r) return makeTensor({ dtype: 'float64', shape: [...r.values.shape], data: r.values.data });
  return takeClasses(m.classes!, r.classIndex);
}

const NUMERIC: Readonly<Record<string, NumericDType>> = {
  f8: 'float64', f4: 'float32', i8: 'int64', i4: 'int32', i2: 'int16', i1: 'int8', u8: 'uint64', u4: 'uint32', u2: 'uint16', u1: 'uint8',
};

/** classes_[index] per row, as numpy's take gives it: classes_'s dtype kept. */
function takeClasses(classes: NdArray, index: Float64Array): Tensor {
  const shape = [index.length];
  const src = classes.data;
  const code = classes.dtype.replace(/^[<>|=]/, '');
  if (Array.isArray(src)) {
    const out = Array.from(index, (i) => src[i]);
    return makeTensor({ dtype: code.startsWith('U') ? 'string' : 'object', shape, data: out });
  }
  if (code === 'b1') return makeTensor({ dtype: 'bool', shape, data: Uint8Array.from(index, (i) => src[i]) });
  const dtype = NUMERIC[code];
  if (!dtype) throw new MlflowError(`LightGBM classes_ of dtype ${classes.dtype} are not supported natively`, 'NOT_IMPLEMENTED');
  const values = Float64Array.from(index, (i) => src[i]);
  // int64/uint64 live in Float64Arrays (frame/frame.ts); the others in their own typed array
  const Ctor = { float32: Float32Array, int32: Int32Array, int16: Int16Array, int8: Int8Array, uint32: Uint32Array, uint16: Uint16Array, uint8: Uint8Array }[dtype as string];
  return makeTensor({ dtype, shape, data: Ctor ? Ctor.from(values) : values });
}

import { MlflowError } from '../../../errors.js';
import { lgbmFromPickled, lgbmPredict, lgbmPredictProba } from '../../../boosters/lightgbm/index.js';
import {
  readXGBoostModel, xgbSklearnKind, xgbSklearnPredict, xgbSklearnPredictProba, type XGBSklearnAttributes,
} from '../../../boosters/xgboost/index.js';
import { makeTensor } from '../../../frame/tensor.js';
import { toMatrix } from '../data.js';
import { f64Tensor, Labels, type Builder, type Estimator } from '../estimator.js';
import { isInstance, isNdArray, type State } from '../state.js';
import { provideBoosterBuilders } from './booster-wrappers.js';

/**
 * XGBoost's and LightGBM's scikit-learn wrappers inside a pickle (loaded on first need, see
 * booster-wrappers.ts), scored by src/boosters: the
 * pickle holds the booster (XGBoost: its raw model bytes, Booster.__getstate__'s `handle`;
 * LightGBM: its text model, `_handle`) and the wrapper's fitted attributes.
 */
const xgboost: Builder = (s) => {
  const kind = xgbSklearnKind(s.inst.name)!;
  const booster = s.instance('_Booster');
  const handle = booster.state.handle;
  if (!(handle instanceof Uint8Array)) return s.fail('_Booster holds no model bytes (handle)');
  const model = readXGBoostModel(handle, { file: `${s.className}._Booster` });
  const missing = s.raw('missing');
  const attrs: XGBSklearnAttributes = { kind, missing: typeof missing === 'number' ? missing : NaN, bestIteration: model.bestIteration };
  // XGBoost < 1.6 (use_label_encoder=True) maps class indices back through _le
  const le = s.raw('_le');
  const labels = isInstance(le) && isNdArray(le.state.classes_) ? new Labels(le.state.classes_) : null;
  const est: Estimator = {
    className: s.className,
    predict(x) {
      const m = toMatrix(x);
      const p = xgbSklearnPredict(model, attrs, m.data, m.rows, m.cols);
      if (p.dtype === 'float32') return makeTensor({ dtype: 'float32', shape: [...p.shape], data: Float32Array.from(p.data) });
      if (labels) return labels.take(p.data);
      if (p.dtype === 'int32') return makeTensor({ dtype: 'int32', shape: [...p.shape], data: Int32Array.from(p.data) });
      return makeTensor({ dtype: 'int64', shape: [...p.shape], data: Float64Array.from(p.data) });
    },
  };
  if (kind === 'classifier') {
    est.predictProba = (x) => {
      const m = toMatrix(x);
      const p = xgbSklearnPredictProba(model, attrs, m.data, m.rows, m.cols);
      return makeTensor({ dtype: 'float32', shape: [...p.shape], data: p.data });
    };
  }
  return est;
};

const lightgbm: Builder = (s) => {
  const m = lgbmFromPickled(s.inst, s.className);
  const labels = m.classes ? new Labels(m.classes) : null;
  const est: Estimator = {
    className: s.className,
    predict(x) {
      const d = toMatrix(x);
      const r = lgbmPredict(m, d.data, d.rows, d.cols);
      if ('classIndex' in r) return labels!.take(r.classIndex);
      return f64Tensor([...r.values.shape], r.values.data);
    },
  };
  if (m.kind === 'classifier') {
    est.predictProba = (x) => {
      const d = toMatrix(x);
      const p = lgbmPredictProba(m, d.data, d.rows, d.cols);
      return f64Tensor([...p.shape], p.data);
    };
  }
  return est;
};

function checked(builder: Builder): Builder {
  return (s: State, build) => {
    if (s.raw('_Booster') === undefined || s.raw('_Booster') === null) {
      throw new MlflowError(`Cannot use the pickled ${s.className}: it is not fitted (no _Booster)`, 'INVALID_PARAMETER_VALUE');
    }
    return builder(s, build);
  };
}

provideBoosterBuilders({ xgboost: checked(xgboost), lightgbm: checked(lightgbm) });

import type { Tensor } from '../../../frame/tensor.js';
import { hstack, matrix, toMatrix, withF32, withInts, type Data } from '../data.js';
import { afterTransform, Labels, type Builder, type BuildFn } from '../estimator.js';
import { State } from '../state.js';

/**
 * StackingClassifier/Regressor: the final estimator on the stacked predictions of estimators_
 * (each through its stack_method_; one column dropped from binary predict_proba; the input
 * appended with passthrough), as sklearn's _concatenate_predictions.
 */
function stackingTransform(s: State, binary: boolean, build: BuildFn): (x: Data) => Data {
  const methods = s.list('stack_method_');
  const ests = s.list('estimators_').map((e, i) => (e === 'drop' ? null : { est: e, method: methods[i] }));
  const passthrough = s.bool('passthrough', false);
  const parts = ests.flatMap((p, i) => {
    if (!p) return [];
    const method = p.method;
    const built = build(p.est, `${s.className}.estimators_[${i}]`);
    const fn = method === 'predict' ? built.predict : method === 'predict_proba' ? built.predictProba
      : method === 'decision_function' ? built.decisionFunction : undefined;
    if (!fn) return s.fail(`estimators_[${i}] (${built.className}) has no ${String(method)}`);
    return [{ fn, dropFirst: method === 'predict_proba' && binary }];
  });
  return (x: Data): Data => {
    const blocks: Data[] = parts.map(({ fn, dropFirst }) => {
      const t = fn(x);
      const cols = t.shape.length === 1 ? 1 : t.shape[1];
      const d = floats(t);
      // estimators_ were fitted on encoded labels: their predict is int64, and numpy's hstack
      // of int64 blocks only stays int64 (of float32 blocks only, estimators fitted on float32, float32)
      const f32 = t.dtype === 'float32';
      if (!dropFirst) return INTEGER.has(t.dtype) ? withInts(matrix(x.rows, cols, d), new Array<boolean>(cols).fill(true)) : withF32(matrix(x.rows, cols, d), f32);
      const out = new Float64Array(x.rows * (cols - 1));
      for (let r = 0; r < x.rows; r++) out.set(d.subarray(r * cols + 1, (r + 1) * cols), r * (cols - 1));
      return withF32(matrix(x.rows, cols - 1, out), f32);
    });
    if (passthrough) blocks.push(toMatrix(x));
    return toMatrix(hstack(blocks, x.rows));
  };
}

const INTEGER = new Set(['int64', 'int32', 'int16', 'int8', 'uint32', 'uint16', 'uint8']);

function floats(t: Tensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number>);
}

const stackingClassifier: Builder = (s, build) => {
  const labels = new Labels(new State(s.instance('_label_encoder')).array('classes_'));
  const final = build(s.raw('final_estimator_'), `${s.className}.final_estimator_`);
  const transform = stackingTransform(s, labels.size === 2, build);
  const est = afterTransform(s.className, transform, final);
  // the final estimator was fitted on encoded labels
  if (final.predict) est.predict = (x) => labels.take(floats(final.predict!(transform(x))));
  est.transform = transform;
  // StackingClassifier has no predict_log_proba, whatever its final estimator has
  delete est.predictLogProba;
  return est;
};

const stackingRegressor: Builder = (s, build) => {
  const transform = stackingTransform(s, false, build);
  return { ...afterTransform(s.className, transform, build(s.raw('final_estimator_'), `${s.className}.final_estimator_`)), transform };
};

export const stackingBuilders: Record<string, Builder> = {
  'sklearn.ensemble.StackingClassifier': stackingClassifier,
  'sklearn.ensemble.StackingRegressor': stackingRegressor,
};

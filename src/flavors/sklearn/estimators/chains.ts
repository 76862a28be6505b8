import { MlflowError } from '../../../errors.js';
import type { Tensor } from '../../../frame/tensor.js';
import { matrix, toMatrix, type Data } from '../data.js';
import { f64Tensor, logInPlace, type Builder, type Estimator } from '../estimator.js';
import { floatData, isNdArray, type State } from '../state.js';

/**
 * ClassifierChain and RegressorChain: estimator c of the chain sees X plus the chain's
 * features of the estimators before it (what chain_method_ gives, sklearn >= 1.6; predict
 * before), and each method's column c is that estimator's response (_get_response_values:
 * predict_proba and predict_log_proba give the positive class's column), put back in target
 * order (order_).
 */

type ChainMethod = 'predict' | 'predict_proba' | 'predict_log_proba' | 'decision_function';
const CHAIN_METHODS: readonly string[] = ['predict', 'predict_proba', 'predict_log_proba', 'decision_function'];

/** One estimator's 1-D response to a method, as a float64 column. */
function response(e: Estimator, method: ChainMethod, x: Data): Float64Array {
  const fn = { predict: e.predict, predict_proba: e.predictProba, predict_log_proba: e.predictLogProba, decision_function: e.decisionFunction }[method];
  if (!fn) throw new MlflowError(`${e.className} has no method '${method}'`, 'INVALID_PARAMETER_VALUE');
  const t: Tensor = fn(x);
  if (t.dtype === 'string' || t.dtype === 'object') {
    throw new MlflowError(`could not convert the ${method} output of ${e.className} to float`, 'INVALID_PARAMETER_VALUE');
  }
  const d = t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number>);
  if (method === 'predict_proba' || method === 'predict_log_proba') {
    if (t.shape.length !== 2 || t.shape[1] !== 2) throw new MlflowError(`${e.className}.${method} should give two classes in a chain`, 'INVALID_PARAMETER_VALUE');
    return d.filter((_, i) => i % 2 === 1);
  }
  return d;
}

function readOrder(s: State, n: number): number[] {
  const raw = s.raw('order_');
  const order = isNdArray(raw) ? Array.from(floatData(raw, 'order_')) : Array.isArray(raw) ? raw : s.fail('order_ should be a list or an array');
  const sorted = [...order].sort((a, b) => Number(a) - Number(b));
  if (order.length !== n || sorted.some((v, i) => v !== i)) s.fail(`order_ should be a permutation of 0..${n - 1}`);
  return order as number[];
}

function chain(classifier: boolean): Builder {
  return (s, build) => {
    const ests = s.list('estimators_').map((e, i) => build(e, `${s.className}.estimators_[${i}]`));
    const n = ests.length;
    const order = readOrder(s, n);
    const chainMethod = s.stringOr('chain_method_', 'predict');
    if (!CHAIN_METHODS.includes(chainMethod)) s.fail(`chain_method_ '${chainMethod}' is not supported natively`);
    const run = (x: Data, output: ChainMethod): Tensor => {
      const m = toMatrix(x);
      const { rows, cols } = m;
      const features = new Float64Array(rows * n);
      const out = new Float64Array(rows * n);
      ests.forEach((e, c) => {
        // X with the previous estimators' chain features (np.hstack)
        const w = cols + c;
        const aug = new Float64Array(rows * w);
        for (let i = 0; i < rows; i++) {
          aug.set(m.data.subarray(i * cols, (i + 1) * cols), i * w);
          for (let p = 0; p < c; p++) aug[i * w + cols + p] = features[i * n + p];
        }
        const xa = matrix(rows, w, aug);
        const feat = response(e, chainMethod as ChainMethod, xa);
        const res = output === chainMethod ? feat : response(e, output, xa);
        for (let i = 0; i < rows; i++) {
          features[i * n + c] = feat[i];
          out[i * n + order[c]] = res[i];
        }
      });
      return f64Tensor([rows, n], out);
    };
    const est: Estimator = { className: s.className, predict: (x) => run(x, 'predict') };
    if (!classifier) return est;
    if (ests.every((e) => e.predictProba)) {
      est.predictProba = (x) => run(x, 'predict_proba');
      // sklearn >= 1.6 (chain_method_) has predict_log_proba: the log of predict_proba
      if (s.has('chain_method_')) est.predictLogProba = (x) => logInPlace(run(x, 'predict_proba'));
    }
    if (ests.every((e) => e.decisionFunction)) est.decisionFunction = (x) => run(x, 'decision_function');
    return est;
  };
}

export const chainBuilders: Record<string, Builder> = {
  'sklearn.multioutput.ClassifierChain': chain(true),
  'sklearn.multioutput.RegressorChain': chain(false),
};

import { toMatrix, type Data, type Matrix } from '../data.js';
import {
  probaClassifier, expit, f64Tensor, Labels, rawDecision, scoresTensor, softmaxRows,
  type Builder,
} from '../estimator.js';
import { isInstance, State } from '../state.js';
import { dummyClassProba, dummyConstant } from './dummy.js';
import { FlatForest } from './flat-forest.js';
import { leafOutputs, readTree, treeSource, type TreeArrays } from './tree.js';

const F32_EPS = 2 ** -23;

/**
 * How raw scores relate to probabilities. sklearn < 1.4 pickles a loss from
 * sklearn.ensemble._gb_losses (raw init = log-odds / log-probas); later ones a loss from
 * sklearn._loss whose link maps the init probabilities (symmetric multinomial logit).
 */
type LossKind = 'regression' | 'binomial' | 'multinomial' | 'multinomial_symmetric' | 'exponential';

function lossKind(s: State): LossKind {
  const loss = s.has('_loss') ? s.raw('_loss') : s.raw('loss_');
  const name = isInstance(loss) ? loss.name : s.stringOr('loss', '');
  switch (name) {
    case 'BinomialDeviance': case 'HalfBinomialLoss': return 'binomial';
    case 'MultinomialDeviance': return 'multinomial';
    case 'HalfMultinomialLoss': return 'multinomial_symmetric';
    case 'ExponentialLoss': return 'exponential';
    case 'LeastSquaresError': case 'LeastAbsoluteError': case 'HuberLossFunction': case 'QuantileLossFunction':
    case 'HalfSquaredError': case 'AbsoluteError': case 'HuberLoss': case 'PinballLoss':
      return 'regression';
    default: return s.fail(`unknown gradient boosting loss '${name}'`);
  }
}

/** The init estimator's raw prediction for one row (same for every row: Dummy estimators). */
function initRaw(s: State, kind: LossKind, k: number): Float64Array {
  const init = s.raw('init_');
  if (init === 'zero') return new Float64Array(k);
  if (!isInstance(init) || !init.name.startsWith('Dummy')) {
    return s.fail('only the default (Dummy) or "zero" init estimators are supported natively');
  }
  const is = new State(init);
  if (kind === 'regression') return Float64Array.from(dummyConstant(is));
  const p = Float64Array.from(dummyClassProba(is), (v) => Math.min(1 - F32_EPS, Math.max(F32_EPS, v)));
  if (kind === 'binomial' || kind === 'exponential') {
    const logit = Math.log(p[1] / (1 - p[1]));
    return Float64Array.of(kind === 'exponential' ? 0.5 * logit : logit);
  }
  const logs = p.map(Math.log);
  if (kind === 'multinomial') return logs;
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  return logs.map((v) => v - mean);
}

function gbModel(s: State, k: number) {
  const kind = lossKind(s);
  const est = s.array('estimators_');
  const stages = est.shape[0];
  if (est.shape.length !== 2 || est.shape[1] !== k || !Array.isArray(est.data) || est.data.length !== stages * k) s.fail(`estimators_ should be an object array of shape (n, ${k})`);
  const trees: TreeArrays[] = (est.data as unknown[]).map((e, i) => {
    if (!isInstance(e)) s.fail(`estimators_ item ${i} is not a tree`);
    return readTree(new State(e));
  });
  const init = initRaw(s, kind, k);
  const lr = s.number('learning_rate');
  // sklearn's predict_stages: out[:, c] += learning_rate * tree.value[leaf], stage by stage, on
  // X cast to float32; learning_rate * value is the same product whether taken per row or per leaf
  for (const t of trees) if (t.nOutputs !== 1 || t.nClasses !== 1) s.fail('the trees should be regression trees with one output');
  const flat = new FlatForest(trees.map((t) => treeSource(t, leafOutputs(t, lr))), 1, 'float32', trees.map((_, i) => i % k));
  const raw = (x: Matrix): Float64Array => {
    const out = new Float64Array(x.rows * k);
    for (let i = 0; i < x.rows; i++) out.set(init, i * k);
    flat.addTo(x, out, k);
    return out;
  };
  return { kind, raw };
}

const classifier: Builder = (s) => {
  const labels = new Labels(s.array('classes_'));
  const nClasses = labels.size;
  const k = nClasses === 2 ? 1 : nClasses;
  const { kind, raw } = gbModel(s, k);
  // scikit-learn >= 1.4 (the sklearn._loss losses) predicts from the raw scores; before, each
  // _gb_losses loss decided: argmax of its probabilities, or raw >= 0 for the exponential loss
  const fromRaw = s.sklearnAtLeast(1, 4) || kind === 'exponential';
  const proba = (x: Data): { rows: number; p: Float64Array } => {
    const m = toMatrix(x);
    const r = raw(m);
    if (k === 1) {
      const p = new Float64Array(m.rows * 2);
      for (let i = 0; i < m.rows; i++) {
        p[i * 2 + 1] = expit(kind === 'exponential' ? 2 * r[i] : r[i]);
        p[i * 2] = 1 - p[i * 2 + 1];
      }
      return { rows: m.rows, p };
    }
    if (kind === 'multinomial') expMinusLogSumExp(m.rows, k, r);
    else softmaxRows(m.rows, k, r);
    return { rows: m.rows, p: r };
  };
  const est = probaClassifier(s.className, labels, proba, {
    decisionFunction(x) {
      const m = toMatrix(x);
      return scoresTensor(m.rows, k, raw(m));
    },
  });
  if (fromRaw) est.predict = (x) => labels.take(rawDecision(raw(toMatrix(x)), k, true));
  return est;
};

/**
 * MultinomialDeviance's probabilities (scikit-learn < 1.4): exp(raw - logsumexp(raw)) per row,
 * logsumexp as scipy takes it (max + log(sum(exp(raw - max)))), NaN as 0 (np.nan_to_num).
 * Rounding differs from a softmax, and predict takes the argmax of these values.
 */
function expMinusLogSumExp(rows: number, k: number, d: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    let m = -Infinity;
    for (let j = 0; j < k; j++) if (d[o + j] > m) m = d[o + j];
    if (!Number.isFinite(m)) m = 0;
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(d[o + j] - m);
    const lse = Math.log(sum) + m;
    for (let j = 0; j < k; j++) {
      const p = Math.exp(d[o + j] - lse);
      d[o + j] = Number.isNaN(p) ? 0 : p;
    }
  }
}

const regressor: Builder = (s) => {
  const { raw } = gbModel(s, 1);
  return {
    className: s.className,
    predict(x) {
      const m = toMatrix(x);
      return f64Tensor([m.rows], raw(m));
    },
  };
};

export const gradientBoostingBuilders: Record<string, Builder> = {
  'sklearn.ensemble.GradientBoostingClassifier': classifier,
  'sklearn.ensemble.GradientBoostingRegressor': regressor,
};

/** Loss objects pickled inside a gradient boosting model (read by name only). */
export const gradientBoostingHelpers = [
  'sklearn.ensemble.BinomialDeviance', 'sklearn.ensemble.MultinomialDeviance', 'sklearn.ensemble.ExponentialLoss',
  'sklearn.ensemble.LeastSquaresError', 'sklearn.ensemble.LeastAbsoluteError',
  'sklearn.ensemble.HuberLossFunction', 'sklearn.ensemble.QuantileLossFunction',
];

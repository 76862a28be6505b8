import { MlflowError } from '../../../errors.js';
import { toMatrix, type Data, type Matrix } from '../data.js';
import {
  probaClassifier, expit, f64Tensor, rawDecision, Labels, scoresTensor, softmaxRows,
  type Builder, type BuildFn,
} from '../estimator.js';
import { floatData, isInstance, isNdArray, State } from '../state.js';
import { FlatForest, type TreeSource } from './flat-forest.js';

/** One TreePredictor: its node records as parallel arrays. */
class HistTree {
  private readonly value: Float64Array;
  private readonly feature: Float64Array;
  private readonly threshold: Float64Array;
  private readonly missingLeft: Float64Array;
  private readonly left: Float64Array;
  private readonly right: Float64Array;
  private readonly isLeaf: Float64Array;
  private readonly isCategorical: Float64Array | null;
  private readonly bitsetIdx: Float64Array | null;
  /** raw_left_cat_bitsets: 8 uint32 words (256 categories) per categorical split. */
  private readonly rawLeftCat: Uint32Array;
  readonly maxFeature: number;

  constructor(s: State) {
    const nodes = s.array('nodes');
    const f = (name: string, optional = false): Float64Array | null => {
      const a = nodes.fields?.[name];
      if (!a) return optional ? null : s.fail(`predictor nodes have no '${name}' field`);
      return floatData(a, `${s.className}.nodes.${name}`);
    };
    this.value = f('value')!;
    this.feature = f('feature_idx')!;
    this.threshold = f('num_threshold')!;
    this.missingLeft = f('missing_go_to_left')!;
    this.left = f('left')!;
    this.right = f('right')!;
    this.isLeaf = f('is_leaf')!;
    this.isCategorical = f('is_categorical', true);
    this.bitsetIdx = f('bitset_idx', true);
    const raw = s.raw('raw_left_cat_bitsets');
    this.rawLeftCat = isNdArray(raw) ? Uint32Array.from(floatData(raw, 'raw_left_cat_bitsets')) : new Uint32Array(0);
    const n = this.value.length;
    let maxFeature = -1;
    for (let i = 0; i < n; i++) {
      if (this.isLeaf[i]) continue;
      if (this.left[i] <= i || this.right[i] <= i || this.left[i] >= n || this.right[i] >= n) {
        s.fail(`predictor node ${i} has children out of order`);
      }
      if (this.feature[i] > maxFeature) maxFeature = this.feature[i];
    }
    this.maxFeature = maxFeature;
  }

  /** True if a split tests categories (such trees are walked by addTo, not FlatForest). */
  get hasCategoricalSplit(): boolean {
    const cat = this.isCategorical;
    if (cat === null) return false;
    for (let i = 0; i < cat.length; i++) if (cat[i] === 1 && !this.isLeaf[i]) return true;
    return false;
  }

  /** The tree for FlatForest: numeric splits compared in float64, leaves adding their value. */
  flatSource(): TreeSource {
    const { value, isLeaf } = this;
    return {
      size: value.length,
      isLeaf: (node) => isLeaf[node] !== 0,
      left: this.left,
      right: this.right,
      feature: this.feature,
      threshold: this.threshold,
      missingLeft: this.missingLeft,
      leafValues: (node, out, at) => {
        out[at] = value[node];
      },
    };
  }

  /** Adds this tree's leaf value for every row to out[i * stride + col]. */
  addTo(x: Matrix, known: (Set<number> | null)[], out: Float64Array, stride: number, col: number): void {
    const { value, feature, threshold, missingLeft, left, right, isLeaf, isCategorical, bitsetIdx, rawLeftCat } = this;
    for (let i = 0; i < x.rows; i++) {
      const base = i * x.cols;
      let node = 0;
      while (!isLeaf[node]) {
        const fi = feature[node];
        const v = x.data[base + fi];
        const categorical = isCategorical !== null && isCategorical[node] === 1;
        if (Number.isNaN(v) || (categorical && !(known[fi]?.has(v) ?? false))) {
          // missing, and categories unseen at fit time, follow the missing-value branch
          node = missingLeft[node] ? left[node] : right[node];
        } else if (categorical) {
          const cat = v; // a known category: an integer in [0, 255]
          const word = rawLeftCat[bitsetIdx![node] * 8 + (cat >>> 5)];
          node = (word >>> (cat & 31)) & 1 ? left[node] : right[node];
        } else node = v <= threshold[node] ? left[node] : right[node];
      }
      out[i * stride + col] += value[node];
    }
  }
}

/** Known categories per categorical feature, from the bin mapper (bin_thresholds_ holds them). */
function knownCategories(s: State): (Set<number> | null)[] {
  const mapper = new State(s.instance('_bin_mapper'));
  const isCat = mapper.raw('is_categorical_');
  if (!isNdArray(isCat)) return [];
  const flags = floatData(isCat, 'is_categorical_');
  const thresholds = mapper.list('bin_thresholds_');
  return Array.from(flags, (flag, j) => {
    if (!flag) return null;
    const cats = thresholds[j];
    if (!isNdArray(cats)) return mapper.fail(`bin_thresholds_[${j}] should be an array`);
    return new Set(Array.from(floatData(cats, 'bin_thresholds_')).filter((c) => Number.isInteger(c) && c >= 0 && c < 256));
  });
}

type Link = 'identity' | 'log' | 'logit' | 'softmax';

function linkOf(s: State): Link {
  const loss = s.instance('_loss');
  if (loss.module.startsWith('sklearn._loss')) {
    const link = loss.state.link;
    const name = isInstance(link) ? link.name : '';
    if (name === 'IdentityLink') return 'identity';
    if (name === 'LogLink') return 'log';
    if (name === 'LogitLink') return 'logit';
    if (name === 'MultinomialLogit') return 'softmax';
    return s.fail(`unknown link '${name}' of loss ${loss.name}`);
  }
  // sklearn < 1.1: the estimator's own loss classes
  switch (loss.name) {
    case 'LeastSquares': case 'LeastAbsoluteDeviation': return 'identity';
    case 'Poisson': return 'log';
    case 'BinaryCrossEntropy': return 'logit';
    case 'CategoricalCrossEntropy': return 'softmax';
    default: return s.fail(`unknown loss ${loss.name}`);
  }
}

function histModel(s: State, build: BuildFn) {
  // categorical_features='from_dtype' (sklearn >= 1.4): a ColumnTransformer encodes the pandas
  // category columns first (OrdinalEncoder), then passes the others; the trees see its output
  const prep = s.has('_preprocessor') ? build(s.raw('_preprocessor'), `${s.className}._preprocessor`).transform : undefined;
  if (s.has('_preprocessor') && !prep) s.fail('_preprocessor has no transform');
  const k = s.number('n_trees_per_iteration_');
  const baseline = s.floats('_baseline_prediction').data;
  if (baseline.length !== k) s.fail(`_baseline_prediction should hold ${k} values`);
  const iterations = s.list('_predictors').map((it, i) => {
    if (!Array.isArray(it) || it.length !== k) return s.fail(`_predictors[${i}] should hold ${k} trees`);
    return it.map((p) => {
      if (!isInstance(p)) return s.fail(`_predictors[${i}] holds a non-predictor`);
      return new HistTree(new State(p));
    });
  });
  const known = knownCategories(s);
  const nFeatures = s.number('_n_features');
  for (const it of iterations) {
    for (const t of it) {
      if (t.maxFeature >= nFeatures) s.fail(`a tree splits on feature ${t.maxFeature} of ${nFeatures}`);
    }
  }
  // sklearn: raw = baseline, then each iteration's trees added in order (column c for class c)
  const flat = iterations.some((it) => it.some((t) => t.hasCategoricalSplit))
    ? null
    : new FlatForest(iterations.flat().map((t) => t.flatSource()), 1, 'float64', iterations.flatMap((it) => it.map((_, c) => c)));
  const raw = (x: Matrix): Float64Array => {
    if (x.cols !== nFeatures) {
      throw new MlflowError(`X has ${x.cols} features but this estimator was trained with ${nFeatures} features.`, 'INVALID_PARAMETER_VALUE');
    }
    const out = new Float64Array(x.rows * k);
    for (let i = 0; i < x.rows; i++) out.set(baseline, i * k);
    if (flat) flat.addTo(x, out, k);
    else for (const it of iterations) for (let c = 0; c < k; c++) it[c].addTo(x, known, out, k, c);
    return out;
  };
  return { k, raw: (x: Data) => raw(toMatrix(prep ? prep(x) : x)), link: linkOf(s) };
}

const classifier: Builder = (s, build) => {
  const labels = new Labels(s.array('classes_'));
  const { k, raw, link } = histModel(s, build);
  const proba = (x: Data): { rows: number; p: Float64Array } => {
    const r = raw(x);
    const m = { rows: r.length / k };
    if (link === 'logit') {
      const p = new Float64Array(m.rows * 2);
      for (let i = 0; i < m.rows; i++) {
        p[i * 2 + 1] = expit(r[i]);
        p[i * 2] = 1 - p[i * 2 + 1];
      }
      return { rows: m.rows, p };
    }
    softmaxRows(m.rows, k, r);
    return { rows: m.rows, p: r };
  };
  const est = probaClassifier(s.className, labels, proba, {
    decisionFunction(x) {
      const r = raw(x);
      return scoresTensor(r.length / k, k, r);
    },
  });
  // scikit-learn >= 1.4 predicts from the raw scores (raw > 0, or their argmax); before, from
  // argmax(predict_proba), which takes the first class where probabilities round to a tie the raw
  // scores do not have (a raw score in (0, 2^-53] has expit 0.5)
  if (s.sklearnAtLeast(1, 4)) est.predict = (x) => labels.take(rawDecision(raw(x), k, false));
  // fitted on one class: the binomial loss still gives two probability columns
  if (labels.size === 1) {
    est.predictProba = (x) => {
      const { rows, p } = proba(x);
      return f64Tensor([rows, 2], p);
    };
  }
  // scikit-learn's HistGradientBoostingClassifier has no predict_log_proba (MLflow fails on it)
  delete est.predictLogProba;
  return est;
};

const regressor: Builder = (s, build) => {
  const { raw, link } = histModel(s, build);
  return {
    className: s.className,
    predict(x) {
      const r = raw(x);
      if (link === 'log') for (let i = 0; i < r.length; i++) r[i] = Math.exp(r[i]);
      return f64Tensor([r.length], r);
    },
  };
};

export const histGradientBoostingBuilders: Record<string, Builder> = {
  'sklearn.ensemble.HistGradientBoostingClassifier': classifier,
  'sklearn.ensemble.HistGradientBoostingRegressor': regressor,
};

/** Parts pickled inside a HistGradientBoosting model: predictors, bin mapper, losses, links. */
export const histGradientBoostingHelpers = [
  'sklearn.ensemble.TreePredictor', 'sklearn.ensemble._BinMapper',
  'sklearn.ensemble.LeastSquares', 'sklearn.ensemble.LeastAbsoluteDeviation', 'sklearn.ensemble.Poisson',
  'sklearn.ensemble.BinaryCrossEntropy', 'sklearn.ensemble.CategoricalCrossEntropy',
  'sklearn._loss.HalfSquaredError', 'sklearn._loss.AbsoluteError', 'sklearn._loss.PinballLoss',
  'sklearn._loss.HalfPoissonLoss', 'sklearn._loss.HalfGammaLoss', 'sklearn._loss.HalfTweedieLoss',
  'sklearn._loss.HalfTweedieLossIdentity', 'sklearn._loss.HuberLoss',
  'sklearn._loss.HalfBinomialLoss', 'sklearn._loss.HalfMultinomialLoss', 'sklearn._loss.ExponentialLoss',
  'sklearn._loss.IdentityLink', 'sklearn._loss.LogLink', 'sklearn._loss.LogitLink', 'sklearn._loss.HalfLogitLink',
  'sklearn._loss.MultinomialLogit', 'sklearn._loss.Interval',
  'sklearn._loss.__pyx_unpickle_CyHalfSquaredError', 'sklearn._loss.__pyx_unpickle_CyAbsoluteError',
  'sklearn._loss.__pyx_unpickle_CyPinballLoss', 'sklearn._loss.__pyx_unpickle_CyHalfPoissonLoss',
  'sklearn._loss.__pyx_unpickle_CyHalfGammaLoss', 'sklearn._loss.__pyx_unpickle_CyHalfTweedieLoss',
  'sklearn._loss.__pyx_unpickle_CyHalfTweedieLossIdentity', 'sklearn._loss.__pyx_unpickle_CyHuberLoss',
  'sklearn._loss.__pyx_unpickle_CyHalfBinomialLoss', 'sklearn._loss.__pyx_unpickle_CyHalfMultinomialLoss',
  'sklearn._loss.__pyx_unpickle_CyExponentialLoss',
  'sklearn._loss.CyHalfSquaredError', 'sklearn._loss.CyAbsoluteError', 'sklearn._loss.CyPinballLoss',
  'sklearn._loss.CyHalfPoissonLoss', 'sklearn._loss.CyHalfGammaLoss', 'sklearn._loss.CyHalfTweedieLoss',
  'sklearn._loss.CyHalfTweedieLossIdentity', 'sklearn._loss.CyHuberLoss', 'sklearn._loss.CyHalfBinomialLoss',
  'sklearn._loss.CyHalfMultinomialLoss', 'sklearn._loss.CyExponentialLoss',
];


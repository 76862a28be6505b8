import { selectColumns, toMatrix, type Data } from '../data.js';
import { probaClassifier, f64Tensor, outlierDetector, outputLabels, outputsClassifier, type Builder } from '../estimator.js';
import { floatData, isInstance, isNdArray, State } from '../state.js';
import { FlatForest } from './flat-forest.js';
import { leafOutputs, leafProba, outputSizes, readTree, splitColumns, treeSource, type TreeArrays } from './tree.js';

function readTrees(s: State): TreeArrays[] {
  return s.list('estimators_').map((e, i) => {
    if (!isInstance(e)) s.fail(`estimators_[${i}] is not a tree`);
    return readTree(new State(e));
  });
}

/**
 * RandomForestClassifier / ExtraTreesClassifier: the trees' predict_proba (on X cast to float32)
 * summed in order, then divided, as sklearn; fitted on a 2-D y, per output (shapes as
 * outputsClassifier gives them).
 */
const classifier: Builder = (s) => {
  const trees = readTrees(s);
  if (trees.length === 0) s.fail('the forest has no trees');
  const multi = trees[0].nOutputs > 1;
  const labels = outputLabels(s, multi);
  const [sizes] = trees.map((t) => outputSizes(s, t, labels));
  const w = sizes.reduce((a, b) => a + b, 0);
  const flat = new FlatForest(trees.map((t) => treeSource(t, leafProba(t, sizes))), w, 'float32');
  const summed = (x: Data): { rows: number; p: Float64Array } => {
    const m = toMatrix(x);
    const p = new Float64Array(m.rows * w);
    flat.addTo(m, p, w);
    for (let i = 0; i < p.length; i++) p[i] /= trees.length;
    return { rows: m.rows, p };
  };
  if (!multi) return probaClassifier(s.className, labels[0], summed);
  return outputsClassifier(s.className, labels, (x) => {
    const { rows, p } = summed(x);
    return { rows, p: splitColumns(rows, sizes, p) };
  }, true);
};

const regressor: Builder = (s) => {
  const trees = readTrees(s);
  const nOut = trees[0]?.nOutputs ?? 1;
  for (const t of trees) if (t.nOutputs !== nOut || t.nClasses !== 1) s.fail('the trees should all have one value per output');
  const flat = new FlatForest(trees.map((t) => treeSource(t, leafOutputs(t))), nOut, 'float32');
  return {
    className: s.className,
    predict(x) {
      const m = toMatrix(x);
      const out = new Float64Array(m.rows * nOut);
      flat.addTo(m, out, nOut);
      for (let i = 0; i < out.length; i++) out[i] /= trees.length;
      return nOut === 1 ? f64Tensor([m.rows], out) : f64Tensor([m.rows, nOut], out);
    },
  };
};

/** The average path length of an unsuccessful search in a binary search tree of n samples. */
function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

const EULER_GAMMA = 0.5772156649015329;

/**
 * IsolationForest: score_samples = -2^(-mean path length / c(max_samples)), where a row's path
 * length in a tree is its leaf's depth + 1 plus c(samples in that leaf) - 1.
 */
const isolationForest: Builder = (s) => {
  const trees = readTrees(s);
  const feats = s.list('estimators_features_').map((f, i) => {
    if (!isNdArray(f)) return s.fail(`estimators_features_[${i}] should be an array`);
    return Array.from(floatData(f, 'estimators_features_'));
  });
  if (feats.length !== trees.length) s.fail('estimators_features_ does not match estimators_');
  const maxFeatures = s.number('_max_features');
  const denom = trees.length * averagePathLength(s.number('_max_samples'));
  const score = (x: Data, minus: number): Float64Array => {
    const m = toMatrix(x);
    const depths = new Float64Array(m.rows);
    trees.forEach((t, k) => {
      const sub = maxFeatures === m.cols ? m : toMatrix(selectColumns(m, feats[k]));
      t.checkWidth(sub);
      for (let i = 0; i < sub.rows; i++) {
        const leaf = t.leaf(sub, i);
        depths[i] += t.depth[leaf] + 1 + averagePathLength(t.nodeSamples[leaf]) - 1;
      }
    });
    const d = new Float64Array(m.rows);
    for (let i = 0; i < m.rows; i++) d[i] = -(2 ** -(denom !== 0 ? depths[i] / denom : 1)) - minus;
    return d;
  };
  return outlierDetector(s.className, score, s.number('offset_'), 'int64', true);
};

export const forestBuilders: Record<string, Builder> = {
  'sklearn.ensemble.RandomForestClassifier': classifier,
  'sklearn.ensemble.ExtraTreesClassifier': classifier,
  'sklearn.ensemble.RandomForestRegressor': regressor,
  'sklearn.ensemble.ExtraTreesRegressor': regressor,
  'sklearn.ensemble.IsolationForest': isolationForest,
};

import { floatData, isInstance, State } from '../state.js';

/**
 * feature_importances_ of fitted tree models, computed from their node arrays as sklearn does
 * (Tree.compute_feature_importances: each split's weighted impurity decrease, summed per
 * feature, over the root's weight), for SelectFromModel, which reads them from its estimator_.
 */

/** One tree's importances (normalized to sum 1 when `normalize` and the sum is > 0); null for a single-node tree. */
function treeImportances(tree: State, nFeatures: number, normalize: boolean): Float64Array | null {
  const nodes = tree.array('nodes');
  const field = (name: string): Float64Array => {
    const f = nodes.fields?.[name];
    return f ? floatData(f, `${tree.className}.nodes.${name}`) : tree.fail(`tree nodes have no '${name}' field`);
  };
  const left = field('left_child');
  if (left.length <= 1) return null;
  const right = field('right_child');
  const feature = field('feature');
  const impurity = field('impurity');
  const weight = field('weighted_n_node_samples');
  const out = new Float64Array(nFeatures);
  for (let i = 0; i < left.length; i++) {
    const l = left[i];
    if (l === -1) continue;
    const r = right[i];
    out[feature[i]] += weight[i] * impurity[i] - weight[l] * impurity[l] - weight[r] * impurity[r];
  }
  for (let j = 0; j < nFeatures; j++) out[j] /= weight[0];
  if (normalize) {
    const sum = out.reduce((a, b) => a + b, 0);
    if (sum > 0) for (let j = 0; j < nFeatures; j++) out[j] /= sum;
  }
  return out;
}

function treeOf(est: unknown, where: string, s: State): State {
  if (!isInstance(est)) return s.fail(`${where} should be a fitted tree`);
  return new State(new State(est).instance('tree_'));
}

/** The mean of the trees' importances, normalized to sum 1 (zeros when every tree is a single node). */
function averaged(trees: (Float64Array | null)[], nFeatures: number): Float64Array {
  const used = trees.filter((t): t is Float64Array => t !== null);
  const out = new Float64Array(nFeatures);
  if (used.length === 0) return out;
  for (const t of used) for (let j = 0; j < nFeatures; j++) out[j] += t[j];
  for (let j = 0; j < nFeatures; j++) out[j] /= used.length;
  const sum = out.reduce((a, b) => a + b, 0);
  for (let j = 0; j < nFeatures; j++) out[j] /= sum;
  return out;
}

const SINGLE = ['DecisionTreeClassifier', 'DecisionTreeRegressor', 'ExtraTreeClassifier', 'ExtraTreeRegressor'];
const FOREST = ['RandomForestClassifier', 'RandomForestRegressor', 'ExtraTreesClassifier', 'ExtraTreesRegressor'];
const BOOSTED = ['GradientBoostingClassifier', 'GradientBoostingRegressor'];

/** feature_importances_ of a fitted tree, forest or gradient boosting model; null for other estimators. */
export function treeFeatureImportances(s: State): Float64Array | null {
  const name = s.inst.name;
  const n = s.number('n_features_in_');
  if (SINGLE.includes(name)) return treeImportances(treeOf(s.inst, s.className, s), n, true) ?? new Float64Array(n);
  if (FOREST.includes(name)) {
    return averaged(s.list('estimators_').map((e, i) => treeImportances(treeOf(e, `estimators_[${i}]`, s), n, true)), n);
  }
  if (BOOSTED.includes(name)) {
    return averaged(s.list('estimators_').map((e, i) => treeImportances(treeOf(e, `estimators_[${i}]`, s), n, false)), n);
  }
  return null;
}

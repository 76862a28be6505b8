import { MlflowError } from '../../../errors.js';
import { at, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { readDataRows } from '../model-data.js';
import { classifierStage, normalizeInPlace, regressionStage } from '../prediction-model.js';
import { refuseParam, stageName, type Stage, type StageLoader } from '../stage.js';

/** One fitted tree, flattened: node k splits on feature[k] (-1 at a leaf). */
interface Tree {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** the categories that go left, for categorical splits */
  readonly leftCats: (Set<number> | null)[];
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly prediction: Float64Array;
  readonly stats: Float64Array[];
}

interface NodeRow {
  id: number;
  prediction: number;
  impurityStats: number[];
  leftChild: number;
  rightChild: number;
  split: { featureIndex: number; leftCategoriesOrThreshold: number[]; numCategories: number };
}

/** Builds a tree from Spark's NodeData rows (root id 0; a leaf has leftChild -1). */
function buildTree(nodes: NodeRow[], where: string): Tree {
  const n = nodes.length;
  const pos = new Map<number, number>();
  const sorted = [...nodes].sort((a, b) => a.id - b.id);
  sorted.forEach((node, k) => pos.set(node.id, k));
  if (!pos.has(0)) throw new MlflowError(`${where}: a tree has no root node (id 0)`, 'INVALID_PARAMETER_VALUE');
  const tree: Tree = {
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    leftCats: new Array(n).fill(null),
    left: new Int32Array(n),
    right: new Int32Array(n),
    prediction: new Float64Array(n),
    stats: new Array(n),
  };
  sorted.forEach((node, k) => {
    tree.prediction[k] = node.prediction;
    tree.stats[k] = Float64Array.from(node.impurityStats ?? []);
    if (node.leftChild < 0) {
      tree.feature[k] = -1;
      return;
    }
    const l = pos.get(node.leftChild);
    const r = pos.get(node.rightChild);
    if (l === undefined || r === undefined) throw new MlflowError(`${where}: node ${node.id} names a child that does not exist`, 'INVALID_PARAMETER_VALUE');
    tree.left[k] = l;
    tree.right[k] = r;
    tree.feature[k] = node.split.featureIndex;
    if (node.split.numCategories >= 0) tree.leftCats[k] = new Set(node.split.leftCategoriesOrThreshold);
    else tree.threshold[k] = node.split.leftCategoriesOrThreshold[0];
  });
  return tree;
}

/** The leaf x falls in: x <= threshold goes left; a categorical split sends its left categories left. */
function leafOf(tree: Tree, v: Vec): number {
  let k = 0;
  const dense = v.indices === null ? v.values : null;
  while (tree.feature[k] >= 0) {
    const f = tree.feature[k];
    const x = dense !== null ? dense[f] : at(v, f);
    const cats = tree.leftCats[k];
    const goLeft = cats === null ? x <= tree.threshold[k] : cats.has(x);
    k = goLeft ? tree.left[k] : tree.right[k];
  }
  return k;
}

interface Ensemble {
  readonly trees: Tree[];
  readonly weights: number[];
}

async function readSingleTree(meta: StageMetadata): Promise<Tree> {
  return buildTree((await readDataRows(meta.dir)) as unknown as NodeRow[], stageName(meta));
}

/** `data/` rows {treeID, nodeData} and `treesMetadata/` rows {treeID, metadata, weights}. */
async function readEnsemble(meta: StageMetadata): Promise<Ensemble> {
  const where = stageName(meta);
  const rows = (await readDataRows(meta.dir)) as { treeID: number; nodeData: NodeRow }[];
  const byTree = new Map<number, NodeRow[]>();
  for (const r of rows) {
    const list = byTree.get(r.treeID) ?? [];
    list.push(r.nodeData);
    byTree.set(r.treeID, list);
  }
  const metaRows = (await readDataRows(meta.dir, 'treesMetadata')) as { treeID: number; weights: number }[];
  metaRows.sort((a, b) => a.treeID - b.treeID);
  const numTrees = typeof meta.raw.numTrees === 'number' ? meta.raw.numTrees : metaRows.length;
  if (metaRows.length !== numTrees || byTree.size !== numTrees) {
    throw new MlflowError(`${where}: ${numTrees} trees declared, ${byTree.size} found in data and ${metaRows.length} in treesMetadata`, 'INVALID_PARAMETER_VALUE');
  }
  return {
    trees: metaRows.map((m) => {
      const nodes = byTree.get(m.treeID);
      if (!nodes) throw new MlflowError(`${where}: tree ${m.treeID} has no nodes`, 'INVALID_PARAMETER_VALUE');
      return buildTree(nodes, where);
    }),
    weights: metaRows.map((m) => m.weights),
  };
}

function numFeaturesOf(meta: StageMetadata): number | null {
  return typeof meta.raw.numFeatures === 'number' ? meta.raw.numFeatures : null;
}

function numClassesOf(meta: StageMetadata): number {
  const n = meta.raw.numClasses;
  if (typeof n !== 'number') throw new MlflowError(`${stageName(meta)}: metadata has no numClasses`, 'INVALID_PARAMETER_VALUE');
  return n;
}

/** The leafCol output (Spark 3) is not computed natively: refused when set. */
function refuseLeafCol(meta: StageMetadata): void {
  refuseParam(meta, 'leafCol', (v) => v === '' || v === null);
}

async function loadDTClassifier(meta: StageMetadata): Promise<Stage> {
  refuseLeafCol(meta);
  const tree = await readSingleTree(meta);
  return classifierStage(meta, {
    numClasses: numClassesOf(meta),
    numFeatures: numFeaturesOf(meta),
    predictRaw: (v) => Float64Array.from(tree.stats[leafOf(tree, v)]),
    raw2probability: (raw) => normalizeInPlace(Float64Array.from(raw)),
  });
}

async function loadDTRegressor(meta: StageMetadata): Promise<Stage> {
  refuseLeafCol(meta);
  refuseParam(meta, 'varianceCol', (v) => v === '' || v === null);
  const tree = await readSingleTree(meta);
  return regressionStage(meta, numFeaturesOf(meta), (v) => tree.prediction[leafOf(tree, v)]);
}

/** Random forest classifier: the sum of each tree's leaf class frequencies (raw), normalised. */
async function loadRFClassifier(meta: StageMetadata): Promise<Stage> {
  refuseLeafCol(meta);
  const { trees } = await readEnsemble(meta);
  const numClasses = numClassesOf(meta);
  // each leaf's stats divided by their total, as Spark divides per prediction
  const freqs = trees.map((t) =>
    t.stats.map((s) => {
      let total = 0;
      for (const x of s) total += x;
      return total === 0 ? null : s.map((x) => x / total);
    }),
  );
  return classifierStage(meta, {
    numClasses,
    numFeatures: numFeaturesOf(meta),
    predictRaw: (v) => {
      const votes = new Float64Array(numClasses);
      for (let k = 0; k < trees.length; k++) {
        const f = freqs[k][leafOf(trees[k], v)];
        if (f !== null) for (let c = 0; c < numClasses; c++) votes[c] += f[c];
      }
      return votes;
    },
    raw2probability: (raw) => normalizeInPlace(Float64Array.from(raw)),
  });
}

/** Random forest regressor: the mean of the trees' predictions. */
async function loadRFRegressor(meta: StageMetadata): Promise<Stage> {
  refuseLeafCol(meta);
  const { trees } = await readEnsemble(meta);
  return regressionStage(meta, numFeaturesOf(meta), (v) => {
    let sum = 0;
    for (const t of trees) sum += t.prediction[leafOf(t, v)];
    return sum / trees.length;
  });
}

function gbtMargin(e: Ensemble, v: Vec): number {
  let m = 0;
  for (let k = 0; k < e.trees.length; k++) m += e.trees[k].prediction[leafOf(e.trees[k], v)] * e.weights[k];
  return m;
}

/** GBT regressor: Σ weightᵢ · treeᵢ(x). */
async function loadGBTRegressor(meta: StageMetadata): Promise<Stage> {
  refuseLeafCol(meta);
  const e = await readEnsemble(meta);
  return regressionStage(meta, numFeaturesOf(meta), (v) => gbtMargin(e, v));
}

/** GBT classifier (log loss): raw [-m, m], P(0) = 1/(1 + e^{2m}). */
async function loadGBTClassifier(meta: StageMetadata): Promise<Stage> {
  refuseLeafCol(meta);
  const e = await readEnsemble(meta);
  return classifierStage(meta, {
    numClasses: 2,
    numFeatures: numFeaturesOf(meta),
    predictRaw: (v) => {
      const m = gbtMargin(e, v);
      return Float64Array.of(-m, m);
    },
    raw2probability: (raw) => {
      const p0 = 1 / (1 + Math.exp(-2 * raw[0]));
      return Float64Array.of(p0, 1 - p0);
    },
  });
}

export const treeLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.classification.DecisionTreeClassificationModel': loadDTClassifier,
  'org.apache.spark.ml.regression.DecisionTreeRegressionModel': loadDTRegressor,
  'org.apache.spark.ml.classification.RandomForestClassificationModel': loadRFClassifier,
  'org.apache.spark.ml.regression.RandomForestRegressionModel': loadRFRegressor,
  'org.apache.spark.ml.classification.GBTClassificationModel': loadGBTClassifier,
  'org.apache.spark.ml.regression.GBTRegressionModel': loadGBTRegressor,
};

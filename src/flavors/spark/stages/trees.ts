import { MlflowError } from '../../../errors.js';
import { toArray, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { readDataRows } from '../model-data.js';
import { classifierStage, normalizeInto, regressionStage } from '../prediction-model.js';
import { refuseParam, stageName, type Stage, type StageLoader } from '../stage.js';

/**
 * Fitted trees flattened into shared typed arrays (node k of any tree): a tree is its root's
 * index. A split node tests feature[k]; a leaf has feature -1.
 */
class Forest {
  feature: Int32Array;
  threshold: Float64Array;
  /** index into `cats` of a categorical split's left categories, else -1 */
  catIndex: Int32Array;
  cats: Set<number>[] = [];
  left: Int32Array;
  right: Int32Array;
  prediction: Float64Array;
  stats: Float64Array[];
  roots: number[] = [];

  constructor(size: number) {
    this.feature = new Int32Array(size);
    this.threshold = new Float64Array(size);
    this.catIndex = new Int32Array(size).fill(-1);
    this.left = new Int32Array(size);
    this.right = new Int32Array(size);
    this.prediction = new Float64Array(size);
    this.stats = new Array(size);
  }

  /** The leaf x falls in, from root: x <= threshold goes left; a categorical split sends its left categories left. */
  leaf(root: number, x: ArrayLike<number>): number {
    const { feature, threshold, catIndex, left, right } = this;
    let k = root;
    for (;;) {
      const f = feature[k];
      if (f < 0) return k;
      const c = catIndex[k];
      const goLeft = c < 0 ? x[f] <= threshold[k] : this.cats[c].has(x[f]);
      k = goLeft ? left[k] : right[k];
    }
  }
}

interface NodeRow {
  id: number;
  prediction: number;
  impurityStats: number[];
  leftChild: number;
  rightChild: number;
  split: { featureIndex: number; leftCategoriesOrThreshold: number[]; numCategories: number };
}

/** Builds a forest from each tree's NodeData rows (root id 0; a leaf has leftChild -1). */
function buildForest(trees: NodeRow[][], where: string): Forest {
  const forest = new Forest(trees.reduce((a, t) => a + t.length, 0));
  let base = 0;
  for (const nodes of trees) {
    const sorted = [...nodes].sort((a, b) => a.id - b.id);
    const pos = new Map<number, number>();
    sorted.forEach((node, k) => pos.set(node.id, base + k));
    const root = pos.get(0);
    if (root === undefined) throw new MlflowError(`${where}: a tree has no root node (id 0)`, 'INVALID_PARAMETER_VALUE');
    forest.roots.push(root);
    sorted.forEach((node, j) => {
      const k = base + j;
      forest.prediction[k] = node.prediction;
      forest.stats[k] = Float64Array.from(node.impurityStats ?? []);
      if (node.leftChild < 0) {
        forest.feature[k] = -1;
        return;
      }
      const l = pos.get(node.leftChild);
      const r = pos.get(node.rightChild);
      if (l === undefined || r === undefined) throw new MlflowError(`${where}: node ${node.id} names a child that does not exist`, 'INVALID_PARAMETER_VALUE');
      forest.left[k] = l;
      forest.right[k] = r;
      forest.feature[k] = node.split.featureIndex;
      if (node.split.numCategories >= 0) {
        forest.catIndex[k] = forest.cats.length;
        forest.cats.push(new Set(node.split.leftCategoriesOrThreshold));
      } else forest.threshold[k] = node.split.leftCategoriesOrThreshold[0];
    });
    base += sorted.length;
  }
  return forest;
}

interface Ensemble {
  readonly forest: Forest;
  readonly weights: number[];
}

async function readSingleTree(meta: StageMetadata): Promise<Forest> {
  return buildForest([(await readDataRows(meta.dir)) as unknown as NodeRow[]], stageName(meta));
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
  const trees = metaRows.map((m) => {
    const nodes = byTree.get(m.treeID);
    if (!nodes) throw new MlflowError(`${where}: tree ${m.treeID} has no nodes`, 'INVALID_PARAMETER_VALUE');
    return nodes;
  });
  return { forest: buildForest(trees, where), weights: metaRows.map((m) => m.weights) };
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
    predictRaw: (v, out) => out.set(tree.stats[tree.leaf(0, denseValues(v))]),
    raw2probability: normalizeInto,
  });
}

async function loadDTRegressor(meta: StageMetadata): Promise<Stage> {
  refuseLeafCol(meta);
  refuseParam(meta, 'varianceCol', (v) => v === '' || v === null);
  const tree = await readSingleTree(meta);
  return regressionStage(meta, numFeaturesOf(meta), (v) => tree.prediction[tree.leaf(0, denseValues(v))]);
}

/** Random forest classifier: the sum of each tree's leaf class frequencies (raw), normalised. */
async function loadRFClassifier(meta: StageMetadata): Promise<Stage> {
  refuseLeafCol(meta);
  const { forest } = await readEnsemble(meta);
  const numClasses = numClassesOf(meta);
  // each leaf's class counts divided by their total, as Spark divides per prediction (a leaf
  // with no counts adds nothing: its row stays 0)
  const freqs = new Float64Array(forest.stats.length * numClasses);
  forest.stats.forEach((s, k) => {
    let total = 0;
    for (const x of s) total += x;
    if (total !== 0) for (let c = 0; c < numClasses; c++) freqs[k * numClasses + c] = s[c] / total;
  });
  const roots = forest.roots;
  return classifierStage(meta, {
    numClasses,
    numFeatures: numFeaturesOf(meta),
    predictRaw: (v, votes) => {
      const x = denseValues(v);
      for (let t = 0; t < roots.length; t++) {
        const off = forest.leaf(roots[t], x) * numClasses;
        for (let c = 0; c < numClasses; c++) votes[c] += freqs[off + c];
      }
    },
    raw2probability: normalizeInto,
  });
}

/** Random forest regressor: the mean of the trees' predictions. */
async function loadRFRegressor(meta: StageMetadata): Promise<Stage> {
  refuseLeafCol(meta);
  const { forest } = await readEnsemble(meta);
  return regressionStage(meta, numFeaturesOf(meta), (v) => {
    const x = denseValues(v);
    let sum = 0;
    for (const root of forest.roots) sum += forest.prediction[forest.leaf(root, x)];
    return sum / forest.roots.length;
  });
}

function gbtMargin(e: Ensemble, v: Vec): number {
  const x = denseValues(v);
  const { forest, weights } = e;
  let m = 0;
  for (let k = 0; k < forest.roots.length; k++) m += forest.prediction[forest.leaf(forest.roots[k], x)] * weights[k];
  return m;
}

/** A vector's values by index (a sparse one expanded once, not searched per split). */
function denseValues(v: Vec): Float64Array {
  return v.indices === null ? v.values : toArray(v);
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
    predictRaw: (v, out) => {
      const m = gbtMargin(e, v);
      out[0] = -m;
      out[1] = m;
    },
    raw2probability: (raw, out) => {
      out[0] = 1 / (1 + Math.exp(-2 * raw[0]));
      out[1] = 1 - out[0];
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

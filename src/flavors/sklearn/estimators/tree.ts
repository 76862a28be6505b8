import { MlflowError } from '../../../errors.js';
import type { NdArray } from '../../../formats/pickle/types.js';
import { toMatrix, type Data, type Matrix } from '../data.js';
import { argmaxRows, columnStack, f64Tensor, logInPlace, outputLabels, outputsClassifier, type Builder, type Estimator, type Labels } from '../estimator.js';
import { floatData, State } from '../state.js';
import type { TreeSource } from './flat-forest.js';

/** sklearn.tree._tree.Tree: the node arrays of one fitted tree. */
export class TreeArrays {
  readonly left: Float64Array;
  readonly right: Float64Array;
  readonly feature: Float64Array;
  readonly threshold: Float64Array;
  /** missing_go_to_left (sklearn >= 1.3); null when the tree has no missing-value support. */
  readonly missingLeft: Float64Array | null;
  /** value, (nodes, outputs, classes) row-major. */
  readonly value: Float64Array;
  readonly nOutputs: number;
  readonly nClasses: number;
  /** n_node_samples: training samples reaching each node (IsolationForest's path lengths). */
  readonly nodeSamples: Float64Array;
  /** Depth of each node (the root is 0). */
  readonly depth: Int32Array;
  /**
   * True when a classifier's value holds per-node class fractions that predict_proba returns as
   * they are (scikit-learn >= 1.4.1); before, it held weighted counts that predict_proba divided
   * by their sum.
   */
  readonly fractions: boolean;
  private readonly maxFeature: number;

  constructor(s: State, fractions: boolean) {
    this.fractions = fractions;
    const nodes = s.array('nodes');
    const field = (name: string): NdArray => {
      const f = nodes.fields?.[name];
      if (!f) return s.fail(`tree nodes have no '${name}' field`);
      return f;
    };
    const fl = (name: string) => floatData(field(name), `${s.className}.nodes.${name}`);
    this.left = fl('left_child');
    this.right = fl('right_child');
    this.feature = fl('feature');
    this.threshold = fl('threshold');
    this.missingLeft = nodes.fields?.missing_go_to_left ? fl('missing_go_to_left') : null;
    this.nodeSamples = fl('n_node_samples');
    const values = s.array('values');
    this.value = floatData(values, `${s.className}.values`);
    if (values.shape.length !== 3) s.fail('tree values should be 3-D');
    this.nOutputs = values.shape[1];
    this.nClasses = values.shape[2];
    const n = this.left.length;
    if (values.shape[0] !== n || this.right.length !== n || this.feature.length !== n || this.threshold.length !== n) {
      s.fail('tree node arrays have different lengths');
    }
    let maxFeature = -1;
    this.depth = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const l = this.left[i];
      if (l !== -1 && (l <= i || l >= n || this.right[i] <= i || this.right[i] >= n)) {
        s.fail(`tree node ${i} has children out of order`);
      }
      if (l !== -1) {
        if (this.feature[i] > maxFeature) maxFeature = this.feature[i];
        this.depth[l] = this.depth[i] + 1;
        this.depth[this.right[i]] = this.depth[i] + 1;
      }
    }
    this.maxFeature = maxFeature;
  }

  /**
   * The leaf reached by row i. sklearn casts X to float32 before comparing with the float64
   * thresholds, so the row's values are rounded to float32 here too.
   */
  leaf(x: Matrix, i: number): number {
    const { left, right, feature, threshold, missingLeft } = this;
    const base = i * x.cols;
    let node = 0;
    while (left[node] !== -1) {
      const v = Math.fround(x.data[base + feature[node]]);
      if (Number.isNaN(v)) {
        if (missingLeft === null) {
          throw new MlflowError('Input X contains NaN; this tree model does not accept missing values', 'INVALID_PARAMETER_VALUE');
        }
        node = missingLeft[node] ? left[node] : right[node];
      } else node = v <= threshold[node] ? left[node] : right[node];
    }
    return node;
  }

  checkWidth(x: Matrix): void {
    if (this.maxFeature >= x.cols) {
      throw new MlflowError(`The tree splits on feature ${this.maxFeature} but X has ${x.cols} features`, 'INVALID_PARAMETER_VALUE');
    }
  }

  /** value[leaf] per row: (rows, outputs * classes). */
  predictValues(x: Matrix): Float64Array {
    this.checkWidth(x);
    const w = this.nOutputs * this.nClasses;
    const out = new Float64Array(x.rows * w);
    for (let i = 0; i < x.rows; i++) {
      const leaf = this.leaf(x, i);
      for (let k = 0; k < w; k++) out[i * w + k] = this.value[leaf * w + k];
    }
    return out;
  }
}

/** The tree for FlatForest, a row reaching a leaf adding what `leafValues` writes. */
export function treeSource(t: TreeArrays, leafValues: TreeSource['leafValues']): TreeSource {
  return {
    size: t.left.length,
    isLeaf: (node) => t.left[node] === -1,
    left: t.left,
    right: t.right,
    feature: t.feature,
    threshold: t.threshold,
    missingLeft: t.missingLeft,
    leafValues,
  };
}

/**
 * A leaf's class probabilities as DecisionTreeClassifier.predict_proba gives them, output after
 * output (`sizes`: each output's class count, n_classes_), side by side from `at`: value as it
 * is from scikit-learn 1.4.1, before that divided by its sum per output.
 */
export function leafProba(t: TreeArrays, sizes: readonly number[] = [t.nClasses]): TreeSource['leafValues'] {
  const k = t.nClasses;
  return (node, out, at) => {
    let col = at;
    sizes.forEach((nc, o) => {
      const base = (node * t.nOutputs + o) * k;
      let sum = 1;
      if (!t.fractions) {
        sum = 0;
        for (let j = 0; j < nc; j++) sum += t.value[base + j];
        if (sum === 0) sum = 1;
      }
      for (let j = 0; j < nc; j++) out[col + j] = t.value[base + j] / sum;
      col += nc;
    });
  };
}

/** Columns laid side by side per row, (rows, sum of sizes), split into one (rows, size) array each. */
export function splitColumns(rows: number, sizes: readonly number[], p: Float64Array): Float64Array[] {
  const w = sizes.reduce((a, b) => a + b, 0);
  let col = 0;
  return sizes.map((nc) => {
    const po = new Float64Array(rows * nc);
    for (let i = 0; i < rows; i++) for (let j = 0; j < nc; j++) po[i * nc + j] = p[i * w + col + j];
    col += nc;
    return po;
  });
}

/** The class count of each output, checked against the tree's values (sklearn's n_classes_). */
export function outputSizes(s: State, tree: TreeArrays, labels: readonly Labels[]): number[] {
  if (labels.length !== tree.nOutputs) s.fail(`classes_ has ${labels.length} outputs but the tree has ${tree.nOutputs}`);
  const sizes = labels.map((l) => l.size);
  if (sizes.some((nc) => nc > tree.nClasses) || (tree.nOutputs === 1 && sizes[0] !== tree.nClasses)) {
    s.fail('classes_ does not match the number of classes in the tree values');
  }
  return sizes;
}

/** A regression leaf's outputs, each multiplied by `scale` (gradient boosting's learning rate). */
export function leafOutputs(t: TreeArrays, scale = 1): TreeSource['leafValues'] {
  const w = t.nOutputs;
  return (node, out, at) => {
    for (let j = 0; j < w; j++) out[at + j] = scale * t.value[node * w + j];
  };
}

/** The fitted tree_ of a tree estimator, read as that estimator's scikit-learn version left it. */
export function readTree(s: State): TreeArrays {
  return new TreeArrays(new State(s.instance('tree_')), s.sklearnAtLeast(1, 4, 1));
}

/** A decision tree's class probabilities (single output): value, normalised to sum 1 per row before 1.4.1. */
export function treeProba(tree: TreeArrays, x: Matrix): Float64Array {
  const k = tree.nClasses;
  const out = tree.predictValues(x);
  if (tree.fractions) return out;
  for (let i = 0; i < x.rows; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[i * k + j];
    if (sum === 0) sum = 1;
    for (let j = 0; j < k; j++) out[i * k + j] /= sum;
  }
  return out;
}

/** A regression tree's predictions: (rows, outputs). */
export function treeRegress(tree: TreeArrays, x: Matrix): Float64Array {
  if (tree.nClasses !== 1) throw new MlflowError('A regression tree should have one value per output', 'INVALID_PARAMETER_VALUE');
  return tree.predictValues(x);
}

/**
 * DecisionTreeClassifier / ExtraTreeClassifier. Fitted on a 2-D y, classes_ holds one array per
 * output: predict takes each output's argmax of the leaf values, predict_proba each output's
 * probabilities (shapes as outputsClassifier gives them).
 */
const classifier: Builder = (s) => {
  const tree = readTree(s);
  const multi = tree.nOutputs > 1;
  const labels = outputLabels(s, multi);
  const sizes = outputSizes(s, tree, labels);
  if (multi) {
    const leafValues = leafProba(tree, sizes);
    const proba = (x: Data): { rows: number; p: Float64Array[] } => {
      const m = toMatrix(x);
      tree.checkWidth(m);
      const w = sizes.reduce((a, b) => a + b, 0);
      const p = new Float64Array(m.rows * w);
      for (let i = 0; i < m.rows; i++) leafValues(tree.leaf(m, i), p, i * w);
      return { rows: m.rows, p: splitColumns(m.rows, sizes, p) };
    };
    const est = outputsClassifier(s.className, labels, proba, true);
    // sklearn's predict takes the argmax of each output's raw leaf values, not of probabilities
    est.predict = (x) => {
      const m = toMatrix(x);
      const raw = tree.predictValues(m);
      const k = tree.nClasses;
      const picked = labels.map((l, o) => {
        const vo = new Float64Array(m.rows * l.size);
        for (let i = 0; i < m.rows; i++) for (let j = 0; j < l.size; j++) vo[i * l.size + j] = raw[(i * tree.nOutputs + o) * k + j];
        return l.take(argmaxRows(m.rows, l.size, vo));
      });
      return columnStack(picked, m.rows);
    };
    return est;
  }
  const [only] = labels;
  const est: Estimator = {
    className: s.className,
    predictProba(x: Data) {
      const m = toMatrix(x);
      return f64Tensor([m.rows, tree.nClasses], treeProba(tree, m));
    },
    predictLogProba: (x) => logInPlace(est.predictProba!(x)),
    predict(x: Data) {
      const m = toMatrix(x);
      return only.take(argmaxRows(m.rows, tree.nClasses, tree.predictValues(m)));
    },
  };
  return est;
};

const regressor: Builder = (s) => {
  const tree = readTree(s);
  return {
    className: s.className,
    predict(x: Data) {
      const m = toMatrix(x);
      const out = treeRegress(tree, m);
      return tree.nOutputs === 1 ? f64Tensor([m.rows], out) : f64Tensor([m.rows, tree.nOutputs], out);
    },
  };
};

export const treeBuilders: Record<string, Builder> = {
  'sklearn.tree.DecisionTreeClassifier': classifier,
  'sklearn.tree.ExtraTreeClassifier': classifier,
  'sklearn.tree.DecisionTreeRegressor': regressor,
  'sklearn.tree.ExtraTreeRegressor': regressor,
};

export const treeHelpers = ['sklearn.tree.Tree'];

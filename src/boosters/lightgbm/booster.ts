import { MlflowError } from '../../errors.js';
import { Forest, type TreeSource } from '../forest.js';
import { applyTransform, objectiveTransform, type Transform } from './objective.js';
import type { LightGBMText, LightGBMTree } from './text-model.js';

export interface LightGBMPredictOptions {
  /** Raw scores, before the objective's transform (predict(raw_score=True)). */
  readonly rawScore?: boolean;
  /** Per tree, the index of the leaf each row reaches (predict(pred_leaf=True)). */
  readonly predLeaf?: boolean;
  readonly startIteration?: number;
  /** Iterations to use from startIteration; 0 or less means all (LightGBM's num_iteration). */
  readonly numIteration?: number;
}

/** Booster.predict's answer: float64 values in row-major order and numpy's shape. */
export interface LightGBMPrediction {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

const DECISION_CATEGORICAL = 1;
const DECISION_DEFAULT_LEFT = 2;
const MISSING_ZERO = 1;
const MISSING_NAN = 2;

/** A loaded LightGBM model: what `lightgbm.Booster.predict` gives for float64 rows (NaN = missing). */
export class LightGBMModel {
  readonly file: string;
  readonly text: LightGBMText;
  /** Features the model expects (max_feature_idx + 1). */
  readonly numFeature: number;
  /** Scores per row (num_tree_per_iteration). */
  readonly outputWidth: number;
  readonly numIterations: number;
  private readonly transformKind: Transform;
  private readonly forest: Forest;
  private readonly columns: Int32Array;
  private readonly linear: boolean;

  constructor(text: LightGBMText, file: string) {
    this.file = file;
    this.text = text;
    this.numFeature = text.maxFeatureIdx + 1;
    this.outputWidth = text.numTreePerIteration;
    this.numIterations = text.trees.length / text.numTreePerIteration;
    this.transformKind = objectiveTransform(text, file);
    if (this.transformKind.kind === 'softmax' && text.numClass !== this.outputWidth) {
      throw new MlflowError(`${file}: multiclass with num_class=${text.numClass} but ${this.outputWidth} trees per iteration`, 'INVALID_PARAMETER_VALUE');
    }
    this.columns = Int32Array.from(text.trees, (_, i) => i % this.outputWidth);
    this.forest = new Forest(text.trees.map((t, i) => treeSource(t, i, file)), 'float64', 'lightgbm');
    this.linear = text.trees.some((t) => t.linear !== null);
  }

  /**
   * Booster.predict(rows) for nRows x nCols float64 values, row-major, NaN = missing. Shapes as
   * LightGBM's: (n,) for one score per row, (n, k) for k classes, (n, trees) for pred_leaf.
   */
  predict(rows: Float64Array, nRows: number, nCols: number, opts: LightGBMPredictOptions = {}): LightGBMPrediction {
    if (rows.length !== nRows * nCols) {
      throw new MlflowError(`LightGBM input has ${rows.length} values, not ${nRows} x ${nCols}`, 'INVALID_PARAMETER_VALUE');
    }
    if (nCols !== this.numFeature) {
      throw new MlflowError(`The number of features in data (${nCols}) is not the same as it was in training data (${this.numFeature}).`, 'BAD_REQUEST');
    }
    const k = this.outputWidth;
    const [first, last] = this.iterations(opts);
    const begin = first * k;
    const end = last * k;
    if (opts.predLeaf) {
      return { data: this.forest.leafIndices(rows, nRows, nCols, begin, end), shape: [nRows, end - begin] };
    }
    const out = new Float64Array(nRows * k);
    if (this.linear) this.addLinear(rows, nRows, nCols, out, begin, end);
    else this.forest.addTo(rows, nRows, nCols, out, k, this.columns, begin, end);
    if (!opts.rawScore) {
      // random forests average their trees for predict; raw_score is the plain sum (LightGBM 4)
      if (this.text.averageOutput && last > first) {
        const n = last - first;
        for (let i = 0; i < out.length; i++) out[i] /= n;
      }
      applyTransform(this.transformKind, out, nRows, k);
    }
    return { data: out, shape: k === 1 ? [nRows] : [nRows, k] };
  }

  private iterations(opts: LightGBMPredictOptions): [number, number] {
    const start = opts.startIteration ?? 0;
    const total = this.numIterations;
    if (!Number.isInteger(start) || start < 0) throw new MlflowError(`start_iteration ${start} should be a non-negative integer`, 'INVALID_PARAMETER_VALUE');
    const first = Math.min(start, total);
    const num = opts.numIteration ?? 0;
    const last = num > 0 ? Math.min(total, first + num) : total;
    return [first, last];
  }

  /** Trees with linear leaves: leaf_const + coeff . x, or the plain leaf value when one of its features is NaN. */
  private addLinear(rows: Float64Array, nRows: number, nCols: number, out: Float64Array, begin: number, end: number): void {
    const k = this.outputWidth;
    for (let t = begin; t < end; t++) {
      const tree = this.text.trees[t];
      const leaves = this.forest.leafIndices(rows, nRows, nCols, t, t + 1);
      const col = this.columns[t];
      for (let r = 0; r < nRows; r++) {
        const leaf = leaves[r];
        let v = tree.leafValue[leaf];
        if (tree.linear) {
          let sum = tree.linear.constant[leaf];
          const feats = tree.linear.features[leaf];
          const coeffs = tree.linear.coeffs[leaf];
          let nan = false;
          for (let j = 0; j < feats.length; j++) {
            const x = rows[r * nCols + feats[j]];
            if (x !== x) {
              nan = true;
              break;
            }
            sum += coeffs[j] * x;
          }
          if (!nan) v = sum;
        }
        out[r * k + col] += v;
      }
    }
  }
}

/**
 * One LightGBM tree in the forest's terms (see TreeSource). Node ids: internal nodes keep theirs,
 * leaf l is numLeaves - 1 + l; a leaf's reported id (pred_leaf) is l.
 */
function treeSource(t: LightGBMTree, ti: number, file: string): TreeSource {
  const internal = t.numLeaves - 1;
  const id = (child: number): number => (child < 0 ? internal + ~child : child);
  const missing = (node: number): number => (t.decisionType[node] >> 2) & 3;
  const defaultLeft = (node: number): boolean => (t.decisionType[node] & DECISION_DEFAULT_LEFT) !== 0;
  const isCat = (node: number): boolean => (t.decisionType[node] & DECISION_CATEGORICAL) !== 0;
  return {
    size: internal + t.numLeaves,
    isLeaf: (node) => node >= internal,
    left: (node) => id(t.leftChild[node]),
    right: (node) => id(t.rightChild[node]),
    feature: (node) => t.splitFeature[node],
    threshold: (node) => t.threshold[node],
    nanLeft: (node) => {
      // NaN is never in a categorical split's set; numeric splits without a NaN missing type read NaN as 0
      if (isCat(node)) return false;
      const m = missing(node);
      if (m === MISSING_NAN || m === MISSING_ZERO) return defaultLeft(node);
      return 0 <= t.threshold[node];
    },
    zeroMissing: (node) => !isCat(node) && missing(node) === MISSING_ZERO,
    zeroLeft: defaultLeft,
    categories: (node) => {
      if (!isCat(node)) return null;
      const c = t.threshold[node];
      if (!Number.isInteger(c) || c < 0 || c + 1 >= t.catBoundaries.length) {
        throw new MlflowError(`${file}: tree ${ti} node ${node} refers to category set ${c}, which is not in cat_boundaries`, 'INVALID_PARAMETER_VALUE');
      }
      return Uint32Array.from(t.catThreshold.slice(t.catBoundaries[c], t.catBoundaries[c + 1]));
    },
    leafValue: (node) => t.leafValue[node - internal],
    leafId: (node) => node - internal,
  };
}

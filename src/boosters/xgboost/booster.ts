import { MlflowError } from '../../errors.js';
import { Forest, nextDown32, type TreeSource } from '../forest.js';
import { baseMargin, objectiveSpec, transform, type Transform } from './objective.js';
import type { BoosterKind, XGBoostParts, XGBoostTree } from './parts.js';

export interface XGBoostPredictOptions {
  /** Raw margins instead of the objective's transform (Booster.predict(output_margin=True)). */
  readonly outputMargin?: boolean;
  /** Per tree, the id of the leaf each row reaches (Booster.predict(pred_leaf=True)). */
  readonly predLeaf?: boolean;
  /** Boosting rounds [begin, end) to use; end 0 means all (XGBoost's iteration_range). */
  readonly iterationRange?: readonly [number, number];
}

/** Booster.predict's answer: float32 values in row-major order and numpy's shape. */
export interface XGBoostPrediction {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** A loaded XGBoost model: what `xgboost.Booster` gives for a DMatrix of float64 rows (NaN = missing). */
export class XGBoostModel {
  readonly file: string;
  readonly version: readonly number[];
  readonly objective: string;
  readonly booster: BoosterKind;
  readonly numFeature: number;
  /** num_class as saved (0 for a single-output model). */
  readonly numClass: number;
  /** Margins per row: classes, targets, or 1. */
  readonly outputWidth: number;
  readonly featureNames: readonly string[] | null;
  readonly featureTypes: readonly string[] | null;
  readonly attributes: Readonly<Record<string, string>>;
  /** Boosting rounds held (Booster.num_boosted_rounds()). */
  readonly numBoostedRounds: number;
  /** The `best_iteration` attribute (set by early stopping), or null. */
  readonly bestIteration: number | null;

  private readonly transformKind: Transform;
  private readonly baseMargins: Float32Array;
  private readonly forest: Forest | null;
  private readonly treeGroup: Int32Array;
  private readonly treesPerRound: number;
  private readonly linear: Float32Array | null;

  constructor(parts: XGBoostParts, file: string) {
    this.file = file;
    this.version = parts.version;
    this.objective = parts.objective;
    this.booster = parts.booster;
    this.numFeature = parts.numFeature;
    this.numClass = parts.numClass;
    this.featureNames = parts.featureNames;
    this.featureTypes = parts.featureTypes;
    this.attributes = parts.attributes;
    const spec = objectiveSpec(parts.objective, file);
    this.transformKind = spec.transform;
    const width = parts.numTarget > 1 ? parts.numTarget : Math.max(1, parts.numClass);
    this.outputWidth = width;
    if ((spec.transform === 'softprob' || spec.transform === 'softmax') && parts.numClass < 1) {
      throw new MlflowError(`${file}: ${parts.objective} needs num_class`, 'INVALID_PARAMETER_VALUE');
    }
    const scores = parts.baseScore;
    if (scores.length !== 1 && scores.length !== width) {
      throw new MlflowError(`${file}: base_score has ${scores.length} values for ${width} outputs`, 'INVALID_PARAMETER_VALUE');
    }
    this.baseMargins = Float32Array.from({ length: width }, (_, k) => {
      const s = scores.length === 1 ? scores[0] : scores[k];
      return parts.baseScoreIsMargin ? Math.fround(s) : baseMargin(spec, s);
    });
    const best = parts.attributes.best_iteration;
    this.bestIteration = best !== undefined && /^\d+$/.test(best) ? Number(best) : null;
    if (parts.booster === 'gblinear') {
      const w = parts.linearWeights!;
      if (w.length !== (parts.numFeature + 1) * width) {
        throw new MlflowError(`${file}: gblinear has ${w.length} weights for ${parts.numFeature} features x ${width} outputs`, 'INVALID_PARAMETER_VALUE');
      }
      this.linear = w;
      this.forest = null;
      this.treeGroup = new Int32Array(0);
      this.treesPerRound = 1;
      this.numBoostedRounds = 0;
      return;
    }
    this.linear = null;
    this.treesPerRound = width * parts.numParallelTree;
    if (parts.trees.length % this.treesPerRound !== 0) {
      throw new MlflowError(`${file}: ${parts.trees.length} trees is not a whole number of rounds of ${this.treesPerRound}`, 'INVALID_PARAMETER_VALUE');
    }
    this.numBoostedRounds = parts.trees.length / this.treesPerRound;
    this.treeGroup = Int32Array.from(parts.treeInfo);
    for (const g of this.treeGroup) {
      if (g < 0 || g >= width) throw new MlflowError(`${file}: a tree's output group ${g} is not below ${width}`, 'INVALID_PARAMETER_VALUE');
    }
    const weights = parts.weightDrop;
    this.forest = new Forest(parts.trees.map((t, i) => treeSource(t, weights ? weights[i] : 1, i, file)), 'float32', 'xgboost');
  }

  /**
   * Booster.predict(DMatrix(rows)) for nRows x nCols float64 values, row-major, NaN = missing.
   * Shapes follow xgboost's default (strict_shape=False): (n,) for one output or multi:softmax,
   * (n, k) for k outputs, (n, trees) for pred_leaf.
   */
  predict(rows: Float64Array, nRows: number, nCols: number, opts: XGBoostPredictOptions = {}): XGBoostPrediction {
    if (rows.length !== nRows * nCols) {
      throw new MlflowError(`XGBoost input has ${rows.length} values, not ${nRows} x ${nCols}`, 'INVALID_PARAMETER_VALUE');
    }
    if (nCols !== this.numFeature) {
      throw new MlflowError(`Feature shape mismatch, expected: ${this.numFeature}, got ${nCols}`, 'BAD_REQUEST');
    }
    const width = this.outputWidth;
    if (this.linear) {
      if (opts.predLeaf) throw new MlflowError('pred_leaf is only supported for tree boosters (this model is gblinear)', 'INVALID_PARAMETER_VALUE');
      const [b, e] = opts.iterationRange ?? [0, 0];
      if (b !== 0 || e !== 0) throw new MlflowError('iteration_range is not supported for gblinear', 'INVALID_PARAMETER_VALUE');
      return this.finish(this.linearMargins(rows, nRows, nCols), nRows, opts);
    }
    const [begin, end] = this.treeRange(opts.iterationRange);
    const forest = this.forest!;
    if (opts.predLeaf) {
      const leaves = forest.leafIndices(rows, nRows, nCols, begin, end);
      return { data: Float32Array.from(leaves), shape: [nRows, end - begin] };
    }
    const margins = new Float32Array(nRows * width);
    for (let r = 0; r < nRows; r++) margins.set(this.baseMargins, r * width);
    forest.addTo(rows, nRows, nCols, margins, width, this.treeGroup, begin, end);
    return this.finish(margins, nRows, opts);
  }

  private finish(margins: Float32Array, nRows: number, opts: XGBoostPredictOptions): XGBoostPrediction {
    const width = this.outputWidth;
    const shape = (w: number): number[] => (w === 1 ? [nRows] : [nRows, w]);
    if (opts.outputMargin) return { data: margins, shape: shape(width) };
    const out = transform(this.transformKind, margins, nRows, width);
    return { data: out, shape: shape(this.transformKind === 'softmax' ? 1 : width) };
  }

  /** Trees [begin, end) for an iteration_range, checked as XGBoost checks it. */
  private treeRange(range: readonly [number, number] | undefined): [number, number] {
    const [b, e] = range ?? [0, 0];
    const rounds = this.numBoostedRounds;
    const end = e === 0 ? rounds : e;
    if (!Number.isInteger(b) || !Number.isInteger(end) || b < 0 || b > end || end > rounds) {
      throw new MlflowError(`iteration_range (${b}, ${e}) is out of range: the model has ${rounds} boosting rounds`, 'INVALID_PARAMETER_VALUE');
    }
    return [b * this.treesPerRound, end * this.treesPerRound];
  }

  /** gblinear: bias + base + sum of x*w over present features, in float32 as XGBoost sums. */
  private linearMargins(rows: Float64Array, nRows: number, nCols: number): Float32Array {
    const width = this.outputWidth;
    const w = this.linear!;
    const nf = this.numFeature;
    const f = Math.fround;
    const out = new Float32Array(nRows * width);
    for (let r = 0; r < nRows; r++) {
      for (let g = 0; g < width; g++) {
        let sum = f(w[nf * width + g] + this.baseMargins[g]);
        for (let j = 0; j < nCols; j++) {
          const v = rows[r * nCols + j];
          if (v !== v) continue;
          sum = f(sum + f(f(v) * w[j * width + g]));
        }
        out[r * width + g] = sum;
      }
    }
    return out;
  }
}

/** One XGBoost tree in the forest's terms (see TreeSource): categorical splits swap their children. */
function treeSource(t: XGBoostTree, weight: number, ti: number, file: string): TreeSource {
  const n = t.left.length;
  const cat = (node: number): boolean => t.categories.has(node);
  const sets = new Map<number, Uint32Array>();
  for (const [node, cats] of t.categories) {
    const max = cats.reduce((m, c) => Math.max(m, c), -1);
    const bits = new Uint32Array((max >> 5) + 1);
    for (const c of cats) {
      if (!Number.isInteger(c) || c < 0) throw new MlflowError(`${file}: tree ${ti} node ${node} has category ${c}`, 'INVALID_PARAMETER_VALUE');
      bits[c >> 5] |= 1 << (c & 31);
    }
    sets.set(node, bits);
  }
  return {
    size: n,
    isLeaf: (node) => t.left[node] === -1,
    left: (node) => (cat(node) ? t.right[node] : t.left[node]),
    right: (node) => (cat(node) ? t.left[node] : t.right[node]),
    feature: (node) => t.splitIndex[node],
    threshold: (node) => nextDown32(t.splitCondition[node]),
    nanLeft: (node) => (t.defaultLeft[node] !== 0) !== cat(node),
    categories: (node) => sets.get(node) ?? null,
    // DART scales each tree's output by its weight, a float32 product
    leafValue: (node) => (weight === 1 ? Math.fround(t.splitCondition[node]) : Math.fround(Math.fround(t.splitCondition[node]) * Math.fround(weight))),
  };
}

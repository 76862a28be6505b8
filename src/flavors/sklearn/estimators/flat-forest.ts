import { MlflowError } from '../../../errors.js';
import type { Matrix } from '../data.js';

/** One fitted tree as its estimator stores it, read once to lay it out flat. */
export interface TreeSource {
  /** Number of nodes; children always have higher ids than their parent (checked by the reader). */
  readonly size: number;
  isLeaf(node: number): boolean;
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  /** Where NaN goes at each split (non-zero: left); null when the tree refuses NaN. */
  readonly missingLeft: ArrayLike<number> | null;
  /** Writes the `width` values a row reaching this leaf adds to its output, at out[at...]. */
  leafValues(node: number, out: Float64Array, at: number): void;
}

/**
 * How rows are compared with thresholds: as float64 (HistGradientBoosting), or first rounded to
 * float32 (sklearn's tree_.predict casts X to float32).
 */
export type SplitPrecision = 'float64' | 'float32';

/** Rows per block when all the trees fit in L2 with the block: every tree walks the block in turn. */
const SMALL_BLOCK_ROWS = 1024;
/** A larger forest is walked tree by tree over blocks of about this many bytes of X. */
const LARGE_BLOCK_BYTES = 4 << 20;
const SMALL_FOREST_BYTES = 512 << 10;

/**
 * Decision trees laid out once for batch prediction: every node of every tree is a record in one
 * buffer, renumbered depth-first so that a split's left child is the next record. Rows are
 * predicted a block at a time through all trees in order, so each output cell receives the trees'
 * values in the same order, with the same float64 additions, as scikit-learn's tree-by-tree loops.
 *
 * Two record layouts:
 * - compact, 8 bytes (float32 precision, no NaN support, when the ids fit): the threshold rounded
 *   down to float32 (for a float32 x, x <= t exactly when x <= the largest float32 <= t) and one
 *   int32 holding the feature in the low `featureBits` bits and the distance to the right child
 *   in the others (kept below 2^31 so that every value stays an int32 in V8); a leaf has every
 *   feature bit set and its leaf number (within its tree) above.
 *   A deep forest then takes half the cache a 16-byte record would.
 * - wide, 16 bytes: the float64 threshold; the feature (-1 for a leaf); the right child's id (or
 *   the leaf's index into `leaves`).
 */
export class FlatForest {
  private readonly roots: Int32Array;
  /** Output column offset of each tree's values (a boosting iteration's class). */
  private readonly columns: Int32Array;
  /** `width` values per leaf, leaves numbered tree by tree, left to right. */
  private readonly leaves: Float64Array;
  /** Each tree's first leaf in `leaves`. */
  private readonly leafBase: Int32Array;
  private readonly width: number;
  private readonly precision: SplitPrecision;
  private readonly maxFeature: number;
  private readonly acceptsNaN: boolean;
  private readonly blockBytes: number;
  /** Exactly one layout is set. */
  private readonly compact: Compact | null;
  private readonly wide: Wide | null;

  /** Tree t's `width` leaf values are added at output column `columns[t]` (0 when omitted). */
  constructor(trees: readonly TreeSource[], width: number, precision: SplitPrecision, columns?: readonly number[]) {
    this.width = width;
    this.precision = precision;
    this.roots = new Int32Array(trees.length);
    this.leafBase = new Int32Array(trees.length);
    this.columns = Int32Array.from(columns ?? trees.map(() => 0));
    const order = trees.map((t, ti) => preorder(t, ti));
    let leafCount = 0;
    let maxFeature = -1;
    let maxRightDistance = 0;
    let maxTreeLeaves = 0;
    for (const o of order) {
      leafCount += o.leaves;
      maxTreeLeaves = Math.max(maxTreeLeaves, o.leaves);
      maxFeature = Math.max(maxFeature, o.maxFeature);
      maxRightDistance = Math.max(maxRightDistance, o.maxRightDistance);
    }
    this.maxFeature = maxFeature;
    this.leaves = new Float64Array(leafCount * width);
    this.acceptsNaN = trees.length > 0 && trees.every((t) => t.missingLeft !== null);
    const nodes = order.reduce((n, o) => n + o.nodes.length, 0);
    const featureBits = 32 - Math.clz32(maxFeature + 1);
    const fitsCompact = featureBits < 31 && Math.max(maxRightDistance, maxTreeLeaves) < 2 ** (31 - featureBits);
    this.compact = precision === 'float32' && !this.acceptsNaN && fitsCompact ? new Compact(nodes, featureBits) : null;
    this.wide = this.compact ? null : new Wide(nodes, this.acceptsNaN);
    let next = 0;
    let leaf = 0;
    order.forEach((o, ti) => {
      const t = trees[ti];
      const root = next;
      this.roots[ti] = root;
      this.leafBase[ti] = leaf;
      for (let k = 0; k < o.nodes.length; k++) {
        const node = o.nodes[k];
        const id = root + k;
        if (t.isLeaf(node)) {
          t.leafValues(node, this.leaves, leaf * width);
          this.compact?.setLeaf(id, leaf - this.leafBase[ti]);
          this.wide?.setLeaf(id, leaf);
          leaf++;
          continue;
        }
        const feature = t.feature[node];
        const threshold = t.threshold[node];
        const missingLeft = this.acceptsNaN && t.missingLeft![node] !== 0;
        this.compact?.setSplit(id, feature, threshold, root + o.rightOf[k]);
        this.wide?.setSplit(id, feature, threshold, root + o.rightOf[k], missingLeft);
      }
      next += o.nodes.length;
    });
    const forestBytes = nodes * (this.compact ? 8 : 16) + this.leaves.byteLength;
    this.blockBytes = forestBytes <= SMALL_FOREST_BYTES ? 0 : LARGE_BLOCK_BYTES;
  }

  /**
   * Adds every tree's leaf values to `out` (rows x outWidth, row-major), whose initial values
   * (zeros, or a baseline) the caller sets.
   */
  addTo(x: Matrix, out: Float64Array, outWidth: number): void {
    if (this.maxFeature >= x.cols) {
      throw new MlflowError(`The trees split on feature ${this.maxFeature} but X has ${x.cols} features`, 'INVALID_PARAMETER_VALUE');
    }
    const cols = x.cols;
    const valueBytes = this.compact ? 4 : 8;
    const blockRows = Math.max(1, Math.min(x.rows, this.blockBytes === 0 ? SMALL_BLOCK_ROWS : Math.floor(this.blockBytes / (cols * valueBytes))));
    const { roots, columns, leaves, leafBase, width } = this;
    if (this.compact) {
      const { words, thresholds, featureBits } = this.compact;
      const block = new Float32Array(blockRows * cols);
      for (let r0 = 0; r0 < x.rows; r0 += blockRows) {
        const n = Math.min(blockRows, x.rows - r0);
        if (copyBlock32(x.data, r0 * cols, n * cols, block)) throw nanError();
        for (let t = 0; t < roots.length; t++) {
          walkCompact(thresholds, words, featureBits, leaves, width, roots[t], leafBase[t], block, n, cols, out, r0 * outWidth + columns[t], outWidth);
        }
      }
      return;
    }
    const wide = this.wide!;
    const block = new Float64Array(blockRows * cols);
    for (let r0 = 0; r0 < x.rows; r0 += blockRows) {
      const n = Math.min(blockRows, x.rows - r0);
      const hasNaN = copyBlock64(x.data, r0 * cols, n * cols, block, this.precision === 'float32');
      if (hasNaN && !this.acceptsNaN) throw nanError();
      for (let t = 0; t < roots.length; t++) {
        const at = r0 * outWidth + columns[t];
        if (hasNaN) walkWideNaN(wide.thresholds, wide.ints, wide.missingLeft!, leaves, width, roots[t], block, n, cols, out, at, outWidth);
        else walkWide(wide.thresholds, wide.ints, leaves, width, roots[t], block, n, cols, out, at, outWidth);
      }
    }
  }
}

function nanError(): MlflowError {
  return new MlflowError('Input X contains NaN; this tree model does not accept missing values', 'INVALID_PARAMETER_VALUE');
}

/** A tree's reachable nodes in preorder (left before right), with each split's right child as a position in that order. */
function preorder(t: TreeSource, ti: number) {
  const nodes: number[] = [];
  const rightOf: number[] = [];
  let leaves = 0;
  let maxFeature = -1;
  let maxRightDistance = 0;
  const stack = [0];
  const parentOf = [-1];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const parent = parentOf.pop()!;
    // a node reached twice (a pickled graph, not a tree) could make the walk blow up
    if (nodes.length >= t.size || node < 0 || node >= t.size) {
      throw new MlflowError(`tree ${ti} is not a tree: node ${node} is out of range or shared by two parents`, 'INVALID_PARAMETER_VALUE');
    }
    const pos = nodes.length;
    nodes.push(node);
    rightOf.push(-1);
    if (parent >= 0) {
      rightOf[parent] = pos;
      maxRightDistance = Math.max(maxRightDistance, pos - parent);
    }
    if (t.isLeaf(node)) {
      leaves++;
      continue;
    }
    const f = t.feature[node];
    if (!Number.isInteger(f) || f < 0 || f >= 2 ** 30) {
      throw new MlflowError(`tree ${ti} node ${node} splits on feature ${f}`, 'INVALID_PARAMETER_VALUE');
    }
    maxFeature = Math.max(maxFeature, f);
    // the right child is pushed first so that the left one comes next in preorder
    stack.push(t.right[node], t.left[node]);
    parentOf.push(pos, -1);
  }
  return { nodes, rightOf, leaves, maxFeature, maxRightDistance };
}

/** The 8-byte layout (see FlatForest). */
class Compact {
  readonly thresholds: Float32Array;
  readonly words: Int32Array;
  readonly featureBits: number;
  private readonly leafMark: number;

  constructor(nodes: number, featureBits: number) {
    const buf = new ArrayBuffer(nodes * 8);
    this.thresholds = new Float32Array(buf);
    this.words = new Int32Array(buf);
    this.featureBits = featureBits;
    this.leafMark = (1 << featureBits) - 1;
  }

  setSplit(id: number, feature: number, threshold: number, right: number): void {
    this.thresholds[id * 2] = floorFloat32(threshold);
    this.words[id * 2 + 1] = feature | ((right - id) << this.featureBits);
  }

  setLeaf(id: number, leafInTree: number): void {
    this.words[id * 2 + 1] = this.leafMark | (leafInTree << this.featureBits);
  }
}

/** The 16-byte layout (see FlatForest): int32 slots [threshold, threshold, feature, right]. */
class Wide {
  readonly thresholds: Float64Array;
  readonly ints: Int32Array;
  /** Per node, 1 where NaN goes left; null when the trees refuse NaN. */
  readonly missingLeft: Uint8Array | null;

  constructor(nodes: number, hasMissing: boolean) {
    const buf = new ArrayBuffer(nodes * 16);
    this.thresholds = new Float64Array(buf);
    this.ints = new Int32Array(buf);
    this.missingLeft = hasMissing ? new Uint8Array(nodes) : null;
  }

  setSplit(id: number, feature: number, threshold: number, right: number, missingLeft: boolean): void {
    this.thresholds[id * 2] = threshold;
    this.ints[id * 4 + 2] = feature;
    this.ints[id * 4 + 3] = right;
    if (this.missingLeft) this.missingLeft[id] = missingLeft ? 1 : 0;
  }

  setLeaf(id: number, leaf: number): void {
    this.ints[id * 4 + 2] = -1;
    this.ints[id * 4 + 3] = leaf;
  }
}

const F32 = new Float32Array(1);
const F32_BITS = new Int32Array(F32.buffer);

/** The largest float32 <= v (v itself when it is one; NaN stays NaN). */
export function floorFloat32(v: number): number {
  const f = Math.fround(v);
  if (!(f > v)) return f;
  F32[0] = f;
  // one float32 step towards -Infinity: for f > 0 the bit pattern decreases, for f < 0 it increases
  if (f > 0) F32_BITS[0]--;
  else if (f === 0) F32_BITS[0] = 0x80000001 | 0;
  else F32_BITS[0]++;
  return F32[0];
}

/** Copies n values of X into a float32 block (numpy's astype(float32)); true if one is NaN. */
function copyBlock32(src: Float64Array, from: number, n: number, block: Float32Array): boolean {
  let nan = false;
  for (let i = 0; i < n; i++) {
    const v = src[from + i];
    block[i] = v;
    if (v !== v) nan = true;
  }
  return nan;
}

/** Copies n values of X into a float64 block, rounded to float32 if asked; true if one is NaN. */
function copyBlock64(src: Float64Array, from: number, n: number, block: Float64Array, f32: boolean): boolean {
  let nan = false;
  for (let i = 0; i < n; i++) {
    const v = f32 ? Math.fround(src[from + i]) : src[from + i];
    block[i] = v;
    if (v !== v) nan = true;
  }
  return nan;
}

// The walks below are the hot loops: plain functions of typed arrays, so V8 keeps them
// monomorphic. Each walks one tree over the n rows of a block and adds the reached leaf's
// values to out[at + r * outWidth + j].

function walkCompact(
  thresholds: Float32Array, words: Int32Array, featureBits: number, leaves: Float64Array, width: number, root: number,
  leafBase: number, block: Float32Array, n: number, cols: number, out: Float64Array, at: number, outWidth: number,
): void {
  // int32, like every value in this loop: a float mask (2 ** bits - 1) made it several times slower
  const mask = (1 << featureBits) - 1;
  for (let r = 0; r < n; r++) {
    const base = r * cols;
    let node = root;
    let w = words[node * 2 + 1];
    let f = w & mask;
    while (f !== mask) {
      node = block[base + f] <= thresholds[node * 2] ? node + 1 : node + (w >> featureBits);
      w = words[node * 2 + 1];
      f = w & mask;
    }
    const li = (leafBase + (w >> featureBits)) * width;
    const o = at + r * outWidth;
    for (let j = 0; j < width; j++) out[o + j] += leaves[li + j];
  }
}

function walkWide(
  thresholds: Float64Array, ints: Int32Array, leaves: Float64Array, width: number, root: number,
  block: Float64Array, n: number, cols: number, out: Float64Array, at: number, outWidth: number,
): void {
  for (let r = 0; r < n; r++) {
    const base = r * cols;
    let node = root;
    let f = ints[node * 4 + 2];
    while (f >= 0) {
      node = block[base + f] <= thresholds[node * 2] ? node + 1 : ints[node * 4 + 3];
      f = ints[node * 4 + 2];
    }
    const li = ints[node * 4 + 3] * width;
    const o = at + r * outWidth;
    for (let j = 0; j < width; j++) out[o + j] += leaves[li + j];
  }
}

/** walkWide for a block holding NaN: each split sends NaN where missing_go_to_left says. */
function walkWideNaN(
  thresholds: Float64Array, ints: Int32Array, missingLeft: Uint8Array, leaves: Float64Array, width: number, root: number,
  block: Float64Array, n: number, cols: number, out: Float64Array, at: number, outWidth: number,
): void {
  for (let r = 0; r < n; r++) {
    const base = r * cols;
    let node = root;
    let f = ints[node * 4 + 2];
    while (f >= 0) {
      const v = block[base + f];
      const left = v !== v ? missingLeft[node] === 1 : v <= thresholds[node * 2];
      node = left ? node + 1 : ints[node * 4 + 3];
      f = ints[node * 4 + 2];
    }
    const li = ints[node * 4 + 3] * width;
    const o = at + r * outWidth;
    for (let j = 0; j < width; j++) out[o + j] += leaves[li + j];
  }
}

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
/** The step layout's block has a column per feature bit pattern: at most this many. */
const MAX_STEP_FEATURE_BITS = 10;
/** Distinct thresholds per feature that a uint8 bin can tell apart (bins 0..255). */
const MAX_BIN_EDGES = 255;
/** A tree takes the leaf-set layout when its leaves fit the bits of an int32. */
const MAX_SET_LEAVES = 32;
/** The leaf-set tables of a forest take at most this many bytes; a forest needing more is walked. */
const MAX_SET_BYTES = 8 << 20;
/** The leaf-set layout's buffers are kept between calls up to this size. */
const MAX_KEPT_SCRATCH_BYTES = 256 << 10;
/** Rows per block in the leaf-set layout: the block's bins, leaf sets and outputs stay in L1 while each tree passes over them. */
const SET_BLOCK_ROWS = 256;

/**
 * Decision trees laid out once for batch prediction: each tree's nodes renumbered depth-first so
 * that a split's left child is the next node. Rows are predicted a block at a time through all
 * trees in order, so each output cell receives the trees' values in the same order, with the same
 * float64 additions, as scikit-learn's tree-by-tree loops.
 *
 * Blocks without NaN take the step layout (`Steps`): six rows (four on bins) walk a tree together, each step
 * branch-free, until all are at their leaves. A split's outcome is data, and a mispredicted
 * branch costs more than the arithmetic; independent walks also overlap their memory waits.
 * Rows are compared as float32 (thresholds rounded down to float32: for a float32 x, x <= t
 * exactly when x <= the largest float32 <= t), or, for float64 precision, as bin numbers: each
 * value becomes the count of the forest's distinct thresholds on its feature that are below it,
 * so `x <= t` is `bin <= rank of t`, exactly, on one byte per value.
 * Blocks holding NaN (trees that route it), and forests the step layout cannot hold, take the
 * wide layout (`Wide`): a float64 threshold, feature and right child per node.
 *
 * Forests of small trees (at most 32 leaves each: GradientBoosting's depth 3, HistGradientBoosting's
 * 31 leaves, shallow random forests) whose features bin take the leaf-set layout (`LeafSets`)
 * instead of the step layout: a row's leaf comes from one table entry per feature the tree splits
 * on, without walking.
 */
export class FlatForest {
  private readonly roots: Int32Array;
  /** Output column offset of each tree's values (a boosting iteration's class). */
  private readonly columns: Int32Array;
  /** `width` values per leaf, leaves numbered tree by tree, left to right. */
  private readonly leaves: Float64Array;
  private readonly width: number;
  private readonly precision: SplitPrecision;
  private readonly maxFeature: number;
  private readonly acceptsNaN: boolean;
  private readonly sets: LeafSets | null;
  private readonly steps: Steps | null;
  /** Set when the trees route NaN or neither the leaf-set nor the step layout can hold them. */
  private readonly wide: Wide | null;
  /** Whether the trees and a block of rows fit in cache together (all trees walk each block). */
  private readonly small: boolean;
  /** Whether every tree adds at the same output column. */
  private readonly oneColumn: boolean;
  private scratch: SetScratch | null = null;
  private stepScratch: Float32Array | Uint8Array | null = null;

  /**
   * Tree t's `width` leaf values are added at output column `columns[t]` (0 when omitted).
   * `leafSets: false` keeps the walking layouts (bench/forest-predict.ts compares the two).
   */
  constructor(trees: readonly TreeSource[], width: number, precision: SplitPrecision, columns?: readonly number[], options: { leafSets?: boolean } = {}) {
    this.width = width;
    this.precision = precision;
    this.columns = Int32Array.from(columns ?? trees.map(() => 0));
    this.oneColumn = this.columns.every((c) => c === this.columns[0]);
    this.acceptsNaN = trees.length > 0 && trees.every((t) => t.missingLeft !== null);
    const nodes = layOut(trees, width, this.acceptsNaN);
    this.roots = nodes.roots;
    this.leaves = nodes.leaves;
    this.maxFeature = nodes.maxFeature;
    this.sets = options.leafSets === false ? null : LeafSets.build(nodes);
    this.steps = this.sets ? null : Steps.build(nodes, precision);
    this.wide = (this.sets === null && this.steps === null) || this.acceptsNaN ? new Wide(nodes) : null;
    const nodeBytes = this.steps ? this.steps.bytesPerNode : 16;
    this.small = nodes.feature.length * nodeBytes + this.leaves.byteLength <= SMALL_FOREST_BYTES;
  }

  /** Which layout NaN-free blocks take (for tests and benchmarks). */
  get layout(): 'leaf-sets' | 'steps' | 'wide' {
    return this.sets ? 'leaf-sets' : this.steps ? 'steps' : 'wide';
  }

  /**
   * Adds every tree's leaf values to `out` (rows x outWidth, row-major), whose initial values
   * (zeros, or a baseline) the caller sets.
   */
  addTo(x: Matrix, out: Float64Array, outWidth: number): void {
    if (this.maxFeature >= x.cols) {
      throw new MlflowError(`The trees split on feature ${this.maxFeature} but X has ${x.cols} features`, 'INVALID_PARAMETER_VALUE');
    }
    if (this.sets) {
      this.addBySets(this.sets, x, out, outWidth);
      return;
    }
    const cols = x.cols;
    const { steps } = this;
    const rowBytes = Math.max(steps ? steps.blockRowBytes : 0, this.wide ? cols * 8 : 0);
    const blockRows = Math.max(4, Math.min(x.rows, this.small ? SMALL_BLOCK_ROWS : Math.floor(LARGE_BLOCK_BYTES / rowBytes)));
    const { roots, columns, leaves, width } = this;
    const stepBlock = steps ? this.stepBlock(steps, blockRows) : undefined;
    let wideBlock: Float64Array | null = null;
    // made only when a block needs it: a block holding NaN, or no step layout
    const wideBlockFor = (): Float64Array => (wideBlock ??= new Float64Array(blockRows * cols));
    for (let r0 = 0; r0 < x.rows; r0 += blockRows) {
      const n = Math.min(blockRows, x.rows - r0);
      const hasNaN = steps && stepBlock
        ? steps.fill(x.data, r0, n, cols, stepBlock)
        : copyBlock64(x.data, r0 * cols, n * cols, wideBlockFor(), this.precision === 'float32');
      if (hasNaN && !this.acceptsNaN) throw nanError();
      if (steps && stepBlock && !hasNaN) {
        for (let t = 0; t < roots.length; t++) steps.walk(roots[t], stepBlock, n, leaves, width, out, r0 * outWidth + columns[t], outWidth);
        continue;
      }
      const wide = this.wide!;
      if (steps) copyBlock64(x.data, r0 * cols, n * cols, wideBlockFor(), this.precision === 'float32');
      for (let t = 0; t < roots.length; t++) {
        const at = r0 * outWidth + columns[t];
        if (hasNaN) walkWideNaN(wide.thresholds, wide.ints, wide.missingLeft!, leaves, width, roots[t], wideBlock!, n, cols, out, at, outWidth);
        else walkWide(wide.thresholds, wide.ints, leaves, width, roots[t], wideBlock!, n, cols, out, at, outWidth);
      }
    }
  }

  /**
   * addTo in the leaf-set layout: per block, every tree's leaf for every row, then each row's
   * leaf values added up tree after tree. A block holding NaN is walked in the wide layout.
   */
  private addBySets(sets: LeafSets, x: Matrix, out: Float64Array, outWidth: number): void {
    const cols = x.cols;
    const trees = this.roots.length;
    const blockRows = Math.min(x.rows, SET_BLOCK_ROWS);
    const { roots, columns, leaves, width, wide } = this;
    const { bins, leafSet, leafIds } = this.setScratch(blockRows, sets.used.length, trees);
    let wideBlock: Float64Array | null = null;
    for (let r0 = 0; r0 < x.rows; r0 += blockRows) {
      const n = Math.min(blockRows, x.rows - r0);
      if (!hasNaN(x.data, r0 * cols, n * cols)) {
        sets.fill(x.data, r0, n, cols, this.precision === 'float32', bins, blockRows);
        for (let t = 0; t < trees; t++) sets.leaves(t, bins, blockRows, n, leafSet, leafIds, trees);
        const at = r0 * outWidth;
        if (this.oneColumn && width <= 3) addRows(leafIds, trees, n, leaves, width, out, at + (columns[0] ?? 0), outWidth);
        else addRowsAtColumns(leafIds, trees, n, leaves, width, columns, out, at, outWidth);
        continue;
      }
      if (!this.acceptsNaN) throw nanError();
      wideBlock ??= new Float64Array(blockRows * cols);
      copyBlock64(x.data, r0 * cols, n * cols, wideBlock, this.precision === 'float32');
      for (let t = 0; t < trees; t++) {
        walkWideNaN(wide!.thresholds, wide!.ints, wide!.missingLeft!, leaves, width, roots[t], wideBlock, n, cols, out, r0 * outWidth + columns[t], outWidth);
      }
    }
  }

  /**
   * The step layout's block for `rows` rows, kept between calls (at most LARGE_BLOCK_BYTES): a
   * batch's block is megabytes that a fresh allocation would have the system map and fault in
   * again on every call. addTo is synchronous: no two calls share it at once.
   */
  private stepBlock(steps: Steps, rows: number): Float32Array | Uint8Array {
    const kept = this.stepScratch;
    if (kept && kept.length >= rows * (steps.mask + 1)) return kept;
    const made = steps.newBlock(rows);
    if (made.byteLength <= LARGE_BLOCK_BYTES) this.stepScratch = made;
    return made;
  }

  /**
   * The leaf-set layout's block buffers: kept between calls when small (three typed arrays cost
   * more than a 1-row request's trees), else made for the call. addTo is synchronous: no two
   * calls share them at once.
   */
  private setScratch(blockRows: number, used: number, trees: number): SetScratch {
    const s = this.scratch;
    if (s && s.rows >= blockRows) return s;
    const made = { rows: blockRows, bins: new Uint8Array(blockRows * used), leafSet: new Int32Array(blockRows), leafIds: new Int32Array(blockRows * trees) };
    if (made.leafIds.byteLength <= MAX_KEPT_SCRATCH_BYTES) this.scratch = made;
    return made;
  }
}

function nanError(): MlflowError {
  return new MlflowError('Input X contains NaN; this tree model does not accept missing values', 'INVALID_PARAMETER_VALUE');
}

/** Every tree's nodes in preorder, one record per node in parallel arrays (ids are positions). */
interface Nodes {
  roots: Int32Array;
  /** The split's feature; -1 at a leaf. */
  feature: Int32Array;
  threshold: Float64Array;
  /** A split's right child id; a leaf's number in `leaves`. */
  next: Int32Array;
  /** 1 where NaN goes left; null when the trees refuse NaN. */
  missingLeft: Uint8Array | null;
  leaves: Float64Array;
  maxFeature: number;
  maxRightDistance: number;
}

function layOut(trees: readonly TreeSource[], width: number, acceptsNaN: boolean): Nodes {
  const order = trees.map((t, ti) => preorder(t, ti));
  let leafCount = 0;
  let size = 0;
  let maxFeature = -1;
  let maxRightDistance = 0;
  for (const o of order) {
    leafCount += o.leaves;
    size += o.nodes.length;
    maxFeature = Math.max(maxFeature, o.maxFeature);
    maxRightDistance = Math.max(maxRightDistance, o.maxRightDistance);
  }
  const n: Nodes = {
    roots: new Int32Array(trees.length),
    feature: new Int32Array(size),
    threshold: new Float64Array(size),
    next: new Int32Array(size),
    missingLeft: acceptsNaN ? new Uint8Array(size) : null,
    leaves: new Float64Array(leafCount * width),
    maxFeature,
    maxRightDistance,
  };
  let id = 0;
  let leaf = 0;
  order.forEach((o, ti) => {
    const t = trees[ti];
    const root = id;
    n.roots[ti] = root;
    for (let k = 0; k < o.nodes.length; k++, id++) {
      const node = o.nodes[k];
      if (t.isLeaf(node)) {
        t.leafValues(node, n.leaves, leaf * width);
        n.feature[id] = -1;
        n.next[id] = leaf++;
        continue;
      }
      n.feature[id] = t.feature[node];
      n.threshold[id] = t.threshold[node];
      n.next[id] = root + o.rightOf[k];
      if (n.missingLeft) n.missingLeft[id] = t.missingLeft![node] !== 0 ? 1 : 0;
    }
  });
  return n;
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

/**
 * The step layout (see FlatForest): per node one int32 word, the feature in the low `featureBits`
 * bits, then (binned) the threshold's rank in 8 bits, then the distance to the right child. A
 * leaf is a split on the sentinel column `mask` (all feature bits set) whose right child is
 * itself: the block holds +Infinity (or bin 255) there and the leaf's threshold is 0 (rank 0),
 * so a row at its leaf "goes right" by 0 and stays. Blocks are `mask + 1` columns wide.
 */
class Steps {
  readonly words: Int32Array;
  /** float32 precision: each node's threshold (0 at a leaf); null when binned. */
  readonly thresholds: Float32Array | null;
  /** Binned: per feature, its distinct thresholds sorted, padded to 255 with +Infinity. */
  readonly edges: Float64Array | null;
  /** Each node's leaf number (leaves only). */
  readonly leafOf: Int32Array;
  readonly mask: number;
  /** A node's word is words[id * wordAt + wordAt - 1] (its threshold, float32, just before). */
  private readonly wordAt: number;
  /** Where the right-child distance starts in a word. */
  readonly shift: number;
  readonly bytesPerNode: number;
  readonly blockRowBytes: number;
  private readonly usedFeatures: number;

  private constructor(nodes: Nodes, featureBits: number, edges: Float64Array | null) {
    const size = nodes.feature.length;
    this.mask = (1 << featureBits) - 1;
    this.edges = edges;
    this.shift = featureBits + (edges ? 8 : 0);
    this.usedFeatures = nodes.maxFeature + 1;
    // float32: [threshold, word] side by side, so that a step reads one cache line
    const buf = new ArrayBuffer(size * (edges ? 4 : 8));
    this.words = new Int32Array(buf);
    this.thresholds = edges ? null : new Float32Array(buf);
    this.wordAt = edges ? 1 : 2;
    this.leafOf = new Int32Array(size);
    this.bytesPerNode = edges ? 8 : 12;
    this.blockRowBytes = (this.mask + 1) * (edges ? 1 : 4);
    for (let id = 0; id < size; id++) {
      const f = nodes.feature[id];
      const at = id * this.wordAt + this.wordAt - 1;
      if (f < 0) {
        this.words[at] = this.mask;
        this.leafOf[id] = nodes.next[id];
        continue;
      }
      const distance = (nodes.next[id] - id) << this.shift;
      if (edges) {
        const rank = lowerBound(edges, f * MAX_BIN_EDGES, nodes.threshold[id]);
        this.words[at] = f | (rank << featureBits) | distance;
      } else {
        this.thresholds![at - 1] = floorFloat32(nodes.threshold[id]);
        this.words[at] = f | distance;
      }
    }
  }

  /** The step layout for these nodes, or null when it cannot hold them. */
  static build(nodes: Nodes, precision: SplitPrecision): Steps | null {
    const featureBits = 32 - Math.clz32(nodes.maxFeature + 1);
    if (featureBits > MAX_STEP_FEATURE_BITS) return null;
    const edges = precision === 'float64' ? binEdges(nodes) : null;
    if (precision === 'float64' && edges === null) return null;
    const distanceBits = 31 - featureBits - (edges ? 8 : 0);
    if (nodes.maxRightDistance >= 2 ** distanceBits) return null;
    return new Steps(nodes, featureBits, edges);
  }

  newBlock(rows: number): Float32Array | Uint8Array {
    return this.edges ? new Uint8Array(rows * (this.mask + 1)) : new Float32Array(rows * (this.mask + 1));
  }

  /** Writes rows [r0, r0 + n) of x into the block (as float32, or as bins); true if X holds a NaN there. */
  fill(x: Float64Array, r0: number, n: number, cols: number, block: Float32Array | Uint8Array): boolean {
    const stride = this.mask + 1;
    const nan = hasNaN(x, r0 * cols, n * cols);
    if (nan) return true;
    if (block instanceof Uint8Array) {
      for (let f = 0; f < this.usedFeatures; f++) binColumn(x, r0 * cols + f, n, cols, this.edges!, f * MAX_BIN_EDGES, block, f, stride, false);
      for (let r = 0; r < n; r++) block[r * stride + this.mask] = 255;
    } else {
      copyColumns32(x, r0 * cols, n, cols, this.usedFeatures, block, stride);
      for (let r = 0; r < n; r++) block[r * stride + this.mask] = Infinity;
    }
    return false;
  }

  walk(root: number, block: Float32Array | Uint8Array, n: number, leaves: Float64Array, width: number, out: Float64Array, at: number, outWidth: number): void {
    if (block instanceof Uint8Array) walkBins(this.words, this.leafOf, this.mask, this.shift, leaves, width, root, block, n, out, at, outWidth);
    else walkFloat32(this.words, this.thresholds!, this.leafOf, this.mask, this.shift, leaves, width, root, block, n, out, at, outWidth);
  }
}

/**
 * The leaf-set layout (see FlatForest; QuickScorer's idea, Lucchese et al., SIGIR 2015, on bins):
 * a tree's leaves, left to right, are the bits of an int32 from the highest down. A split that
 * sends a row right rules out the leaves of its left subtree, and the row's leaf is the leftmost
 * one no split rules out. Per tree and feature it splits on, a table by bin number holds the AND
 * of what that feature's splits rule out for a value in that bin; a row's leaf is then clz32 of
 * the AND of one entry per feature the tree uses. Bins are as in the step layout (a value's count
 * of the feature's distinct thresholds below it), computed from the value rounded to float32 for
 * float32 precision: `x <= t` is `bin <= rank of t` either way.
 */
class LeafSets {
  /** Features some tree splits on, in bin-block column order. */
  readonly used: Int32Array;
  /** Tree t's (feature, table) pairs are [pairStart[t], pairStart[t + 1]). */
  private readonly pairStart: Int32Array;
  /** Each pair's bin-block column. */
  private readonly pairColumn: Int32Array;
  /** Where each pair's table starts in `tables`. */
  private readonly pairTable: Int32Array;
  /** One int32 leaf set per bin number, per pair. */
  private readonly tables: Int32Array;
  /** Each tree's first leaf number. */
  private readonly leafStart: Int32Array;
  /** Per feature, its distinct thresholds sorted, padded to 255 with +Infinity. */
  private readonly edges: Float64Array;

  private constructor(nodes: Nodes, edges: Float64Array, plan: SetPlan) {
    this.edges = edges;
    this.used = plan.used;
    this.pairStart = plan.pairStart;
    this.pairColumn = plan.pairColumn;
    this.pairTable = plan.pairTable;
    this.leafStart = plan.leafStart;
    const tables = new Int32Array(plan.tableSize).fill(-1);
    const { roots, feature, threshold, next } = nodes;
    const columnOf = new Int32Array(nodes.maxFeature + 1);
    plan.used.forEach((f, c) => { columnOf[f] = c; });
    // per node id, how many of its tree's leaves come before it (its leaf number, at a leaf)
    const leavesBefore = new Int32Array(feature.length);
    for (let t = 0; t < roots.length; t++) {
      const end = t + 1 < roots.length ? roots[t + 1] : feature.length;
      let count = 0;
      for (let id = roots[t]; id < end; id++) {
        leavesBefore[id] = count;
        if (feature[id] < 0) count++;
      }
      for (let id = roots[t]; id < end; id++) {
        const f = feature[id];
        if (f < 0) continue;
        // the left subtree is ids id+1 .. next[id]-1 (next: the right child), its leaves a..b-1, bits 31-a down to 32-b
        const a = leavesBefore[id];
        const b = leavesBefore[next[id]];
        const ruledOut = ~(((2 ** (b - a) - 1) * 2 ** (32 - b)) | 0);
        let p = plan.pairStart[t];
        while (plan.pairColumn[p] !== columnOf[f]) p++;
        const table = plan.pairTable[p];
        const size = binCount(edges, f) + 1;
        // a value in bin b goes right at this split exactly when b > the threshold's rank
        for (let bin = lowerBound(edges, f * MAX_BIN_EDGES, threshold[id]) + 1; bin < size; bin++) tables[table + bin] &= ruledOut;
      }
    }
    this.tables = tables;
  }

  /** The leaf-set layout for these nodes, or null when a tree has more than 32 leaves, a feature does not bin, or the tables would be too large. */
  static build(nodes: Nodes): LeafSets | null {
    const { roots, feature } = nodes;
    const size = feature.length;
    const edges = binEdges(nodes);
    if (edges === null) return null;
    const leafStart = new Int32Array(roots.length);
    const pairStart = new Int32Array(roots.length + 1);
    const pairColumns: number[] = [];
    const columnOf = new Int32Array(nodes.maxFeature + 1).fill(-1);
    const used: number[] = [];
    let leaves = 0;
    let tableSize = 0;
    let walkSteps = 0;
    const seen = new Int32Array(nodes.maxFeature + 1).fill(-1);
    for (let t = 0; t < roots.length; t++) {
      const end = t + 1 < roots.length ? roots[t + 1] : size;
      leafStart[t] = leaves;
      pairStart[t] = pairColumns.length;
      let treeLeaves = 0;
      for (let id = roots[t]; id < end; id++) {
        const f = feature[id];
        if (f < 0) {
          treeLeaves++;
          continue;
        }
        if (seen[f] === t) continue;
        seen[f] = t;
        if (columnOf[f] < 0) {
          columnOf[f] = used.length;
          used.push(f);
        }
        pairColumns.push(columnOf[f]);
        tableSize += binCount(edges, f) + 1;
      }
      if (treeLeaves > MAX_SET_LEAVES || tableSize * 4 > MAX_SET_BYTES) return null;
      leaves += treeLeaves;
      walkSteps += Math.ceil(Math.log2(Math.max(treeLeaves, 2))) + 1;
    }
    // A row costs one table entry per (tree, feature) pair here, against about a path's length of
    // steps when walking: trees that split on many features (HistGradientBoosting's 31 leaves over
    // 20 features) walk faster than they look up.
    if (pairColumns.length > walkSteps) return null;
    pairStart[roots.length] = pairColumns.length;
    const pairColumn = Int32Array.from(pairColumns);
    const pairTable = new Int32Array(pairColumn.length);
    for (let p = 0, at = 0; p < pairColumn.length; p++) {
      pairTable[p] = at;
      at += binCount(edges, used[pairColumn[p]]) + 1;
    }
    return new LeafSets(nodes, edges, { used: Int32Array.from(used), pairStart, pairColumn, pairTable, leafStart, tableSize });
  }

  /** Bins rows [r0, r0 + n) of x (NaN-free) into the block: column c (feature used[c]) at c * blockRows. */
  fill(x: Float64Array, r0: number, n: number, cols: number, f32: boolean, bins: Uint8Array, blockRows: number): void {
    const { used, edges } = this;
    for (let c = 0; c < used.length; c++) binColumn(x, r0 * cols + used[c], n, cols, edges, used[c] * MAX_BIN_EDGES, bins, c * blockRows, 1, f32);
  }

  /** Tree t's leaf for each of the block's n rows, into leafIds[r * trees + t]; `leafSet` is scratch. */
  leaves(t: number, bins: Uint8Array, blockRows: number, n: number, leafSet: Int32Array, leafIds: Int32Array, trees: number): void {
    const { pairColumn: col, pairTable: tab, tables } = this;
    const from = this.pairStart[t];
    const count = this.pairStart[t + 1] - from;
    const first = this.leafStart[t];
    // up to four pairs in one pass (the sets stay in registers); a tree on more features ANDs the rest into leafSet first
    let rest = 0;
    if (count > 4) {
      rest = count - 3;
      leafSetOf(tables, tab[from], bins, col[from] * blockRows, n, leafSet);
      for (let p = from + 1; p < from + rest; p++) andLeafSet(tables, tab[p], bins, col[p] * blockRows, n, leafSet);
    }
    const p = from + rest;
    const left = count - rest;
    leafIdsOf(
      tables, bins, n, rest > 0 ? leafSet : null, first, leafIds, t, trees,
      left > 0 ? tab[p] : -1, left > 0 ? col[p] * blockRows : 0,
      left > 1 ? tab[p + 1] : -1, left > 1 ? col[p + 1] * blockRows : 0,
      left > 2 ? tab[p + 2] : -1, left > 2 ? col[p + 2] * blockRows : 0,
      left > 3 ? tab[p + 3] : -1, left > 3 ? col[p + 3] * blockRows : 0,
    );
  }
}

interface SetScratch {
  rows: number;
  bins: Uint8Array;
  leafSet: Int32Array;
  leafIds: Int32Array;
}

interface SetPlan {
  used: Int32Array;
  pairStart: Int32Array;
  pairColumn: Int32Array;
  pairTable: Int32Array;
  leafStart: Int32Array;
  tableSize: number;
}

/** How many of feature f's edges are thresholds (not the +Infinity padding): bins run 0..that. */
function binCount(edges: Float64Array, f: number): number {
  const from = f * MAX_BIN_EDGES;
  let n = 0;
  while (n < MAX_BIN_EDGES && edges[from + n] < Infinity) n++;
  return n;
}

/**
 * Per feature, the distinct thresholds of its splits, sorted and padded to 255 with +Infinity;
 * null when a feature has more than 255 or a threshold is NaN (no bin number orders it).
 */
function binEdges(nodes: Nodes): Float64Array | null {
  const per: number[][] = Array.from({ length: nodes.maxFeature + 1 }, () => []);
  for (let id = 0; id < nodes.feature.length; id++) {
    const f = nodes.feature[id];
    if (f < 0) continue;
    const t = nodes.threshold[id];
    if (t !== t) return null;
    per[f].push(t);
  }
  const edges = new Float64Array(per.length * MAX_BIN_EDGES).fill(Infinity);
  for (let f = 0; f < per.length; f++) {
    // -0 and 0 are one threshold (x <= -0 is x <= 0)
    const sorted = per[f].sort((a, b) => a - b).filter((t, i, a) => i === 0 || t !== a[i - 1]);
    if (sorted.length > MAX_BIN_EDGES) return null;
    edges.set(sorted, f * MAX_BIN_EDGES);
  }
  return edges;
}

/** How many of edges[from .. from + 255) are below v (a binary search in 8 fixed steps). */
function lowerBound(edges: Float64Array, from: number, v: number): number {
  let p = 0;
  for (let step = 128; step >= 1; step >>= 1) if (edges[from + p + step - 1] < v) p += step;
  return p;
}

function hasNaN(x: Float64Array, from: number, n: number): boolean {
  let nan = false;
  for (let i = from; i < from + n; i++) if (x[i] !== x[i]) nan = true;
  return nan;
}

/**
 * One feature's values of n rows as bins, into block[at + r * stride] (rounded to float32 first
 * if asked): a column at a time, so its edges stay in L1.
 */
function binColumn(x: Float64Array, from: number, n: number, cols: number, edges: Float64Array, e: number, block: Uint8Array, at: number, stride: number, f32: boolean): void {
  for (let r = 0; r < n; r++) {
    const v = f32 ? Math.fround(x[from + r * cols]) : x[from + r * cols];
    let p = 0;
    p += +(edges[e + 127] < v) << 7;
    p += +(edges[e + p + 63] < v) << 6;
    p += +(edges[e + p + 31] < v) << 5;
    p += +(edges[e + p + 15] < v) << 4;
    p += +(edges[e + p + 7] < v) << 3;
    p += +(edges[e + p + 3] < v) << 2;
    p += +(edges[e + p + 1] < v) << 1;
    p += +(edges[e + p] < v);
    block[at + r * stride] = p;
  }
}

/** The first `used` columns of n rows, rounded to float32 (numpy's astype(float32)). */
function copyColumns32(x: Float64Array, from: number, n: number, cols: number, used: number, block: Float32Array, stride: number): void {
  for (let r = 0; r < n; r++) {
    const s = from + r * cols;
    const d = r * stride;
    for (let j = 0; j < used; j++) block[d + j] = x[s + j];
  }
}

/** The 16-byte layout (see FlatForest): int32 slots [threshold, threshold, feature, right]. */
class Wide {
  readonly thresholds: Float64Array;
  readonly ints: Int32Array;
  /** Per node, 1 where NaN goes left; null when the trees refuse NaN. */
  readonly missingLeft: Uint8Array | null;

  constructor(nodes: Nodes) {
    const size = nodes.feature.length;
    const buf = new ArrayBuffer(size * 16);
    this.thresholds = new Float64Array(buf);
    this.ints = new Int32Array(buf);
    this.missingLeft = nodes.missingLeft;
    for (let id = 0; id < size; id++) {
      this.thresholds[id * 2] = nodes.threshold[id];
      this.ints[id * 4 + 2] = nodes.feature[id];
      this.ints[id * 4 + 3] = nodes.next[id];
    }
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

// The leaf-set layout's hot loops: one pass over the block's rows per (tree, feature) pair, then
// one per row over the trees.

function leafSetOf(tables: Int32Array, table: number, bins: Uint8Array, col: number, n: number, leafSet: Int32Array): void {
  for (let r = 0; r < n; r++) leafSet[r] = tables[table + bins[col + r]];
}

function andLeafSet(tables: Int32Array, table: number, bins: Uint8Array, col: number, n: number, leafSet: Int32Array): void {
  for (let r = 0; r < n; r++) leafSet[r] &= tables[table + bins[col + r]];
}

/**
 * Tree t's leaf for each row, the leftmost of its set, into leafIds[r * trees + t]: the set is
 * `leafSet` (if given) ANDed with up to four tables' entries for the row's bins (table -1: none).
 */
function leafIdsOf(
  tables: Int32Array, bins: Uint8Array, n: number, leafSet: Int32Array | null, first: number, leafIds: Int32Array, t: number, trees: number,
  t0: number, c0: number, t1: number, c1: number, t2: number, c2: number, t3: number, c3: number,
): void {
  if (leafSet !== null) {
    for (let r = 0; r < n; r++) {
      leafIds[r * trees + t] = first + Math.clz32(leafSet[r] & tables[t0 + bins[c0 + r]] & tables[t1 + bins[c1 + r]] & tables[t2 + bins[c2 + r]]);
    }
  } else if (t0 < 0) {
    for (let r = 0; r < n; r++) leafIds[r * trees + t] = first;
  } else if (t1 < 0) {
    for (let r = 0; r < n; r++) leafIds[r * trees + t] = first + Math.clz32(tables[t0 + bins[c0 + r]]);
  } else if (t2 < 0) {
    for (let r = 0; r < n; r++) leafIds[r * trees + t] = first + Math.clz32(tables[t0 + bins[c0 + r]] & tables[t1 + bins[c1 + r]]);
  } else if (t3 < 0) {
    for (let r = 0; r < n; r++) {
      leafIds[r * trees + t] = first + Math.clz32(tables[t0 + bins[c0 + r]] & tables[t1 + bins[c1 + r]] & tables[t2 + bins[c2 + r]]);
    }
  } else {
    for (let r = 0; r < n; r++) {
      leafIds[r * trees + t] = first + Math.clz32(tables[t0 + bins[c0 + r]] & tables[t1 + bins[c1 + r]] & tables[t2 + bins[c2 + r]] & tables[t3 + bins[c3 + r]]);
    }
  }
}

/**
 * Each row's leaf values added tree after tree into out[at + r * outWidth ...], for `width` of
 * 1 to 3 at one column: the sums stay in registers (a store and reload per tree costs as much
 * as the rest), added in tree order as the tree-by-tree loops add them.
 */
function addRows(leafIds: Int32Array, trees: number, n: number, leaves: Float64Array, width: number, out: Float64Array, at: number, outWidth: number): void {
  for (let r = 0; r < n; r++) {
    const o = at + r * outWidth;
    const ids = r * trees;
    if (width === 1) {
      let a = out[o];
      for (let t = 0; t < trees; t++) a += leaves[leafIds[ids + t]];
      out[o] = a;
    } else if (width === 2) {
      let a = out[o];
      let b = out[o + 1];
      for (let t = 0; t < trees; t++) {
        const l = leafIds[ids + t] * 2;
        a += leaves[l];
        b += leaves[l + 1];
      }
      out[o] = a;
      out[o + 1] = b;
    } else {
      let a = out[o];
      let b = out[o + 1];
      let c = out[o + 2];
      for (let t = 0; t < trees; t++) {
        const l = leafIds[ids + t] * 3;
        a += leaves[l];
        b += leaves[l + 1];
        c += leaves[l + 2];
      }
      out[o] = a;
      out[o + 1] = b;
      out[o + 2] = c;
    }
  }
}

/** addRows for any width, each tree at its own column. */
function addRowsAtColumns(
  leafIds: Int32Array, trees: number, n: number, leaves: Float64Array, width: number, columns: Int32Array, out: Float64Array, at: number, outWidth: number,
): void {
  for (let r = 0; r < n; r++) {
    const o = at + r * outWidth;
    for (let t = 0; t < trees; t++) addLeaf(leaves, width, leafIds[r * trees + t], out, o + columns[t]);
  }
}

// The walks below are the hot loops: plain functions of typed arrays, so V8 keeps them
// monomorphic. Each walks one tree over the n rows of a block and adds the reached leaf's
// values to out[at + r * outWidth + j].
// A step: node += 1 (left: the next node) or the right distance d, as (d - 1) & -(goRight),
// where goRight is !(x <= t): a NaN threshold sends every row right, as scikit-learn's test.

function walkFloat32(
  words: Int32Array, thr: Float32Array, leafOf: Int32Array, mask: number, shift: number, leaves: Float64Array, width: number,
  root: number, block: Float32Array, n: number, out: Float64Array, at: number, outWidth: number,
): void {
  const stride = mask + 1;
  let r = 0;
  // six rows at a time: their walks' memory waits overlap (four left the core waiting on the
  // tree's nodes; eight wait longer for their deepest row)
  for (; r + 6 <= n; r += 6) {
    const b0 = r * stride;
    const b1 = b0 + stride;
    const b2 = b1 + stride;
    const b3 = b2 + stride;
    const b4 = b3 + stride;
    const b5 = b4 + stride;
    let n0 = root;
    let n1 = root;
    let n2 = root;
    let n3 = root;
    let n4 = root;
    let n5 = root;
    let w0 = words[root * 2 + 1];
    let w1 = w0;
    let w2 = w0;
    let w3 = w0;
    let w4 = w0;
    let w5 = w0;
    // the feature bits are all set, for all six, only once all six are at their leaves
    while ((w0 & w1 & w2 & w3 & w4 & w5 & mask) !== mask) {
      n0 += 1 + (((w0 >> shift) - 1) & -+!(block[b0 + (w0 & mask)] <= thr[n0 * 2]));
      n1 += 1 + (((w1 >> shift) - 1) & -+!(block[b1 + (w1 & mask)] <= thr[n1 * 2]));
      n2 += 1 + (((w2 >> shift) - 1) & -+!(block[b2 + (w2 & mask)] <= thr[n2 * 2]));
      n3 += 1 + (((w3 >> shift) - 1) & -+!(block[b3 + (w3 & mask)] <= thr[n3 * 2]));
      n4 += 1 + (((w4 >> shift) - 1) & -+!(block[b4 + (w4 & mask)] <= thr[n4 * 2]));
      n5 += 1 + (((w5 >> shift) - 1) & -+!(block[b5 + (w5 & mask)] <= thr[n5 * 2]));
      w0 = words[n0 * 2 + 1];
      w1 = words[n1 * 2 + 1];
      w2 = words[n2 * 2 + 1];
      w3 = words[n3 * 2 + 1];
      w4 = words[n4 * 2 + 1];
      w5 = words[n5 * 2 + 1];
    }
    addLeaf(leaves, width, leafOf[n0], out, at + r * outWidth);
    addLeaf(leaves, width, leafOf[n1], out, at + (r + 1) * outWidth);
    addLeaf(leaves, width, leafOf[n2], out, at + (r + 2) * outWidth);
    addLeaf(leaves, width, leafOf[n3], out, at + (r + 3) * outWidth);
    addLeaf(leaves, width, leafOf[n4], out, at + (r + 4) * outWidth);
    addLeaf(leaves, width, leafOf[n5], out, at + (r + 5) * outWidth);
  }
  for (; r < n; r++) {
    const b = r * stride;
    let node = root;
    let w = words[node * 2 + 1];
    while ((w & mask) !== mask) {
      node += 1 + (((w >> shift) - 1) & -+!(block[b + (w & mask)] <= thr[node * 2]));
      w = words[node * 2 + 1];
    }
    addLeaf(leaves, width, leafOf[node], out, at + r * outWidth);
  }
}

/** walkFloat32 on bins: the threshold's rank sits in the word, above the feature. */
function walkBins(
  words: Int32Array, leafOf: Int32Array, mask: number, shift: number, leaves: Float64Array, width: number,
  root: number, block: Uint8Array, n: number, out: Float64Array, at: number, outWidth: number,
): void {
  const stride = mask + 1;
  const rankShift = shift - 8;
  let r = 0;
  for (; r + 4 <= n; r += 4) {
    const b0 = r * stride;
    const b1 = b0 + stride;
    const b2 = b1 + stride;
    const b3 = b2 + stride;
    let n0 = root;
    let n1 = root;
    let n2 = root;
    let n3 = root;
    let w0 = words[root];
    let w1 = w0;
    let w2 = w0;
    let w3 = w0;
    while ((w0 & w1 & w2 & w3 & mask) !== mask) {
      n0 += 1 + (((w0 >> shift) - 1) & -+(block[b0 + (w0 & mask)] > ((w0 >> rankShift) & 255)));
      n1 += 1 + (((w1 >> shift) - 1) & -+(block[b1 + (w1 & mask)] > ((w1 >> rankShift) & 255)));
      n2 += 1 + (((w2 >> shift) - 1) & -+(block[b2 + (w2 & mask)] > ((w2 >> rankShift) & 255)));
      n3 += 1 + (((w3 >> shift) - 1) & -+(block[b3 + (w3 & mask)] > ((w3 >> rankShift) & 255)));
      w0 = words[n0];
      w1 = words[n1];
      w2 = words[n2];
      w3 = words[n3];
    }
    addLeaf(leaves, width, leafOf[n0], out, at + r * outWidth);
    addLeaf(leaves, width, leafOf[n1], out, at + (r + 1) * outWidth);
    addLeaf(leaves, width, leafOf[n2], out, at + (r + 2) * outWidth);
    addLeaf(leaves, width, leafOf[n3], out, at + (r + 3) * outWidth);
  }
  for (; r < n; r++) {
    const b = r * stride;
    let node = root;
    let w = words[node];
    while ((w & mask) !== mask) {
      node += 1 + (((w >> shift) - 1) & -+(block[b + (w & mask)] > ((w >> rankShift) & 255)));
      w = words[node];
    }
    addLeaf(leaves, width, leafOf[node], out, at + r * outWidth);
  }
}

function addLeaf(leaves: Float64Array, width: number, leaf: number, out: Float64Array, o: number): void {
  const li = leaf * width;
  for (let j = 0; j < width; j++) out[o + j] += leaves[li + j];
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
    addLeaf(leaves, width, ints[node * 4 + 3], out, at + r * outWidth);
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
    addLeaf(leaves, width, ints[node * 4 + 3], out, at + r * outWidth);
  }
}

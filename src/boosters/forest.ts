import { MlflowError } from '../errors.js';
import { CompactTrees } from './compact-trees.js';

/**
 * One decision tree in a library-neutral form, read once by `Forest` to lay it out flat.
 * At a split, a row goes to `left` when the test holds: `x <= threshold` for a numeric split,
 * "x is one of `categories`" for a categorical one. Readers translate their library's rule to
 * this one (XGBoost's `x < t` on float32 becomes `x <= nextDown32(t)`; its categorical splits,
 * which send the listed categories right, swap their children).
 */
export interface TreeSource {
  /** Number of node ids; the root is node 0. */
  readonly size: number;
  isLeaf(node: number): boolean;
  left(node: number): number;
  right(node: number): number;
  feature(node: number): number;
  threshold(node: number): number;
  /** Where NaN goes at this split. */
  nanLeft(node: number): boolean;
  /** LightGBM's zero-as-missing splits: |x| <= 1e-35 goes where `zeroLeft` says. */
  zeroMissing?(node: number): boolean;
  zeroLeft?(node: number): boolean;
  /** The categories sent left (as a bitset, bit c of word c >> 5), or null for a numeric split. */
  categories?(node: number): Uint32Array | null;
  leafValue(node: number): number;
  /** The leaf's number as the library reports it (pred_leaf); the node id when omitted. */
  leafId?(node: number): number;
}

/** How a categorical value becomes a category: XGBoost refuses any negative value, LightGBM truncates first. */
export type CategoryRule = 'xgboost' | 'lightgbm';

/** How feature values are compared: rounded to float32 first (XGBoost's DMatrix) or as float64 (LightGBM). */
export type FeaturePrecision = 'float32' | 'float64';

const FLAG_NAN_LEFT = 1;
const FLAG_CATEGORICAL = 2;
const FLAG_ZERO_MISSING = 4;
const FLAG_ZERO_LEFT = 8;
/** LightGBM's kZeroThreshold (1e-35f). */
const ZERO_THRESHOLD = Math.fround(1e-35);
/** XGBoost's largest category (bst_cat_t is an int32 read from a float32: 2^24 is the limit of exact ints). */
const MAX_XGB_CATEGORY = 2 ** 24;

const ROWS_PER_BLOCK = 512;

/**
 * Trees laid out for batch prediction: each tree's reachable nodes renumbered in preorder so a
 * split's left child is the next record; per node a float64 threshold, an int32 feature (-1 for a
 * leaf) and an int32 right child (a leaf's index into `leafValues`), plus a flag byte. Rows are
 * walked a block at a time through the trees in order, so every output cell receives the trees'
 * values in tree order: the sums are the library's own (float32 ones when `out` is a
 * Float32Array, as XGBoost sums).
 */
export class Forest {
  readonly treeCount: number;
  /** The largest feature index used, -1 without splits. */
  readonly maxFeature: number;
  private readonly roots: Int32Array;
  private readonly thresholds: Float64Array;
  private readonly ints: Int32Array;
  private readonly flags: Uint8Array;
  /** Per tree: 1 when it has categorical or zero-as-missing splits (the slower walk). */
  private readonly general: Uint8Array;
  private readonly bitsets: Uint32Array;
  /** For categorical nodes: [offset, words] into bitsets. */
  private readonly catRef: Int32Array;
  readonly leafValues: Float64Array;
  /** Each leaf's number as the library reports it (pred_leaf). */
  readonly leafIds: Int32Array;
  private readonly precision: FeaturePrecision;
  private readonly categoryRule: CategoryRule;
  /** The 8-byte layout, when every split is numeric and compared on float32 values. */
  private readonly compact: CompactTrees | null;

  constructor(trees: readonly TreeSource[], precision: FeaturePrecision, categoryRule: CategoryRule) {
    this.treeCount = trees.length;
    this.precision = precision;
    this.categoryRule = categoryRule;
    const orders = trees.map((t, ti) => preorder(t, ti));
    const nodes = orders.reduce((n, o) => n + o.length, 0);
    this.roots = new Int32Array(trees.length);
    const buf = new ArrayBuffer(nodes * 16);
    this.thresholds = new Float64Array(buf);
    this.ints = new Int32Array(buf);
    this.flags = new Uint8Array(nodes);
    this.catRef = new Int32Array(nodes * 2);
    this.general = new Uint8Array(trees.length);
    const leafValues: number[] = [];
    const leafIds: number[] = [];
    const catSets: Uint32Array[] = [];
    let catWords = 0;
    let maxFeature = -1;
    let next = 0;
    orders.forEach((order, ti) => {
      const t = trees[ti];
      const root = next;
      this.roots[ti] = root;
      const pos = new Map<number, number>();
      order.forEach((node, k) => pos.set(node, root + k));
      for (let k = 0; k < order.length; k++) {
        const node = order[k];
        const id = root + k;
        if (t.isLeaf(node)) {
          this.ints[id * 4 + 2] = -1;
          this.ints[id * 4 + 3] = leafValues.length;
          leafValues.push(t.leafValue(node));
          leafIds.push(t.leafId ? t.leafId(node) : node);
          continue;
        }
        const f = t.feature(node);
        maxFeature = Math.max(maxFeature, f);
        this.ints[id * 4 + 2] = f;
        this.ints[id * 4 + 3] = pos.get(t.right(node))!;
        let flag = t.nanLeft(node) ? FLAG_NAN_LEFT : 0;
        if (t.zeroMissing?.(node)) flag |= FLAG_ZERO_MISSING | (t.zeroLeft!(node) ? FLAG_ZERO_LEFT : 0);
        const cats = t.categories?.(node) ?? null;
        if (cats) {
          flag |= FLAG_CATEGORICAL;
          this.catRef[id * 2] = catWords;
          this.catRef[id * 2 + 1] = cats.length;
          catSets.push(cats);
          catWords += cats.length;
        } else {
          this.thresholds[id * 2] = t.threshold(node);
        }
        this.flags[id] = flag;
        if (flag & (FLAG_CATEGORICAL | FLAG_ZERO_MISSING)) this.general[ti] = 1;
      }
      next += order.length;
    });
    this.maxFeature = maxFeature;
    this.leafValues = Float64Array.from(leafValues);
    this.leafIds = Int32Array.from(leafIds);
    this.compact = precision === 'float32' && this.general.every((g) => g === 0) ? this.buildCompact(nodes) : null;
    this.bitsets = new Uint32Array(catWords);
    let at = 0;
    for (const c of catSets) {
      this.bitsets.set(c, at);
      at += c.length;
    }
  }

  /**
   * Adds the values of trees [begin, end) to `out` (nRows x outWidth, row-major): tree t's leaf
   * value goes to column `columns[t]`. `x` is nRows x nCols, row-major, NaN for missing.
   */
  addTo(
    x: Float64Array, nRows: number, nCols: number, out: Float64Array | Float32Array, outWidth: number,
    columns: Int32Array, begin: number, end: number,
  ): void {
    this.checkWidth(nCols);
    if (this.compact && out instanceof Float32Array) {
      this.compact.addTo(x, nRows, nCols, out, outWidth, columns, begin, end);
      return;
    }
    const block = new Float64Array(Math.min(nRows, ROWS_PER_BLOCK) * nCols);
    const { roots, thresholds, ints, flags, leafValues, general } = this;
    for (let r0 = 0; r0 < nRows; r0 += ROWS_PER_BLOCK) {
      const n = Math.min(ROWS_PER_BLOCK, nRows - r0);
      const nan = this.copyBlock(x, r0 * nCols, n * nCols, block);
      for (let t = begin; t < end; t++) {
        const at = r0 * outWidth + columns[t];
        if (general[t] === 1) {
          for (let r = 0; r < n; r++) {
            out[at + r * outWidth] += leafValues[ints[this.walkGeneral(roots[t], block, r * nCols) * 4 + 3]];
          }
        } else {
          if (nan) walkNumeric(thresholds, ints, flags, leafValues, roots[t], block, n, nCols, out, at, outWidth);
          else walkNumeric4(thresholds, ints, leafValues, roots[t], block, n, nCols, out, at, outWidth);
        }
      }
    }
  }

  private buildCompact(nodes: number): CompactTrees | null {
    const { ints } = this;
    let maxRight = 0;
    for (let id = 0; id < nodes; id++) if (ints[id * 4 + 2] >= 0) maxRight = Math.max(maxRight, ints[id * 4 + 3] - id);
    const fit = CompactTrees.fits(this.maxFeature, maxRight);
    if (!fit) return null;
    const c = new CompactTrees(nodes, this.treeCount, fit.featureBits, this.maxFeature);
    c.roots.set(this.roots);
    for (let id = 0; id < nodes; id++) {
      const f = ints[id * 4 + 2];
      if (f < 0) c.setLeaf(id, this.leafValues[ints[id * 4 + 3]]);
      else c.setSplit(id, f, this.thresholds[id * 2], ints[id * 4 + 3], (this.flags[id] & FLAG_NAN_LEFT) !== 0);
    }
    c.finish();
    return c;
  }

  /** Per row, the library's node id of the leaf reached in each tree [begin, end) (pred_leaf). */
  leafIndices(x: Float64Array, nRows: number, nCols: number, begin: number, end: number): Float64Array {
    this.checkWidth(nCols);
    const width = end - begin;
    const out = new Float64Array(nRows * width);
    const block = new Float64Array(Math.min(nRows, ROWS_PER_BLOCK) * nCols);
    for (let r0 = 0; r0 < nRows; r0 += ROWS_PER_BLOCK) {
      const n = Math.min(ROWS_PER_BLOCK, nRows - r0);
      this.copyBlock(x, r0 * nCols, n * nCols, block);
      for (let t = begin; t < end; t++) {
        for (let r = 0; r < n; r++) {
          const leaf = this.walkGeneral(this.roots[t], block, r * nCols);
          out[(r0 + r) * width + (t - begin)] = this.leafIds[this.ints[leaf * 4 + 3]];
        }
      }
    }
    return out;
  }

  private checkWidth(nCols: number): void {
    if (this.maxFeature >= nCols) {
      throw new MlflowError(`The trees split on feature ${this.maxFeature} but the input has ${nCols} features`, 'INVALID_PARAMETER_VALUE');
    }
  }

  /** Copies n values (rounded to float32 if asked); true if one is NaN. */
  private copyBlock(x: Float64Array, from: number, n: number, block: Float64Array): boolean {
    let nan = false;
    if (this.precision === 'float32') {
      for (let i = 0; i < n; i++) {
        const v = Math.fround(x[from + i]);
        block[i] = v;
        if (v !== v) nan = true;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = x[from + i];
        block[i] = v;
        if (v !== v) nan = true;
      }
    }
    return nan;
  }

  /** The leaf's record id for one row, through every kind of split. */
  private walkGeneral(root: number, block: Float64Array, base: number): number {
    const { thresholds, ints, flags } = this;
    let node = root;
    let f = ints[node * 4 + 2];
    while (f >= 0) {
      const v = block[base + f];
      const flag = flags[node];
      let left: boolean;
      if (v !== v) left = (flag & FLAG_NAN_LEFT) !== 0;
      else if ((flag & FLAG_ZERO_MISSING) !== 0 && v >= -ZERO_THRESHOLD && v <= ZERO_THRESHOLD) left = (flag & FLAG_ZERO_LEFT) !== 0;
      else if ((flag & FLAG_CATEGORICAL) !== 0) left = this.inCategories(node, v);
      else left = v <= thresholds[node * 2];
      node = left ? node + 1 : ints[node * 4 + 3];
      f = ints[node * 4 + 2];
    }
    return node;
  }

  private inCategories(node: number, v: number): boolean {
    let c: number;
    if (this.categoryRule === 'xgboost') {
      if (v < 0 || v >= MAX_XGB_CATEGORY) return false;
      c = Math.trunc(v);
    } else {
      c = Math.trunc(v);
      if (c < 0 || !Number.isFinite(c)) return false;
    }
    const word = c >>> 5;
    if (word >= this.catRef[node * 2 + 1]) return false;
    return ((this.bitsets[this.catRef[node * 2] + word] >>> (c & 31)) & 1) === 1;
  }
}

/** A tree's reachable nodes in preorder (left before right); refuses shared or out-of-range children. */
function preorder(t: TreeSource, ti: number): number[] {
  const order: number[] = [];
  const stack = [0];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (order.length >= t.size || !Number.isInteger(node) || node < 0 || node >= t.size) {
      throw new MlflowError(`tree ${ti} is not a tree: node ${node} is out of range or shared by two parents`, 'INVALID_PARAMETER_VALUE');
    }
    order.push(node);
    if (t.isLeaf(node)) continue;
    const f = t.feature(node);
    if (!Number.isInteger(f) || f < 0 || f >= 2 ** 30) {
      throw new MlflowError(`tree ${ti} node ${node} splits on feature ${f}`, 'INVALID_PARAMETER_VALUE');
    }
    // the right child is pushed first so that the left one comes next in preorder
    stack.push(t.right(node), t.left(node));
  }
  return order;
}

/**
 * The hot loop for trees of numeric splits: plain function of typed arrays so V8 keeps it
 * monomorphic. A NaN fails `v <= t`, so only NaN rows whose split sends NaN left take the flag test.
 */
function walkNumeric(
  thresholds: Float64Array, ints: Int32Array, flags: Uint8Array, leafValues: Float64Array, root: number,
  block: Float64Array, n: number, cols: number, out: Float64Array | Float32Array, at: number, outWidth: number,
): void {
  for (let r = 0; r < n; r++) {
    const base = r * cols;
    let node = root;
    let f = ints[node * 4 + 2];
    while (f >= 0) {
      const v = block[base + f];
      node = v <= thresholds[node * 2] || (v !== v && (flags[node] & FLAG_NAN_LEFT) !== 0) ? node + 1 : ints[node * 4 + 3];
      f = ints[node * 4 + 2];
    }
    out[at + r * outWidth] += leafValues[ints[node * 4 + 3]];
  }
}

/**
 * walkNumeric for a block without NaN: four rows walk the tree together (independent chains the
 * CPU overlaps), each step branch-free (a split's outcome is data; a mispredicted branch costs
 * more than the arithmetic). A row at its leaf (feature -1) stays there.
 */
function walkNumeric4(
  thresholds: Float64Array, ints: Int32Array, leafValues: Float64Array, root: number,
  block: Float64Array, n: number, cols: number, out: Float64Array | Float32Array, at: number, outWidth: number,
): void {
  let r = 0;
  for (; r + 4 <= n; r += 4) {
    const b0 = r * cols;
    const b1 = b0 + cols;
    const b2 = b1 + cols;
    const b3 = b2 + cols;
    let n0 = root;
    let n1 = root;
    let n2 = root;
    let n3 = root;
    let f0 = ints[root * 4 + 2];
    let f1 = f0;
    let f2 = f0;
    let f3 = f0;
    // a leaf's feature is -1: the AND stays negative only once every row is at its leaf
    while ((f0 & f1 & f2 & f3) >= 0) {
      if (f0 >= 0) {
        n0 += 1 + ((ints[n0 * 4 + 3] - n0 - 1) & -(+(block[b0 + f0] > thresholds[n0 * 2])));
        f0 = ints[n0 * 4 + 2];
      }
      if (f1 >= 0) {
        n1 += 1 + ((ints[n1 * 4 + 3] - n1 - 1) & -(+(block[b1 + f1] > thresholds[n1 * 2])));
        f1 = ints[n1 * 4 + 2];
      }
      if (f2 >= 0) {
        n2 += 1 + ((ints[n2 * 4 + 3] - n2 - 1) & -(+(block[b2 + f2] > thresholds[n2 * 2])));
        f2 = ints[n2 * 4 + 2];
      }
      if (f3 >= 0) {
        n3 += 1 + ((ints[n3 * 4 + 3] - n3 - 1) & -(+(block[b3 + f3] > thresholds[n3 * 2])));
        f3 = ints[n3 * 4 + 2];
      }
    }
    const o = at + r * outWidth;
    out[o] += leafValues[ints[n0 * 4 + 3]];
    out[o + outWidth] += leafValues[ints[n1 * 4 + 3]];
    out[o + 2 * outWidth] += leafValues[ints[n2 * 4 + 3]];
    out[o + 3 * outWidth] += leafValues[ints[n3 * 4 + 3]];
  }
  for (; r < n; r++) {
    const base = r * cols;
    let node = root;
    let f = ints[node * 4 + 2];
    while (f >= 0) {
      node += 1 + ((ints[node * 4 + 3] - node - 1) & -(+(block[base + f] > thresholds[node * 2])));
      f = ints[node * 4 + 2];
    }
    out[at + r * outWidth] += leafValues[ints[node * 4 + 3]];
  }
}

const F32 = new Float32Array(1);
const F32_BITS = new Int32Array(F32.buffer);

/** The largest float32 strictly below the float32 t: `x < t` on float32s is `x <= nextDown32(t)`. */
export function nextDown32(t: number): number {
  const f = Math.fround(t);
  if (f !== f || f === Infinity) return f === Infinity ? 3.4028234663852886e38 : f;
  // below -Infinity nothing is: NaN makes `x <= t` false for every x
  if (f === -Infinity) return NaN;
  F32[0] = f;
  if (f > 0) F32_BITS[0]--;
  else if (f === 0) F32_BITS[0] = 0x80000001 | 0;
  else F32_BITS[0]++;
  return F32[0];
}

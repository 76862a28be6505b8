/**
 * A forest of numeric splits compared on float32 values (XGBoost's), laid out in 8 bytes a node:
 * - thresholds: at a split the float32 threshold (x <= t goes left), at a leaf its value;
 * - words: feature in the low `featureBits` bits (all ones at a leaf), then one bit for "NaN goes
 *   left", then the distance to the right child (the left child is the next node).
 * Built by Forest when every split qualifies; Forest keeps the general layout for the rest.
 *
 * Blocks without NaN take a faster walk (`sumFixedDepth`): every tree is walked exactly its depth
 * in steps, four rows at a time, with no branch at all. For that, `stepWords` encode a leaf as a
 * split on a sentinel column that always holds +Infinity with a right child at distance 0, so a
 * row that reached its leaf stays there (+Infinity > the leaf's finite value: "go right", by 0).
 */
export class CompactTrees {
  readonly thresholds: Float32Array;
  readonly words: Int32Array;
  readonly featureBits: number;
  readonly roots: Int32Array;
  private readonly stepWords: Int32Array;
  /** Each tree's depth (steps from the root to its deepest leaf). */
  private readonly depths: Int32Array;
  /** The sentinel column (maxFeature + 1); blocks for the fixed-depth walk are this + 1 wide. */
  private readonly sentinel: number;
  private finiteLeaves = true;

  constructor(nodes: number, trees: number, featureBits: number, maxFeature: number) {
    this.thresholds = new Float32Array(nodes);
    this.words = new Int32Array(nodes);
    this.stepWords = new Int32Array(nodes);
    this.featureBits = featureBits;
    this.roots = new Int32Array(trees);
    this.depths = new Int32Array(trees);
    this.sentinel = maxFeature + 1;
  }

  /** Whether a forest with these features and right-child distances fits the 32-bit words (and the sentinel column). */
  static fits(maxFeature: number, maxRightDistance: number): { featureBits: number } | null {
    const featureBits = 32 - Math.clz32(maxFeature + 1);
    return featureBits + 1 + (32 - Math.clz32(maxRightDistance)) <= 31 ? { featureBits } : null;
  }

  setSplit(id: number, feature: number, threshold: number, right: number, nanLeft: boolean): void {
    this.thresholds[id] = threshold;
    const w = feature | ((nanLeft ? 1 : 0) << this.featureBits) | ((right - id) << (this.featureBits + 1));
    this.words[id] = w;
    this.stepWords[id] = w;
  }

  setLeaf(id: number, value: number): void {
    this.thresholds[id] = value;
    this.words[id] = (1 << this.featureBits) - 1;
    this.stepWords[id] = this.sentinel;
    if (!Number.isFinite(Math.fround(value))) this.finiteLeaves = false;
  }

  /** Records each tree's depth; call once every node is set. */
  finish(): void {
    const mask = (1 << this.featureBits) - 1;
    const shift = this.featureBits + 1;
    for (let t = 0; t < this.roots.length; t++) {
      let deepest = 0;
      const stack = [this.roots[t], 0];
      while (stack.length > 0) {
        const d = stack.pop()!;
        const node = stack.pop()!;
        const w = this.words[node];
        if ((w & mask) === mask) deepest = Math.max(deepest, d);
        else stack.push(node + 1, d + 1, node + (w >> shift), d + 1);
      }
      this.depths[t] = deepest;
    }
  }

  /**
   * Adds trees [begin, end) to out (nRows x outWidth float32 sums, row-major), tree t to column
   * columns[t]; x is rounded to float32 a block at a time.
   */
  addTo(x: Float64Array, nRows: number, nCols: number, out: Float32Array, outWidth: number, columns: Int32Array, begin: number, end: number): void {
    const BLOCK = 256;
    const fixed = outWidth === 1 && this.finiteLeaves;
    const stride = fixed ? this.sentinel + 1 : nCols;
    const used = fixed ? this.sentinel : nCols;
    const block = new Float32Array(Math.min(nRows, BLOCK) * Math.max(stride, nCols));
    for (let r0 = 0; r0 < nRows; r0 += BLOCK) {
      const n = Math.min(BLOCK, nRows - r0);
      let nan = false;
      for (let r = 0; r < n; r++) {
        const from = (r0 + r) * nCols;
        const to = r * stride;
        for (let j = 0; j < used; j++) {
          const v = x[from + j];
          block[to + j] = v;
          if (v !== v) nan = true;
        }
        if (fixed) block[to + this.sentinel] = Infinity;
      }
      if (fixed && !nan) {
        sumFixedDepth(this.thresholds, this.stepWords, this.featureBits, this.roots, this.depths, block, n, stride, out, r0, begin, end);
      } else {
        sumRowsGeneral(this.thresholds, this.words, this.featureBits, this.roots, block, n, stride, out, r0 * outWidth, outWidth, columns, begin, end);
      }
    }
  }
}

// Hot loops: plain functions of typed arrays, so V8 keeps them monomorphic.

/**
 * One output column, no NaN in the block: four rows walk each tree together for exactly the
 * tree's depth (independent chains the CPU overlaps), every step branch-free: a split's outcome
 * is data, and a mispredicted branch costs more than the arithmetic. The sums stay in registers
 * and are rounded to float32 after each tree, as XGBoost adds.
 */
function sumFixedDepth(
  thr: Float32Array, words: Int32Array, featureBits: number, roots: Int32Array, depths: Int32Array, block: Float32Array,
  n: number, cols: number, out: Float32Array, row0: number, begin: number, end: number,
): void {
  const mask = (1 << featureBits) - 1;
  const shift = featureBits + 1;
  let r = 0;
  for (; r + 4 <= n; r += 4) {
    const b0 = r * cols;
    const b1 = b0 + cols;
    const b2 = b1 + cols;
    const b3 = b2 + cols;
    let a0 = out[row0 + r];
    let a1 = out[row0 + r + 1];
    let a2 = out[row0 + r + 2];
    let a3 = out[row0 + r + 3];
    for (let t = begin; t < end; t++) {
      let n0 = roots[t];
      let n1 = n0;
      let n2 = n0;
      let n3 = n0;
      for (let d = depths[t]; d > 0; d--) {
        const w0 = words[n0];
        const w1 = words[n1];
        const w2 = words[n2];
        const w3 = words[n3];
        n0 += 1 + (((w0 >> shift) - 1) & -(+(block[b0 + (w0 & mask)] > thr[n0])));
        n1 += 1 + (((w1 >> shift) - 1) & -(+(block[b1 + (w1 & mask)] > thr[n1])));
        n2 += 1 + (((w2 >> shift) - 1) & -(+(block[b2 + (w2 & mask)] > thr[n2])));
        n3 += 1 + (((w3 >> shift) - 1) & -(+(block[b3 + (w3 & mask)] > thr[n3])));
      }
      a0 = Math.fround(a0 + thr[n0]);
      a1 = Math.fround(a1 + thr[n1]);
      a2 = Math.fround(a2 + thr[n2]);
      a3 = Math.fround(a3 + thr[n3]);
    }
    out[row0 + r] = a0;
    out[row0 + r + 1] = a1;
    out[row0 + r + 2] = a2;
    out[row0 + r + 3] = a3;
  }
  for (; r < n; r++) {
    const base = r * cols;
    let acc = out[row0 + r];
    for (let t = begin; t < end; t++) {
      let node = roots[t];
      for (let d = depths[t]; d > 0; d--) {
        const w = words[node];
        node += 1 + (((w >> shift) - 1) & -(+(block[base + (w & mask)] > thr[node])));
      }
      acc = Math.fround(acc + thr[node]);
    }
    out[row0 + r] = acc;
  }
}

/** Any number of output columns, NaN sent where each split's default says. */
function sumRowsGeneral(
  thr: Float32Array, words: Int32Array, featureBits: number, roots: Int32Array, block: Float32Array, n: number, cols: number,
  out: Float32Array, at: number, outWidth: number, columns: Int32Array, begin: number, end: number,
): void {
  const mask = (1 << featureBits) - 1;
  const nanBit = 1 << featureBits;
  const shift = featureBits + 1;
  for (let r = 0; r < n; r++) {
    const base = r * cols;
    const o = at + r * outWidth;
    for (let t = begin; t < end; t++) {
      let node = roots[t];
      let w = words[node];
      let f = w & mask;
      while (f !== mask) {
        const v = block[base + f];
        node = v <= thr[node] || (v !== v && (w & nanBit) !== 0) ? node + 1 : node + (w >> shift);
        w = words[node];
        f = w & mask;
      }
      out[o + columns[t]] += thr[node];
    }
  }
}

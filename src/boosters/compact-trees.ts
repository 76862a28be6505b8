/**
 * A forest of numeric splits compared on float32 values (XGBoost's), laid out in 8 bytes a node
 * and walked row by row through every tree with a float32 running sum, as XGBoost sums:
 * - thresholds: at a split the float32 threshold (x <= t goes left), at a leaf its value;
 * - words: feature in the low `featureBits` bits (all ones at a leaf), then one bit for "NaN goes
 *   left", then the distance to the right child (the left child is the next node).
 * Built by Forest when every split qualifies; Forest keeps the general layout for the rest.
 */
export class CompactTrees {
  readonly thresholds: Float32Array;
  readonly words: Int32Array;
  readonly featureBits: number;
  readonly roots: Int32Array;

  constructor(nodes: number, trees: number, featureBits: number) {
    this.thresholds = new Float32Array(nodes);
    this.words = new Int32Array(nodes);
    this.featureBits = featureBits;
    this.roots = new Int32Array(trees);
  }

  /** Whether a forest with these features and right-child distances fits the 32-bit words. */
  static fits(maxFeature: number, maxRightDistance: number): { featureBits: number } | null {
    const featureBits = 32 - Math.clz32(maxFeature + 1);
    return featureBits + 1 + (32 - Math.clz32(maxRightDistance)) <= 31 ? { featureBits } : null;
  }

  setSplit(id: number, feature: number, threshold: number, right: number, nanLeft: boolean): void {
    this.thresholds[id] = threshold;
    this.words[id] = feature | ((nanLeft ? 1 : 0) << this.featureBits) | ((right - id) << (this.featureBits + 1));
  }

  setLeaf(id: number, value: number): void {
    this.thresholds[id] = value;
    this.words[id] = (1 << this.featureBits) - 1;
  }

  /**
   * Adds trees [begin, end) to out (nRows x outWidth float32 sums, row-major), tree t to column
   * columns[t]; x is rounded to float32 a block at a time.
   */
  addTo(x: Float64Array, nRows: number, nCols: number, out: Float32Array, outWidth: number, columns: Int32Array, begin: number, end: number): void {
    const BLOCK = 256;
    const block = new Float32Array(Math.min(nRows, BLOCK) * nCols);
    const single = outWidth === 1;
    for (let r0 = 0; r0 < nRows; r0 += BLOCK) {
      const n = Math.min(BLOCK, nRows - r0);
      let nan = false;
      for (let i = 0, m = n * nCols, at = r0 * nCols; i < m; i++) {
        const v = x[at + i];
        block[i] = v;
        if (v !== v) nan = true;
      }
      if (single && !nan) sumRows(this.thresholds, this.words, this.featureBits, this.roots, block, n, nCols, out, r0, begin, end);
      else sumRowsGeneral(this.thresholds, this.words, this.featureBits, this.roots, block, n, nCols, out, r0 * outWidth, outWidth, columns, begin, end);
    }
  }
}

// Hot loops: plain functions of typed arrays, so V8 keeps them monomorphic.

/**
 * One output column, no NaN in the block: four rows walk each tree together (independent
 * chains the CPU overlaps), each step branch-free (a split's outcome is data: a mispredicted
 * branch costs more than the arithmetic), the running sums in registers.
 */
function sumRows(
  thr: Float32Array, words: Int32Array, featureBits: number, roots: Int32Array, block: Float32Array, n: number, cols: number,
  out: Float32Array, row0: number, begin: number, end: number,
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
      const root = roots[t];
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      let w0 = words[root];
      let w1 = w0;
      let w2 = w0;
      let w3 = w0;
      // a leaf's word has every feature bit set: a finished row keeps its node
      while ((w0 & w1 & w2 & w3 & mask) !== mask) {
        if ((w0 & mask) !== mask) {
          n0 += 1 + (((w0 >> shift) - 1) & -(+(block[b0 + (w0 & mask)] > thr[n0])));
          w0 = words[n0];
        }
        if ((w1 & mask) !== mask) {
          n1 += 1 + (((w1 >> shift) - 1) & -(+(block[b1 + (w1 & mask)] > thr[n1])));
          w1 = words[n1];
        }
        if ((w2 & mask) !== mask) {
          n2 += 1 + (((w2 >> shift) - 1) & -(+(block[b2 + (w2 & mask)] > thr[n2])));
          w2 = words[n2];
        }
        if ((w3 & mask) !== mask) {
          n3 += 1 + (((w3 >> shift) - 1) & -(+(block[b3 + (w3 & mask)] > thr[n3])));
          w3 = words[n3];
        }
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
      let w = words[node];
      while ((w & mask) !== mask) {
        node += 1 + (((w >> shift) - 1) & -(+(block[base + (w & mask)] > thr[node])));
        w = words[node];
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

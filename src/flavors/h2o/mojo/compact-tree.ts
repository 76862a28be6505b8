import { MlflowError } from '../../../errors.js';
import type { MojoMeta } from './mojo-model.js';

/**
 * One tree of H2O's compressed tree format (SharedTreeMojoModel), decoded once into flat arrays
 * so scoring walks indexes instead of re-reading bytes.
 *
 * The byte layout, per node: u8 nodeType, u16 column (65535 = the tree is a single leaf), u8 NA
 * direction, then the split (a float32 threshold, a 32-bit inline bitset, or a bitset with u16
 * offset and its length), then the left subtree's size (1-4 bytes, by the low bits of nodeType)
 * or, for a leaf, its float32 value, then the left subtree, then the right one. Little endian.
 */

/** How a MOJO version routes categorical levels a bitset does not cover (ScoreTree0/1/2). */
export type TreeScoring = 0 | 1 | 2;

/** The tree walk a MOJO's version asks for, and its input columns' level counts. */
export function treeInputs(meta: MojoMeta): { scoring: TreeScoring; domainSizes: Int32Array } {
  const scoring: TreeScoring = meta.mojoVersion === 1.0 ? 0 : meta.mojoVersion === 1.1 ? 1 : 2;
  const domainSizes = new Int32Array(meta.nfeatures);
  for (let c = 0; c < meta.nfeatures; c++) domainSizes[c] = meta.domains[c]?.length ?? 0;
  return { scoring, domainSizes };
}

const KIND_NUM = 0;
const KIND_BITSET = 1;
const KIND_NA_VS_REST = 2;
const KIND_LEAF = 3;

// NaSplitDir values (hex.genmodel.utils.NaSplitDir)
const NA_VS_REST = 1;
const NA_LEFT = 2;
const LEFT = 4;

export class CompactTree {
  private readonly kind: Uint8Array;
  private readonly col: Int32Array;
  private readonly naLeft: Uint8Array;
  private readonly split: Float64Array;
  private readonly bitOff: Int32Array;
  private readonly nBits: Int32Array;
  private readonly bitStart: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  /** Levels of the split column (0 for numeric columns), per node. */
  private readonly levels: Int32Array;

  private constructor(
    private readonly bytes: Uint8Array,
    private readonly scoring: TreeScoring,
    n: number,
  ) {
    this.kind = new Uint8Array(n);
    this.col = new Int32Array(n);
    this.naLeft = new Uint8Array(n);
    this.split = new Float64Array(n);
    this.bitOff = new Int32Array(n);
    this.nBits = new Int32Array(n);
    this.bitStart = new Int32Array(n);
    this.left = new Int32Array(n);
    this.right = new Int32Array(n);
    this.levels = new Int32Array(n);
  }

  /** `domainSizes`: levels per input column (0 for numeric); ScoreTree2 sends an index beyond the domain the NA way. */
  static decode(bytes: Uint8Array, scoring: TreeScoring, domainSizes: Int32Array, where: string): CompactTree {
    // a node takes at least 5 bytes and a leaf 4, so this bounds the node count
    const t = new CompactTree(bytes, scoring, Math.max(1, Math.ceil(bytes.length / 2)));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let count = 0;
    const fail = (what: string): never => {
      throw new MlflowError(`${where}: corrupt tree (${what})`, 'INVALID_PARAMETER_VALUE');
    };
    const need = (pos: number, len: number): void => {
      if (pos < 0 || pos + len > bytes.length) fail(`reads past its end at byte ${pos}`);
    };
    const leaf = (pos: number): number => {
      need(pos, 4);
      const i = count++;
      t.kind[i] = KIND_LEAF;
      t.col[i] = -1;
      t.split[i] = view.getFloat32(pos, true);
      return i;
    };
    const node = (start: number, depth: number): number => {
      if (depth > 10_000) fail('too deep');
      let pos = start;
      need(pos, 3);
      const nodeType = bytes[pos];
      const col = view.getUint16(pos + 1, true);
      pos += 3;
      if (col === 65535) return leaf(pos);
      if (col >= domainSizes.length) fail(`splits on column ${col}, the model has ${domainSizes.length}`);
      need(pos, 1);
      const naDir = bytes[pos++];
      const i = count++;
      t.col[i] = col;
      t.levels[i] = domainSizes[col];
      t.naLeft[i] = naDir === NA_LEFT || naDir === LEFT ? 1 : 0;
      const lmask = nodeType & 51;
      const equal = nodeType & 12;
      if (naDir === NA_VS_REST) t.kind[i] = KIND_NA_VS_REST;
      else if (equal === 0) {
        need(pos, 4);
        t.kind[i] = KIND_NUM;
        t.split[i] = view.getFloat32(pos, true);
        pos += 4;
      } else if (equal === 8) {
        need(pos, 4);
        t.kind[i] = KIND_BITSET;
        t.bitStart[i] = pos;
        t.nBits[i] = 32;
        pos += 4;
      } else if (equal === 12) {
        t.kind[i] = KIND_BITSET;
        need(pos, 2);
        t.bitOff[i] = view.getUint16(pos, true);
        let nbytes: number;
        if (scoring === 2) {
          need(pos + 2, 4);
          const nbits = view.getInt32(pos + 2, true);
          if (nbits <= 0) fail(`bitset of ${nbits} bits`);
          t.nBits[i] = nbits;
          nbytes = ((nbits - 1) >> 3) + 1;
          pos += 6;
        } else {
          need(pos + 2, 2);
          nbytes = view.getUint16(pos + 2, true);
          t.nBits[i] = nbytes << 3;
          pos += 4;
        }
        need(pos, nbytes);
        t.bitStart[i] = pos;
        pos += nbytes;
      } else fail(`split type ${equal}`);
      let rightPos: number;
      if (lmask <= 3) {
        const len = lmask + 1;
        need(pos, len);
        let size = 0;
        for (let b = len - 1; b >= 0; b--) size = size * 256 + bytes[pos + b];
        if (len === 4) size = view.getInt32(pos, true);
        pos += len;
        t.left[i] = node(pos, depth + 1);
        rightPos = pos + size;
      } else if (lmask === 48) {
        t.left[i] = leaf(pos);
        rightPos = pos + 4;
      } else return fail(`left child mask ${lmask}`);
      const rmask = (nodeType & 0xc0) >> 2;
      t.right[i] = (rmask & 16) !== 0 ? leaf(rightPos) : node(rightPos, depth + 1);
      return i;
    };
    node(0, 0);
    return t;
  }

  /** The leaf value this row reaches (SharedTreeMojoModel.scoreTree for the tree's MOJO version). */
  score(row: ArrayLike<number>): number {
    // the common step (a numeric split on a numeric column) stays in this loop; the rest is goesRight
    const { kind, col, split, left, right, naLeft, levels } = this;
    let n = 0;
    for (;;) {
      const k = kind[n];
      if (k === KIND_LEAF) return split[n];
      const d = row[col[n]];
      let toRight: boolean;
      if (d !== d) toRight = naLeft[n] === 0;
      else if (k === KIND_NUM && levels[n] === 0) toRight = d >= split[n];
      else toRight = this.goesRight(n, k, d);
      n = toRight ? right[n] : left[n];
    }
  }

  private goesRight(n: number, k: number, d: number): boolean {
    const scoring = this.scoring;
    if (scoring === 2) {
      const levels = this.levels[n];
      if (levels > 0 && levels <= Math.trunc(d)) return this.naLeft[n] === 0;
    }
    if (k === KIND_NUM) return d >= this.split[n];
    if (k === KIND_NA_VS_REST) return false;
    const idx = Math.trunc(d) - this.bitOff[n];
    const inRange = idx >= 0 && idx < this.nBits[n];
    if (!inRange) return scoring === 0 ? false : this.naLeft[n] === 0;
    return (this.bytes[this.bitStart[n] + (idx >> 3)] & (1 << (idx & 7))) !== 0;
  }
}

import { MlflowError } from '../../errors.js';
import type { BoosterKind, XGBoostParts, XGBoostTree } from './parts.js';

/** Sizes of the fixed C structs XGBoost wrote (little-endian, as every platform it ran on). */
const LEARNER_PARAM_BYTES = 136;
const GBTREE_PARAM_BYTES = 160;
const TREE_PARAM_BYTES = 148;
const NODE_BYTES = 20;
const NODE_STAT_BYTES = 16;
const GBLINEAR_PARAM_BYTES = 136;

/**
 * Reads XGBoost's legacy binary model (`save_model("*.model" | "*.bin" | "*.xgb")` before 2.1,
 * and every model of 0.x): an optional "binf" magic, LearnerModelParamLegacy, the objective and
 * booster names as length-prefixed strings, the booster's structs, then the attributes.
 */
export function partsFromLegacyBinary(bytes: Uint8Array, file: string): XGBoostParts {
  const r = new BinaryReader(bytes, file);
  if (bytes.length >= 4 && bytes[0] === 0x62 && bytes[1] === 0x69 && bytes[2] === 0x6e && bytes[3] === 0x66) r.skip(4);
  else if (bytes.length >= 4 && String.fromCharCode(...bytes.subarray(0, 4)) === 'bs64') {
    throw new MlflowError(`${file}: XGBoost's base64 model format ("bs64") is not supported natively`, 'INVALID_PARAMETER_VALUE');
  }
  const p = r.pos;
  r.need(LEARNER_PARAM_BYTES);
  const baseScore = r.view.getFloat32(p, true);
  const numFeature = r.view.getUint32(p + 4, true);
  const numClass = r.view.getInt32(p + 8, true);
  const containExtraAttrs = r.view.getInt32(p + 12, true);
  const major = r.view.getUint32(p + 20, true);
  const minor = r.view.getUint32(p + 24, true);
  const numTarget = r.view.getUint32(p + 28, true);
  r.skip(LEARNER_PARAM_BYTES);
  const objective = r.string();
  const booster = r.string();
  if (booster !== 'gbtree' && booster !== 'dart' && booster !== 'gblinear') {
    throw new MlflowError(`${file}: XGBoost booster '${booster}' is not supported natively (gbtree, dart, gblinear are)`, 'INVALID_PARAMETER_VALUE');
  }
  if (numClass < 0 || numFeature > 2 ** 30) r.fail('bad model parameters');
  let trees: XGBoostTree[] = [];
  let treeInfo: number[] = [];
  let numParallelTree = 1;
  let weightDrop: number[] | null = null;
  let linearWeights: Float32Array | null = null;
  if (booster === 'gblinear') {
    r.skip(GBLINEAR_PARAM_BYTES);
    linearWeights = Float32Array.from(r.floats());
  } else {
    const gp = r.pos;
    r.need(GBTREE_PARAM_BYTES);
    const numTrees = r.view.getInt32(gp, true);
    numParallelTree = Math.max(1, r.view.getInt32(gp + 4, true));
    r.skip(GBTREE_PARAM_BYTES);
    if (numTrees < 0 || numTrees > bytes.length) r.fail(`bad tree count ${numTrees}`);
    trees = Array.from({ length: numTrees }, (_, i) => readTree(r, i));
    treeInfo = Array.from({ length: numTrees }, () => r.int32());
    if (booster === 'dart' && numTrees > 0) weightDrop = r.floats();
  }
  const attributes: Record<string, string> = {};
  if (containExtraAttrs !== 0) {
    const n = r.count();
    for (let i = 0; i < n; i++) {
      const k = r.string();
      attributes[k] = r.string();
    }
  }
  // Files before 1.0 stored base_score already turned into a margin by the objective.
  const baseScoreIsMargin = major < 1;
  return {
    version: [major, minor, 0],
    objective,
    objectiveParams: numClass > 0 ? { num_class: String(numClass) } : {},
    baseScore: [baseScore],
    baseScoreIsMargin,
    numFeature,
    numClass,
    numTarget: Math.max(1, numTarget),
    booster: booster as BoosterKind,
    trees,
    treeInfo,
    numParallelTree,
    weightDrop,
    linearWeights,
    featureNames: null,
    featureTypes: null,
    attributes,
  };
}

function readTree(r: BinaryReader, i: number): XGBoostTree {
  const p = r.pos;
  r.need(TREE_PARAM_BYTES);
  const numNodes = r.view.getInt32(p + 4, true);
  const sizeLeafVector = r.view.getInt32(p + 20, true);
  r.skip(TREE_PARAM_BYTES);
  if (numNodes < 1 || numNodes * NODE_BYTES > r.remaining()) r.fail(`tree ${i} has ${numNodes} nodes`);
  const left = new Int32Array(numNodes);
  const right = new Int32Array(numNodes);
  const splitIndex = new Uint32Array(numNodes);
  const defaultLeft = new Uint8Array(numNodes);
  const splitCondition = new Float32Array(numNodes);
  const v = r.view;
  for (let k = 0; k < numNodes; k++) {
    const at = r.pos + k * NODE_BYTES;
    left[k] = v.getInt32(at + 4, true);
    right[k] = v.getInt32(at + 8, true);
    const sindex = v.getUint32(at + 12, true);
    splitIndex[k] = sindex & 0x7fffffff;
    defaultLeft[k] = sindex >>> 31;
    splitCondition[k] = v.getFloat32(at + 16, true);
  }
  r.skip(numNodes * NODE_BYTES);
  r.skip(numNodes * NODE_STAT_BYTES);
  if (sizeLeafVector !== 0) r.floats();
  return { left, right, splitIndex, splitCondition, defaultLeft, categories: new Map() };
}

class BinaryReader {
  pos = 0;
  readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, private readonly file: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(msg: string): never {
    throw new MlflowError(`${this.file} is not a valid XGBoost binary model: ${msg} (at byte ${this.pos})`, 'INVALID_PARAMETER_VALUE');
  }

  remaining(): number {
    return this.bytes.length - this.pos;
  }

  need(n: number): void {
    if (n > this.remaining()) this.fail('unexpected end of file');
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  int32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A uint64 length (dmlc::Stream's vector and string prefix). */
  count(): number {
    this.need(8);
    const n = Number(this.view.getBigUint64(this.pos, true));
    this.pos += 8;
    if (n > this.remaining()) this.fail(`length ${n} runs past the end of the file`);
    return n;
  }

  string(): string {
    const n = this.count();
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  floats(): number[] {
    const n = this.count();
    this.need(n * 4);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.view.getFloat32(this.pos + i * 4, true);
    this.pos += n * 4;
    return out;
  }
}

import { MlflowError } from '../../../errors.js';
import type { IniValues } from './model-ini.js';
import type { MojoSource } from './source.js';

/** H2O's ModelCategory values that a MOJO can carry. */
export type ModelCategory =
  | 'Binomial' | 'Multinomial' | 'Ordinal' | 'Regression' | 'Clustering' | 'AnomalyDetection'
  | 'CoxPH' | 'DimReduction' | 'AutoEncoder' | 'WordEmbedding' | 'TargetEncoder' | 'KLime' | 'BinomialUplift';

/** What every MOJO's model.ini says (ModelMojoReader.readAll). */
export interface MojoMeta {
  /** The file (and folder inside it) for messages. */
  readonly where: string;
  readonly algo: string;
  readonly category: ModelCategory;
  readonly h2oVersion: string;
  readonly mojoVersion: number;
  /** All columns, the response last for supervised models. */
  readonly columns: readonly string[];
  /** Levels per column (null for numeric), the response's last. */
  readonly domains: readonly (readonly string[] | null)[];
  readonly supervised: boolean;
  /** Number of input columns (the first n_features of `columns`). */
  readonly nfeatures: number;
  readonly nclasses: number;
  readonly balanceClasses: boolean;
  readonly defaultThreshold: number;
  readonly priorClassDistrib: readonly number[] | undefined;
  readonly modelClassDistrib: readonly number[] | undefined;
  readonly offsetColumn: string | undefined;
}

/**
 * A loaded MOJO: h2o-genmodel's score0 contract. `row` holds the model's nfeatures inputs in
 * [columns] order, categorical values as level indexes and NaN for NA; `preds` has `predsSize`
 * slots laid out as H2O lays them (classifiers: [label index, p0, p1, ...]; regression: [value]).
 */
export interface MojoModel {
  readonly meta: MojoMeta;
  readonly predsSize: number;
  score0(row: Float64Array, offset: number, preds: Float64Array): void;
  /** Platt scaling of preds in place; false when the model was not calibrated. */
  calibrate?(preds: Float64Array): boolean;
}

/** What a per-algorithm reader gets. */
export interface MojoReadContext {
  readonly src: MojoSource;
  readonly ini: IniValues;
  readonly meta: MojoMeta;
  /** Reads a nested MOJO (a StackedEnsemble's base models and metalearner). */
  readonly readNested: (src: MojoSource) => MojoModel;
}

export interface MojoReader {
  /** The highest mojo_version this reader knows, as h2o-genmodel 3.46's reader for the algorithm. */
  readonly maxVersion: number;
  read(ctx: MojoReadContext): MojoModel;
}

/** H2O's predicted class: the threshold for two classes, else the largest probability (GenModel.getPrediction). */
export function predictedClass(preds: Float64Array, prior: readonly number[] | undefined, row: Float64Array, threshold: number): number {
  if (preds.length === 3) return preds[2] >= threshold ? 1 : 0;
  const ties = [0];
  let best = 1;
  let tieCnt = 0;
  for (let c = 2; c < preds.length; c++) {
    if (preds[best] < preds[c]) {
      best = c;
      tieCnt = 0;
    } else if (preds[best] === preds[c]) {
      tieCnt++;
      ties.push(c - 1);
    }
  }
  if (tieCnt === 0) return best - 1;
  // Ties: H2O draws among them with java.util.Random seeded by a hash of the row, weighted by priors.
  let hash = 0n;
  const buf = new DataView(new ArrayBuffer(8));
  for (const d of row) {
    buf.setFloat64(0, d);
    hash ^= buf.getBigInt64(0) >> 6n;
  }
  if (prior) {
    let sum = 0;
    for (const i of ties) sum += prior[i];
    const tie = javaRandomNextDouble(hash);
    let partial = 0;
    for (const i of ties) {
      partial += prior[i] / sum;
      if (tie <= partial) return i;
    }
  }
  const res = preds[best];
  // (int)hash % (tieCnt + 1), with Java's int narrowing and signed remainder
  let idx = Number(BigInt.asIntN(32, hash)) % (tieCnt + 1);
  for (best = 1; best < preds.length; best++) if (res === preds[best] && --idx < 0) return best - 1;
  return 0;
}

/** java.util.Random(seed).nextDouble(). */
function javaRandomNextDouble(seed: bigint): number {
  const MASK = (1n << 48n) - 1n;
  let s = (seed ^ 0x5deece66dn) & MASK;
  const next = (bits: bigint): bigint => {
    s = (s * 0x5deece66dn + 0xbn) & MASK;
    return s >> (48n - bits);
  };
  const hi = next(26n);
  const lo = next(27n);
  return Number((hi << 27n) + lo) * 2 ** -53;
}

/** GenModel.correctProbabilities: undo balance_classes' oversampling. */
export function correctProbabilities(preds: Float64Array, prior: readonly number[], model: readonly number[]): void {
  let sum = 0;
  for (let c = 1; c < preds.length; c++) {
    const orig = prior[c - 1];
    const over = model[c - 1];
    if (orig !== 0 && over !== 0) preds[c] *= orig / over;
    sum += preds[c];
  }
  if (sum > 0) for (let c = 1; c < preds.length; c++) preds[c] /= sum;
}

/** Sets preds[0] for a classifier: balance-classes correction, then the predicted class. */
export function finishClassifier(meta: MojoMeta, row: Float64Array, preds: Float64Array): void {
  if (meta.balanceClasses && meta.priorClassDistrib && meta.modelClassDistrib) {
    correctProbabilities(preds, meta.priorClassDistrib, meta.modelClassDistrib);
  }
  preds[0] = predictedClass(preds, meta.priorClassDistrib, row, meta.defaultThreshold);
}

export function logitInv(x: number): number {
  return 1 / (Math.exp(-x) + 1);
}

/** The refusal for a model setting this reader does not score: NOT_IMPLEMENTED, which the Python bridge may take. */
export function notNative(meta: Pick<MojoMeta, 'where' | 'algo'>, what: string): MlflowError {
  return new MlflowError(
    `${meta.where}: ${meta.algo} MOJO with ${what} is not supported natively; use --runtime python`,
    'NOT_IMPLEMENTED',
  );
}

/**
 * The one-hot slot of categorical i (GenModel.setCats): NA takes the column's last slot, an index
 * beyond the block too; level 0 has no slot (-1) unless all factor levels are kept.
 */
export function oneHotSlot(d: number, i: number, catOffsets: readonly number[], useAllFactorLevels: boolean): number {
  if (Number.isNaN(d)) return catOffsets[i + 1] - 1;
  const c = Math.trunc(d);
  const slot = useAllFactorLevels ? c + catOffsets[i] : c !== 0 ? c - 1 + catOffsets[i] : -1;
  return slot >= catOffsets[i + 1] ? catOffsets[i + 1] - 1 : slot;
}

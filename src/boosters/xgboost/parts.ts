/**
 * An XGBoost model as its files hold it, the same whichever format it came from (JSON, UBJSON
 * or the legacy binary): what `Booster` is built from.
 */
export interface XGBoostTree {
  /** Node arrays indexed by XGBoost's node id; a leaf has left child -1. */
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly splitIndex: ArrayLike<number>;
  /** Split value at a split, leaf value at a leaf (float32). */
  readonly splitCondition: ArrayLike<number>;
  readonly defaultLeft: ArrayLike<number>;
  /** Per categorical split node, the categories XGBoost sends right. */
  readonly categories: ReadonlyMap<number, readonly number[]>;
}

export type BoosterKind = 'gbtree' | 'dart' | 'gblinear';

export interface XGBoostParts {
  /** XGBoost's version as the file records it ([major, minor, patch]); [0, 0, 0] for files before 1.0. */
  readonly version: readonly number[];
  readonly objective: string;
  /** The objective's own parameters (e.g. num_class of softmax_multiclass_param). */
  readonly objectiveParams: Readonly<Record<string, string>>;
  /** base_score as the file stores it: one value, or one per output (XGBoost 3.x). */
  readonly baseScore: readonly number[];
  /** True when base_score is already a margin (legacy binary files written before XGBoost 1.0). */
  readonly baseScoreIsMargin: boolean;
  readonly numFeature: number;
  readonly numClass: number;
  readonly numTarget: number;
  readonly booster: BoosterKind;
  readonly trees: readonly XGBoostTree[];
  /** The output group (class or target) of each tree. */
  readonly treeInfo: readonly number[];
  readonly numParallelTree: number;
  /** DART's per-tree weights. */
  readonly weightDrop: readonly number[] | null;
  /** gblinear: (numFeature + 1) x groups weights, the last row the bias. */
  readonly linearWeights: Float32Array | null;
  readonly featureNames: readonly string[] | null;
  readonly featureTypes: readonly string[] | null;
  readonly attributes: Readonly<Record<string, string>>;
}

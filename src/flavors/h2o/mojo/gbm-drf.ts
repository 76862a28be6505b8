import { CompactTree, treeInputs } from './compact-tree.js';
import { finishClassifier, logitInv, notNative, type MojoMeta, type MojoModel, type MojoReadContext, type MojoReader } from './mojo-model.js';

/**
 * GBM and DRF MOJOs: the shared tree format (SharedTreeMojoReader) and each algorithm's way of
 * turning summed tree outputs into predictions (GbmMojoModel / DrfMojoModel.unifyPreds).
 */

interface Forest {
  /** trees[classIndex][group]; null where H2O wrote no tree (a class with no split). */
  readonly trees: (CompactTree | null)[][];
  readonly groups: number;
  readonly calibBeta: readonly number[] | undefined;
}

const SUPPORTED_ENCODINGS = new Set(['AUTO', 'Enum']);

function readForest(ctx: MojoReadContext, perClassDefault: number): Forest {
  const { ini, src, meta } = ctx;
  const encoding = ini.str('_genmodel_encoding', 'AUTO');
  if (!SUPPORTED_ENCODINGS.has(encoding)) {
    throw notNative(meta, `categorical_encoding '${encoding}'`);
  }
  const groups = ini.num('n_trees');
  const perClass = ini.num('n_trees_per_class', perClassDefault);
  const { scoring, domainSizes } = treeInputs(meta);
  const trees: (CompactTree | null)[][] = [];
  for (let k = 0; k < perClass; k++) {
    const row: (CompactTree | null)[] = [];
    for (let j = 0; j < groups; j++) {
      const name = `trees/t${String(k).padStart(2, '0')}_${String(j).padStart(3, '0')}.bin`;
      row.push(src.has(name) ? CompactTree.decode(src.bytes(name), scoring, domainSizes, `${meta.where} ${name}`) : null);
    }
    trees.push(row);
  }
  let calibBeta: number[] | undefined;
  const calib = ini.str('calib_method', undefined);
  if (calib !== undefined) {
    if (calib !== 'platt') throw notNative(meta, `calibration method '${calib}'`);
    calibBeta = ini.nums('calib_glm_beta');
  }
  return { trees, groups, calibBeta };
}

function sumTrees(forest: Forest, nclasses: number, row: Float64Array, preds: Float64Array): void {
  preds.fill(0);
  const first = nclasses === 1 ? 0 : 1;
  const { trees } = forest;
  for (let k = 0; k < trees.length; k++) {
    const ts = trees[k];
    let s = 0;
    for (let j = 0; j < ts.length; j++) {
      const t = ts[j];
      if (t !== null) s += t.score(row);
    }
    preds[first + k] = s;
  }
}

function plattCalibration(beta: readonly number[] | undefined): MojoModel['calibrate'] {
  return (preds) => {
    if (!beta) return false;
    const p = logitInv(preds[1] * beta[0] + beta[1]);
    preds[1] = 1 - p;
    preds[2] = p;
    return true;
  };
}

function predsSizeOf(meta: MojoMeta): number {
  return meta.nclasses === 1 ? 1 : meta.nclasses + 1;
}

/** DistributionFamily / LinkFunction inverses H2O applies to a GBM's summed trees. */
const capExp = (x: number): number => Math.min(1e19, Math.exp(x));
const LINK_INV: Record<string, (x: number) => number> = {
  identity: (x) => x,
  logit: logitInv,
  log: capExp,
  inverse: (x) => 1 / (x < 0 ? Math.min(-1e-5, x) : Math.max(1e-5, x)),
};
const FAMILY_LINK: Record<string, string> = {
  bernoulli: 'logit', quasibinomial: 'logit', modified_huber: 'logit', fractionalbinomial: 'logit',
  multinomial: 'log', poisson: 'log', gamma: 'log', tweedie: 'log', negativebinomial: 'log',
  gaussian: 'identity', huber: 'identity', laplace: 'identity', quantile: 'identity',
};
const BINOMIAL_FAMILIES = new Set(['bernoulli', 'quasibinomial', 'modified_huber', 'fractionalbinomial']);

export const gbmReader: MojoReader = {
  maxVersion: 1.4,
  read(ctx) {
    const { ini, meta } = ctx;
    const family = ini.str('distribution');
    if (FAMILY_LINK[family] === undefined) throw notNative(meta, `distribution '${family}'`);
    const linkName = ini.str('link_function', FAMILY_LINK[family]);
    const linkInv = LINK_INV[linkName];
    if (!linkInv) throw notNative(meta, `link_function '${linkName}'`);
    const initF = ini.num('init_f');
    const forest = readForest(ctx, meta.nclasses === 2 ? 1 : meta.nclasses);
    const n = meta.nclasses;
    return {
      meta,
      predsSize: predsSizeOf(meta),
      calibrate: plattCalibration(forest.calibBeta),
      score0(row, offset, preds) {
        sumTrees(forest, n, row, preds);
        if (BINOMIAL_FAMILIES.has(family)) {
          preds[2] = linkInv(preds[1] + initF + offset);
          preds[1] = 1 - preds[2];
        } else if (family === 'multinomial') {
          if (n === 2) {
            preds[1] += initF + offset;
            preds[2] = -preds[1];
          }
          gbmRescale(preds);
        } else {
          preds[0] = linkInv(preds[0] + initF + offset);
          return;
        }
        finishClassifier(meta, row, preds);
      },
    };
  },
};

/** GenModel.GBM_rescale: softmax over preds[1..], shifted by the largest for stability. */
function gbmRescale(preds: Float64Array): void {
  let max = -Infinity;
  for (let k = 1; k < preds.length; k++) max = Math.max(max, preds[k]);
  let sum = 0;
  for (let k = 1; k < preds.length; k++) sum += preds[k] = Math.exp(preds[k] - max);
  for (let k = 1; k < preds.length; k++) preds[k] /= sum;
}

export const drfReader: MojoReader = {
  maxVersion: 1.4,
  read(ctx) {
    const { ini, meta } = ctx;
    const doubleTrees = ini.bool('binomial_double_trees', false);
    const forest = readForest(ctx, meta.nclasses === 2 && !doubleTrees ? 1 : meta.nclasses);
    const n = meta.nclasses;
    const groups = forest.groups;
    return {
      meta,
      predsSize: predsSizeOf(meta),
      calibrate: plattCalibration(forest.calibBeta),
      score0(row, _offset, preds) {
        sumTrees(forest, n, row, preds);
        if (n === 1) {
          preds[0] /= groups;
          return;
        }
        if (n === 2 && !doubleTrees) {
          preds[1] /= groups;
          preds[2] = 1 - preds[1];
        } else {
          let sum = 0;
          for (let i = 1; i <= n; i++) sum += preds[i];
          if (sum > 0) for (let i = 1; i <= n; i++) preds[i] /= sum;
        }
        finishClassifier(meta, row, preds);
      },
    };
  },
};

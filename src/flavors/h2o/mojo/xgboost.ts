import { MlflowError } from '../../../errors.js';
import { readXGBoostModel } from '../../../boosters/xgboost/index.js';
import { baseMargin, objectiveSpec, transform } from '../../../boosters/xgboost/objective.js';
import { finishClassifier, notNative, oneHotSlot, type MojoReader } from './mojo-model.js';

/**
 * XGBoost MOJOs (XGBoostMojoReader): the booster H2O trained, saved as `boosterBytes`, and the
 * input layout H2O fed it: categoricals one-hot first (each with a last slot for NA; level 0
 * dropped unless use_all_factor_levels), then numerics. With `sparse`, H2O's predictor reads a
 * 0 as missing, and a missing numeric as 0 (so, missing too). A model trained with an offset
 * column takes the offset as XGBoost's base_margin, which replaces base_score (also when 0).
 */
export const xgboostReader: MojoReader = {
  maxVersion: 1.1,
  read({ ini, src, meta }) {
    const bytes = src.bytes('boosterBytes');
    const booster = readXGBoostModel(bytes, { file: `${meta.where} boosterBytes` });
    const hasOffset = ini.bool('has_offset', false);
    const nums = ini.num('nums');
    const cats = ini.num('cats');
    const catOffsets = ini.nums('cat_offsets');
    const useAll = ini.bool('use_all_factor_levels');
    const sparse = ini.bool('sparse', false);
    const width = nums + catOffsets[cats];
    if (width !== booster.numFeature) {
      throw new MlflowError(`${meta.where}: the MOJO lays out ${width} features, its booster takes ${booster.numFeature}`, 'INVALID_PARAMETER_VALUE');
    }
    if (booster.outputWidth !== (meta.nclasses > 2 ? meta.nclasses : 1)) throw notNative(meta, `booster objective ${booster.objective} for ${meta.category}`);
    const spec = objectiveSpec(booster.objective, booster.file);
    const baseScoreMargin = hasOffset ? Math.fround(baseMargin(spec, legacyBaseScore(bytes, meta.where))) : 0;
    const x = new Float64Array(width);
    return {
      meta,
      predsSize: meta.nclasses === 1 ? 1 : meta.nclasses + 1,
      score0(row, offset, preds) {
        x.fill(0);
        for (let i = 0; i < cats; i++) {
          const slot = oneHotSlot(row[i], i, catOffsets, useAll);
          if (slot >= 0) x[slot] = 1;
        }
        const numStart = catOffsets[cats];
        for (let i = 0; i < nums; i++) {
          const d = row[cats + i];
          // H2O hands the predictor floats
          x[numStart + i] = Number.isNaN(d) ? (sparse ? 0 : NaN) : Math.fround(d);
        }
        if (sparse) for (let j = 0; j < width; j++) if (x[j] === 0) x[j] = NaN;
        let out: Float32Array;
        if (!hasOffset) out = booster.predict(x, 1, width).data;
        else {
          const margins = booster.predict(x, 1, width, { outputMargin: true }).data;
          for (let k = 0; k < margins.length; k++) margins[k] = Math.fround(margins[k] - baseScoreMargin + offset);
          out = transform(spec.transform, margins, 1, margins.length);
        }
        if (meta.nclasses === 1) {
          preds[0] = out[0];
          return;
        }
        if (meta.nclasses === 2) {
          preds[2] = out[0];
          preds[1] = 1 - out[0];
        } else for (let k = 0; k < meta.nclasses; k++) preds[k + 1] = out[k];
        finishClassifier(meta, row, preds);
      },
    };
  },
};

/** base_score, the first field of a legacy binary booster's LearnerModelParam (after an optional "binf"). */
function legacyBaseScore(bytes: Uint8Array, where: string): number {
  const binf = bytes[0] === 0x62 && bytes[1] === 0x69 && bytes[2] === 0x6e && bytes[3] === 0x66;
  if (bytes[0] === 0x7b) throw new MlflowError(`${where}: an offset with a JSON/UBJSON booster is not supported natively; use --runtime python`, 'NOT_IMPLEMENTED');
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat32(binf ? 4 : 0, true);
}

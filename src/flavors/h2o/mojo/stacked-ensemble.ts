import { MlflowError } from '../../../errors.js';
import { notNative, type MojoMeta, type MojoModel, type MojoReader } from './mojo-model.js';

/**
 * StackedEnsemble MOJOs (MultiModelMojoReader): base models and a metalearner, each a MOJO in its
 * own folder of the same archive. A base model's inputs are found by column name (its columns may
 * be ordered differently, or be a subset), and categorical levels by their strings where its
 * domain differs. Base models that H2O dropped as useless are absent: their metalearner input is 0.
 */

interface BaseModel {
  readonly model: MojoModel;
  /** For each base model input, the ensemble column feeding it (-1: none, NA). */
  readonly source: Int32Array;
  /** Per base model input, the ensemble level index -> base level index, where the domains differ. */
  readonly levels: (Float64Array | null)[];
  readonly row: Float64Array;
  readonly preds: Float64Array;
}

function bindBase(meta: MojoMeta, model: MojoModel): BaseModel {
  const n = model.meta.nfeatures;
  const source = new Int32Array(n);
  const levels: (Float64Array | null)[] = [];
  for (let j = 0; j < n; j++) {
    const name = model.meta.columns[j];
    const i = meta.columns.slice(0, meta.nfeatures).indexOf(name);
    source[j] = i;
    const mine = i >= 0 ? meta.domains[i] : null;
    const theirs = model.meta.domains[j];
    if (mine && theirs && (mine.length !== theirs.length || mine.some((l, k) => l !== theirs[k]))) {
      levels.push(Float64Array.from(mine, (l) => {
        const k = theirs.indexOf(l);
        return k < 0 ? NaN : k;
      }));
    } else levels.push(null);
  }
  return { model, source, levels, row: new Float64Array(n), preds: new Float64Array(model.predsSize) };
}

function scoreBase(b: BaseModel, row: Float64Array): Float64Array {
  for (let j = 0; j < b.source.length; j++) {
    const i = b.source[j];
    let v = i < 0 ? NaN : row[i];
    const map = b.levels[j];
    if (map && !Number.isNaN(v)) v = v >= 0 && v < map.length ? map[v] : NaN;
    b.row[j] = v;
  }
  b.model.score0(b.row, 0, b.preds);
  return b.preds;
}

export const stackedEnsembleReader: MojoReader = {
  maxVersion: 1.01,
  read({ ini, src, meta, readNested }) {
    const transform = ini.str('metalearner_transform', 'NONE');
    if (transform !== 'NONE') throw notNative(meta, `metalearner_transform '${transform}'`);
    const dirs = new Map<string, string>();
    const count = ini.num('submodel_count');
    for (let i = 0; i < count; i++) dirs.set(ini.str(`submodel_key_${i}`), ini.str(`submodel_dir_${i}`));
    const load = (key: string): MojoModel => {
      const dir = dirs.get(key);
      if (dir === undefined) throw new MlflowError(`${meta.where}: StackedEnsemble has no submodel '${key}'`, 'INVALID_PARAMETER_VALUE');
      return readNested(src.sub(dir));
    };
    const metalearner = load(ini.str('metalearner'));
    const n = ini.num('base_models_num', 0);
    const bases: (BaseModel | null)[] = [];
    for (let i = 0; i < n; i++) {
      const key = ini.str(`base_model${i}`, undefined);
      bases.push(key === undefined ? null : bindBase(meta, load(key)));
    }
    const nclasses = meta.nclasses;
    const perModel = nclasses > 2 ? nclasses : 1;
    const basePreds = new Float64Array(n * perModel);
    if (metalearner.meta.nfeatures !== basePreds.length) {
      throw new MlflowError(
        `${meta.where}: the metalearner takes ${metalearner.meta.nfeatures} inputs, the ${n} base models give ${basePreds.length}`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    return {
      meta,
      predsSize: metalearner.predsSize,
      score0(row, _offset, preds) {
        basePreds.fill(0);
        for (let i = 0; i < n; i++) {
          const b = bases[i];
          if (!b) continue;
          const p = scoreBase(b, row);
          if (nclasses > 2) for (let j = 0; j < nclasses; j++) basePreds[i * nclasses + j] = p[j + 1];
          else basePreds[i] = nclasses === 2 ? p[2] : p[0];
        }
        metalearner.score0(basePreds, 0, preds);
      },
    };
  },
};

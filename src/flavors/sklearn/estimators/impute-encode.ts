import { MlflowError } from '../../../errors.js';
import type { NdArray } from '../../../formats/pickle/types.js';
import { columnOf, hstack, isF32, matrix, numCols, selectColumns, toMatrix, withF32, type Data, type Matrix, type TableColumn } from '../data.js';
import type { Builder } from '../estimator.js';
import { floatData, isInstance, isNdArray, State } from '../state.js';

/**
 * SimpleImputer's missing test (sklearn's _get_mask): with missing_values NaN, a float NaN only;
 * Python's None is not NaN (in an object column sklearn tests `x != x`), so None stays. With
 * missing_values None, None only; else equality.
 */
function missingTest(mv: unknown): (v: unknown) => boolean {
  if (typeof mv === 'number' && Number.isNaN(mv)) return (v) => typeof v === 'number' && Number.isNaN(v);
  if (mv === null) return (v) => v === null || v === undefined;
  return (v) => v === mv;
}

/**
 * check_array(dtype=float64) on a column, as an imputer fitted on numbers reads its input:
 * None becomes NaN, a string is refused as numpy refuses it.
 */
function floatColumn(c: TableColumn, column: string): Float64Array {
  if (c instanceof Float64Array) return c;
  return Float64Array.from(c as readonly unknown[], (v) => {
    if (v === null || v === undefined) return NaN;
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    throw new MlflowError(`could not convert a ${typeof v} to float in column ${column}`, 'INVALID_PARAMETER_VALUE');
  });
}

function valuesOf(a: NdArray): unknown[] {
  return Array.isArray(a.data) ? a.data : Array.from(a.data as ArrayLike<number>);
}

function checkCols(x: Data, f: number, who: string): void {
  if (numCols(x) !== f) {
    throw new MlflowError(`X has ${numCols(x)} features, but ${who} is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
  }
}

/**
 * MissingIndicator.transform: the missing mask (bool) of the features_ columns ('missing-only':
 * those with missing values at fit; 'all': every column). A column missing values now but not at
 * fit is an error when error_on_new, as sklearn raises it.
 */
const missingIndicator: Builder = (s) => {
  const which = s.string('features');
  if (which !== 'missing-only' && which !== 'all') s.fail(`features='${which}' is not supported natively`);
  const f = s.number('_n_features');
  const features = Array.from(s.array('features_').data as ArrayLike<number>, Number);
  const isMissing = missingTest(s.raw('missing_values'));
  const errorOnNew = s.bool('error_on_new', true);
  return {
    className: s.className,
    transform(x: Data) {
      checkCols(x, f, s.inst.name);
      const masks = Array.from({ length: f }, (_, j) => Float64Array.from(columnOf(x, j) as ArrayLike<unknown>, (v) => (isMissing(v) ? 1 : 0)));
      if (which === 'missing-only' && errorOnNew) {
        const fitted = new Set(features);
        const fresh = masks.flatMap((m, j) => (!fitted.has(j) && m.some((v) => v === 1) ? [j] : []));
        if (fresh.length > 0) {
          throw new MlflowError(`The features [${fresh.join(' ')}] have missing values in transform but have no missing values in fit.`, 'INVALID_PARAMETER_VALUE');
        }
      }
      const cols = which === 'all' ? masks.map((_, j) => j) : features;
      const out = new Float64Array(x.rows * cols.length);
      cols.forEach((j, k) => masks[j].forEach((v, i) => (out[i * cols.length + k] = v)));
      return { ...matrix(x.rows, cols.length, out), bool: true };
    },
  };
};

const simpleImputer: Builder = (s, build) => {
  // add_indicator: the fitted MissingIndicator's mask of the input, after the imputed columns;
  // sklearn takes the mask of the input as the imputer read it: fitted on numbers, as float64,
  // where an object column's None is NaN (a one-row request's null)
  const indicator = s.bool('add_indicator', false) ? build(s.instance('indicator_'), `${s.className}.indicator_`) : null;
  const imputer = imputeOnly(s);
  const asRead = (x: Data): Data => (fittedOnObjects(s) || x.kind !== 'table' ? x
    : { ...x, columns: x.columns.map((c, j) => floatColumn(c, x.names ? `'${x.names[j]}'` : String(j))) });
  return {
    className: s.className,
    transform: (x: Data) => (indicator ? hstack([imputer(x), indicator.transform!(asRead(x))], x.rows) : imputer(x)),
  };
};

/**
 * Whether a SimpleImputer was fitted on an object column: it keeps objects (None apart from
 * NaN); fitted on numbers, it reads its input as float64 first. (1.9 keeps a 'constant'
 * strategy's statistics_ as objects even on numbers: _fit_dtype decides.)
 */
function fittedOnObjects(s: State): boolean {
  const fitDtype = s.raw('_fit_dtype') as { kind?: unknown; char?: unknown } | undefined;
  return fitDtype?.kind === 'dtype' && typeof fitDtype.char === 'string' ? fitDtype.char === 'O' : s.array('statistics_').dtype === '|O';
}

function imputeOnly(s: State): (x: Data) => Data {
  const statistics = s.array('statistics_');
  const stats = valuesOf(statistics);
  const onObjects = fittedOnObjects(s);
  const isMissing = missingTest(s.raw('missing_values'));
  const keepEmpty = s.bool('keep_empty_features', false);
  const strategy = s.stringOr('strategy', 'mean');
  // a column whose statistic is NaN was all-missing at fit time and is dropped (unless kept)
  const keep = stats.map((v, j) => j).filter((j) => {
    const v = stats[j];
    return keepEmpty || strategy === 'constant' || !(typeof v === 'number' && Number.isNaN(v));
  });
  return (x: Data) => {
    checkCols(x, stats.length, s.inst.name);
    // float32 rows stay float32: the statistic is written into them as a float32
    const f32 = isF32(x);
    const cols: TableColumn[] = [];
    let numeric = true;
    for (const j of keep) {
      const c = columnOf(x, j);
      const fill = stats[j];
      if (!onObjects && typeof fill === 'number') {
        const out = Float64Array.from(floatColumn(c, x.names ? `'${x.names[j]}'` : String(j)));
        const value = f32 ? Math.fround(fill) : fill;
        for (let i = 0; i < out.length; i++) if (isMissing(out[i])) out[i] = value;
        cols.push(out);
      } else {
        numeric = false;
        cols.push(Array.from(c as ArrayLike<unknown>, (v) => (isMissing(v) ? fill : v)));
      }
    }
    if (numeric) {
      return withF32(hstack(cols.map((c) => matrix(x.rows, 1, c as Float64Array)), x.rows) as Matrix, f32);
    }
    return { kind: 'table', rows: x.rows, columns: cols, names: null };
  };
}

/**
 * A category lookup key: strings and numbers by value; None and NaN are two distinct categories,
 * as sklearn's _extract_missing keeps them (a float NaN matches any NaN).
 */
const NONE = Symbol('None');
const NAN = Symbol('NaN');
function catKey(v: unknown): unknown {
  if (v === null || v === undefined) return NONE;
  if (typeof v === 'number' && Number.isNaN(v)) return NAN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

function categoryMaps(s: State): Map<unknown, number>[] {
  return s.list('categories_').map((c, j) => {
    if (!isNdArray(c)) return s.fail(`categories_[${j}] should be an array`);
    const m = new Map<unknown, number>();
    valuesOf(c).forEach((v, i) => m.set(catKey(v), i));
    return m;
  });
}

/**
 * Infrequent categories (min_frequency, max_categories; sklearn >= 1.1): per feature, the map
 * from category index to its index once the infrequent ones are grouped into one last category
 * (_default_to_infrequent_mappings), and the first infrequent index, which unknown values take
 * before that map (_infrequent_indices). Null where a feature has none.
 */
interface Grouping {
  map: Float64Array | null;
  infrequentFirst: number | null;
}

function groupings(s: State, n: number): Grouping[] {
  if (!s.bool('_infrequent_enabled', false)) return Array.from({ length: n }, () => ({ map: null, infrequentFirst: null }));
  const maps = s.list('_default_to_infrequent_mappings');
  const infrequent = s.list('_infrequent_indices');
  if (maps.length !== n || infrequent.length !== n) s.fail('infrequent category mappings should have one entry per feature');
  return maps.map((m, j) => {
    const inf = infrequent[j];
    return {
      map: isNdArray(m) ? floatData(m, `_default_to_infrequent_mappings[${j}]`) : null,
      infrequentFirst: isNdArray(inf) ? floatData(inf, `_infrequent_indices[${j}]`)[0] : null,
    };
  });
}

/** A per-feature array attribute of numbers or None (drop_idx_), null where absent. */
function indexPerFeature(s: State, key: string, n: number): (number | null)[] {
  const raw = s.raw(key);
  return isNdArray(raw) ? valuesOf(raw).map((v) => (typeof v === 'number' ? v : null)) : Array.from({ length: n }, () => null);
}

const oneHotEncoder: Builder = (s) => {
  const cats = categoryMaps(s);
  const groups = groupings(s, cats.length);
  const handle = s.stringOr('handle_unknown', 'error');
  // 'warn' (1.6+) maps an unknown value to the infrequent category from 1.8 (PR #32592); before,
  // a bug left such a value's cells all zero, as 'ignore' does
  const unknownToInfrequent = handle === 'infrequent_if_exist' || (handle === 'warn' && s.sklearnAtLeast(1, 8));
  // with infrequent categories, the index to drop once they are grouped
  const drop = indexPerFeature(s, s.has('_drop_idx_after_grouping') ? '_drop_idx_after_grouping' : 'drop_idx_', cats.length);
  const sizes = cats.map((m, j) => (groups[j].map ? Math.max(...groups[j].map!) + 1 : m.size));
  const widths = sizes.map((n, j) => n - (drop[j] === null ? 0 : 1));
  const width = widths.reduce((a, b) => a + b, 0);
  return {
    className: s.className,
    transform(x: Data) {
      checkCols(x, cats.length, s.inst.name);
      const out = new Float64Array(x.rows * width);
      let off = 0;
      cats.forEach((m, j) => {
        const c = columnOf(x, j);
        const d = drop[j];
        const g = groups[j];
        for (let i = 0; i < x.rows; i++) {
          let idx = m.get(catKey(c[i]));
          // an unknown value counts as infrequent when the feature has infrequent categories
          if (idx === undefined && g.infrequentFirst !== null && unknownToInfrequent) idx = g.infrequentFirst;
          if (idx !== undefined && g.map) idx = g.map[idx];
          if (idx === undefined) {
            if (handle === 'error') {
              const name = x.names ? `'${x.names[j]}'` : String(j);
              throw new MlflowError(`Found unknown categories in column ${name} during transform`, 'INVALID_PARAMETER_VALUE');
            }
            continue;
          }
          if (d === null) out[i * width + off + idx] = 1;
          else if (idx !== d) out[i * width + off + (idx < d ? idx : idx - 1)] = 1;
        }
        off += widths[j];
      });
      return matrix(x.rows, width, out);
    },
  };
};

const ordinalEncoder: Builder = (s) => {
  const cats = categoryMaps(s);
  const groups = groupings(s, cats.length);
  // the missing-value category keeps its index through the grouping, then takes encoded_missing_value
  const missingIdx = cats.map((m) => m.get(NAN));
  const handle = s.stringOr('handle_unknown', 'error');
  const unknownValue = s.raw('unknown_value');
  const encodedMissing = s.has('encoded_missing_value') ? s.number('encoded_missing_value') : NaN;
  return {
    className: s.className,
    transform(x: Data) {
      checkCols(x, cats.length, s.inst.name);
      const f = cats.length;
      const out = new Float64Array(x.rows * f);
      cats.forEach((m, j) => {
        const c = columnOf(x, j);
        for (let i = 0; i < x.rows; i++) {
          const key = catKey(c[i]);
          let idx = m.get(key);
          const grouped = groups[j].map;
          if (idx !== undefined && grouped && key !== NAN) idx = grouped[idx];
          let v: number;
          // sklearn sets encoded_missing_value wherever the (grouped) code equals the NaN category's
          if (idx !== undefined) v = key === NAN || (grouped && idx === missingIdx[j]) ? encodedMissing : idx;
          else if (handle === 'use_encoded_value' && typeof unknownValue === 'number') v = unknownValue;
          else {
            const name = x.names ? `'${x.names[j]}'` : String(j);
            throw new MlflowError(`Found unknown categories in column ${name} during transform`, 'INVALID_PARAMETER_VALUE');
          }
          out[i * f + j] = v;
        }
      });
      return matrix(x.rows, f, out);
    },
  };
};

/**
 * IterativeImputer.transform: the fitted initial_imputer_'s fill (features all-missing at fit
 * dropped), then each fitted round of imputation_sequence_ in order: a feature's missing rows
 * predicted by its estimator from its neighbor features, clipped to [_min_value, _max_value];
 * finally the observed values put back, and the missing mask appended with add_indicator.
 */
const iterativeImputer: Builder = (s, build) => {
  if (s.bool('sample_posterior', false)) s.fail('sample_posterior=True is not supported natively (it draws random samples)');
  if (s.bool('keep_empty_features', false)) s.fail('keep_empty_features=True is not supported natively');
  const mv = s.raw('missing_values');
  if (!(typeof mv === 'number' && Number.isNaN(mv))) s.fail('missing_values other than NaN are not supported natively');
  const f = s.number('n_features_in_');
  const initial = build(s.instance('initial_imputer_'), `${s.className}.initial_imputer_`);
  const indicator = s.bool('add_indicator', false) ? build(s.instance('indicator_'), `${s.className}.indicator_`) : null;
  // scikit-learn >= 1.3 records the features empty at fit; before, their initial statistic is NaN
  const empty = s.has('_is_empty_feature')
    ? Array.from(s.array('_is_empty_feature').data as ArrayLike<number>, (v) => v !== 0)
    : Array.from(floatData(new State(s.instance('initial_imputer_')).array('statistics_'), 'statistics_'), (v) => Number.isNaN(v));
  const keep = empty.flatMap((e, j) => (e ? [] : [j]));
  const nIter = s.number('n_iter_');
  const minV = s.floats('_min_value').data;
  const maxV = s.floats('_max_value').data;
  const rounds = s.list('imputation_sequence_').map((t, i) => {
    const args = isInstance(t) && t.name === '_ImputerTriplet' ? t.args : null;
    if (!args || args.length !== 3 || typeof args[0] !== 'number' || !isNdArray(args[1])) return s.fail(`imputation_sequence_[${i}] should be an _ImputerTriplet`);
    return { feat: args[0], neighbors: Array.from(args[1].data as ArrayLike<number>, Number), est: build(args[2], `${s.className}.imputation_sequence_[${i}]`) };
  });
  return {
    className: s.className,
    transform(x: Data) {
      const m = toMatrix(x);
      checkCols(m, f, s.inst.name);
      // float32 rows stay float32 (check_array with FLOAT_DTYPES): the estimators get float32
      // rows, and each prediction is stored into the float32 array, rounded
      const f32 = m.f32 === true;
      const k = keep.length;
      const observed = selectColumns(m, keep) as Matrix;
      const missing = observed.data.map((v) => (Number.isNaN(v) ? 1 : 0));
      const filled = toMatrix(initial.transform!(m));
      if (filled.cols !== k) s.fail(`initial_imputer_ gives ${filled.cols} columns, expected ${k}`);
      const xt = Float64Array.from(filled.data);
      if (nIter > 0 && missing.some((v) => v === 0)) {
        for (const r of rounds) {
          const rows: number[] = [];
          for (let i = 0; i < m.rows; i++) if (missing[i * k + r.feat] === 1) rows.push(i);
          if (rows.length === 0) continue;
          const nb = r.neighbors.length;
          const test = new Float64Array(rows.length * nb);
          rows.forEach((i, q) => r.neighbors.forEach((j, c) => (test[q * nb + c] = xt[i * k + j])));
          const pred = r.est.predict!(withF32(matrix(rows.length, nb, test), f32)).data as ArrayLike<number>;
          rows.forEach((i, q) => {
            const v = Math.min(Math.max(pred[q], minV[r.feat]), maxV[r.feat]);
            xt[i * k + r.feat] = f32 ? Math.fround(v) : v;
          });
        }
        for (let p = 0; p < xt.length; p++) if (missing[p] === 0) xt[p] = observed.data[p];
      }
      const out = withF32(matrix(m.rows, k, xt), f32);
      return indicator ? hstack([out, indicator.transform!(m)], m.rows) : out;
    },
  };
};

/**
 * TargetEncoder.transform (scikit-learn >= 1.3): each category's fitted encoding (encodings_,
 * one per feature, or per feature and class for a multiclass target, feature-major), and the
 * target mean (per class) for a category unseen at fit.
 */
const targetEncoder: Builder = (s) => {
  const cats = categoryMaps(s);
  const type = s.string('target_type_');
  if (type !== 'binary' && type !== 'continuous' && type !== 'multiclass') s.fail(`target_type_ '${type}' is not supported natively`);
  const k = type === 'multiclass' ? s.array('classes_').data.length : 1;
  const means = s.floats('target_mean_').data;
  if (means.length !== k) s.fail(`target_mean_ should hold ${k} value(s)`);
  const encodings = s.list('encodings_').map((e, i) => {
    if (!isNdArray(e)) return s.fail(`encodings_[${i}] should be an array`);
    return floatData(e, `encodings_[${i}]`);
  });
  if (encodings.length !== cats.length * k) s.fail(`encodings_ should hold ${cats.length * k} arrays`);
  return {
    className: s.className,
    transform(x: Data) {
      checkCols(x, cats.length, s.inst.name);
      const width = cats.length * k;
      const out = new Float64Array(x.rows * width);
      cats.forEach((m, j) => {
        const c = columnOf(x, j);
        for (let i = 0; i < x.rows; i++) {
          const idx = m.get(catKey(c[i]));
          for (let t = 0; t < k; t++) out[i * width + j * k + t] = idx === undefined ? means[t] : encodings[j * k + t][idx];
        }
      });
      return matrix(x.rows, width, out);
    },
  };
};

/** IterativeImputer's rounds pickle as namedtuples. */
export const imputeEncodeHelpers = ['sklearn.impute._ImputerTriplet'];

export const imputeEncodeBuilders: Record<string, Builder> = {
  'sklearn.impute.SimpleImputer': simpleImputer,
  'sklearn.impute.MissingIndicator': missingIndicator,
  'sklearn.impute.IterativeImputer': iterativeImputer,
  'sklearn.preprocessing.TargetEncoder': targetEncoder,
  'sklearn.preprocessing.OneHotEncoder': oneHotEncoder,
  'sklearn.preprocessing.OrdinalEncoder': ordinalEncoder,
};

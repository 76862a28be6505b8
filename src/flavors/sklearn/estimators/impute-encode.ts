import { MlflowError } from '../../../errors.js';
import type { NdArray } from '../../../formats/pickle/types.js';
import { columnOf, hstack, matrix, numCols, type Data, type TableColumn } from '../data.js';
import type { Builder } from '../estimator.js';
import { isNdArray, type State } from '../state.js';

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

const simpleImputer: Builder = (s) => {
  if (s.bool('add_indicator', false)) s.fail('add_indicator=True is not supported natively');
  const statistics = s.array('statistics_');
  const stats = valuesOf(statistics);
  // Fitted on an object column, the imputer keeps objects (None apart from NaN); fitted on
  // numbers, it reads its input as float64 first.
  const onObjects = statistics.dtype === '|O';
  const isMissing = missingTest(s.raw('missing_values'));
  const keepEmpty = s.bool('keep_empty_features', false);
  const strategy = s.stringOr('strategy', 'mean');
  // a column whose statistic is NaN was all-missing at fit time and is dropped (unless kept)
  const keep = stats.map((v, j) => j).filter((j) => {
    const v = stats[j];
    return keepEmpty || strategy === 'constant' || !(typeof v === 'number' && Number.isNaN(v));
  });
  return {
    className: s.className,
    transform(x: Data) {
      checkCols(x, stats.length, s.inst.name);
      const cols: TableColumn[] = [];
      let numeric = true;
      for (const j of keep) {
        const c = columnOf(x, j);
        const fill = stats[j];
        if (!onObjects && typeof fill === 'number') {
          const out = Float64Array.from(floatColumn(c, x.names ? `'${x.names[j]}'` : String(j)));
          for (let i = 0; i < out.length; i++) if (isMissing(out[i])) out[i] = fill;
          cols.push(out);
        } else {
          numeric = false;
          cols.push(Array.from(c as ArrayLike<unknown>, (v) => (isMissing(v) ? fill : v)));
        }
      }
      if (numeric) {
        return hstack(cols.map((c) => matrix(x.rows, 1, c as Float64Array)), x.rows);
      }
      return { kind: 'table', rows: x.rows, columns: cols, names: null };
    },
  };
};

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

const oneHotEncoder: Builder = (s) => {
  if (s.bool('_infrequent_enabled', false)) s.fail('infrequent categories are not supported natively');
  const cats = categoryMaps(s);
  const handle = s.stringOr('handle_unknown', 'error');
  const dropRaw = s.raw('drop_idx_');
  const drop: (number | null)[] = isNdArray(dropRaw)
    ? valuesOf(dropRaw).map((v) => (typeof v === 'number' ? v : null))
    : cats.map(() => null);
  const widths = cats.map((m, j) => m.size - (drop[j] === null ? 0 : 1));
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
        for (let i = 0; i < x.rows; i++) {
          const idx = m.get(catKey(c[i]));
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
  if (s.bool('_infrequent_enabled', false)) s.fail('infrequent categories are not supported natively');
  const cats = categoryMaps(s);
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
          const idx = m.get(key);
          let v: number;
          if (idx !== undefined) v = key === NAN ? encodedMissing : idx;
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

export const imputeEncodeBuilders: Record<string, Builder> = {
  'sklearn.impute.SimpleImputer': simpleImputer,
  'sklearn.preprocessing.OneHotEncoder': oneHotEncoder,
  'sklearn.preprocessing.OrdinalEncoder': ordinalEncoder,
};

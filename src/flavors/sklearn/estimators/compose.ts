import { MlflowError } from '../../../errors.js';
import { columnOf, hstack, matrix, numCols, selectColumns, toMatrix, type Data } from '../data.js';
import { afterTransform, type Builder, type BuildFn, type Estimator } from '../estimator.js';
import { isInstance, isNdArray, type State } from '../state.js';

/**
 * A block as np.hstack sees it: a DataFrame of number columns only (a passed-through selection,
 * which 1.5+ pickles hold as an identity FunctionTransformer) is numbers, not objects; one of bool
 * columns only is a bool array (beside float64 blocks, float64 again). A DataFrame mixing bool and
 * number columns stays objects, as pandas' to_numpy makes it.
 */
function numbersAsMatrix(sub: Data): Data {
  if (sub.kind !== 'table' || sub.oneD || sub.columns.length === 0) return sub;
  if (sub.columns.every((c) => c instanceof Float64Array)) return toMatrix(sub);
  if (sub.columns.every((c) => !(c instanceof Float64Array) && c.every((v) => typeof v === 'boolean'))) return { ...toMatrix(sub), bool: true };
  return sub;
}

/** transformer_weights of a ColumnTransformer or FeatureUnion: None or a {name: weight} dict. */
function transformerWeights(s: State): Map<unknown, unknown> | null {
  const w = s.raw('transformer_weights');
  if (w === null || w === undefined) return null;
  return w instanceof Map ? w : s.fail('transformer_weights should be None or a dict');
}

/**
 * A part's output times its weight, as sklearn's _transform_one multiplies it (a sparse output
 * stays sparse; an int64 count matrix times a float weight is float64).
 */
function weighted(out: Data, w: unknown): Data {
  if (w === undefined) return out;
  if (typeof w !== 'number') throw new MlflowError(`transformer weight ${String(w)} is not a number`, 'INVALID_PARAMETER_VALUE');
  if (out.kind === 'csr') return { ...out, values: out.values.map((v) => v * w), dtype: Number.isInteger(w) ? out.dtype : 'float64' };
  const m = toMatrix(out);
  return matrix(m.rows, m.cols, m.data.map((v) => v * w), m.names);
}

/** A pipeline step: an estimator, or 'passthrough' / None (identity). */
function buildStep(v: unknown, where: string, build: BuildFn): Estimator | null {
  if (v === 'passthrough' || v === null) return null;
  return build(v, where);
}

function missingMethod(who: string, method: string): never {
  throw new MlflowError(`${who} has no method ${method}`, 'INVALID_PARAMETER_VALUE');
}

const pipeline: Builder = (s, build) => {
  const steps = s.list('steps').map((st, i) => {
    if (!Array.isArray(st) || st.length !== 2 || typeof st[0] !== 'string') return s.fail(`steps[${i}] should be a (name, estimator) pair`);
    const name = st[0];
    return { name, est: buildStep(st[1], `${s.className} step '${name}'`, build) };
  });
  if (steps.length === 0) s.fail('the pipeline has no steps');
  const last = steps[steps.length - 1];
  const head = steps.slice(0, -1);
  const through = (x: Data): Data => {
    let cur = x;
    for (const st of head) {
      if (!st.est) continue;
      if (!st.est.transform) missingMethod(`Pipeline step '${st.name}' (${st.est.className})`, 'transform');
      cur = st.est.transform(cur);
    }
    return cur;
  };
  if (!last.est) return { className: s.className, transform: through };
  const est = afterTransform(s.className, through, last.est);
  // Pipeline.score_samples: the last step's, after the others' transforms
  if (last.est.scoreSamples) est.scoreSamples = (x) => last.est!.scoreSamples!(through(x));
  return est;
};

/** The index of column `n` in `names`, or sklearn's error when it is missing. */
function columnIndex(names: readonly string[] | null, n: string): number {
  const j = names ? names.indexOf(n) : -1;
  if (j < 0) throw new MlflowError(`columns are missing: {'${n}'}`, 'INVALID_PARAMETER_VALUE');
  return j;
}

/** The column indices a ColumnTransformer entry selects among `n` columns named `names`. */
function resolveColumns(spec: unknown, names: readonly string[] | null, n: number, s: State): number[] {
  const one = (v: unknown): number => {
    if (typeof v === 'string') return columnIndex(names, v);
    if (typeof v === 'number' && Number.isInteger(v)) return v < 0 ? n + v : v;
    return s.fail('a ColumnTransformer column should be a name or an index');
  };
  if (typeof spec === 'string' || typeof spec === 'number') return [one(spec)];
  if (isNdArray(spec)) {
    const vals = Array.isArray(spec.data) ? spec.data : Array.from(spec.data as ArrayLike<number>);
    if (spec.dtype.endsWith('b1')) return vals.flatMap((b, j) => (b ? [j] : []));
    return vals.map(one);
  }
  // sklearn >= 1.5 keeps the remainder's columns in a list subclass
  if (isInstance(spec) && spec.name === '_RemainderColsList') return resolveColumns(spec.state.data, names, n, s);
  if (Array.isArray(spec)) {
    if (spec.length > 0 && spec.every((b) => typeof b === 'boolean')) return spec.flatMap((b, j) => (b ? [j] : []));
    return spec.map(one);
  }
  if (isInstance(spec) && spec.name === 'slice') {
    const [start, stop, step] = spec.args as (number | string | null)[];
    if (typeof start === 'string' || typeof stop === 'string') {
      // label slices include their end
      const a = start === null ? 0 : one(start);
      const b = stop === null ? n - 1 : one(stop);
      const out: number[] = [];
      const st = typeof step === 'number' ? step : 1;
      for (let j = a; j <= b; j += st) out.push(j);
      return out;
    }
    const st = typeof step === 'number' ? step : 1;
    const a = start === null ? 0 : start < 0 ? n + start : start;
    const b = stop === null ? n : stop < 0 ? n + stop : Math.min(stop, n);
    const out: number[] = [];
    for (let j = a; j < b; j += st) out.push(j);
    return out;
  }
  return s.fail('unsupported ColumnTransformer column selection');
}

const columnTransformer: Builder = (s, build) => {
  const fitNames = s.has('feature_names_in_') ? (s.list('feature_names_in_') as string[]) : null;
  const weights = transformerWeights(s);
  const parts = s.list('transformers_').map((t, i) => {
    if (!Array.isArray(t) || t.length !== 3) return s.fail(`transformers_[${i}] should be a (name, transformer, columns) triple`);
    const [name, trans, columns] = t as [string, unknown, unknown];
    const est: Estimator | 'drop' | 'passthrough' =
      trans === 'drop' || trans === 'passthrough' ? trans : build(trans, `${s.className} transformer '${name}'`);
    return { name, est, columns };
  });
  return {
    className: s.className,
    transform(x: Data) {
      if (!(fitNames && x.names)) {
        const f = s.number('n_features_in_');
        if (numCols(x) !== f) {
          throw new MlflowError(`X has ${numCols(x)} features, but ColumnTransformer is expecting ${f} features as input.`, 'INVALID_PARAMETER_VALUE');
        }
      }
      const blocks: Data[] = [];
      for (const p of parts) {
        if (p.est === 'drop') continue;
        // fitted on a DataFrame and given one: every entry (indices too) selects the columns
        // that had those names at fit, by name (sklearn's column_as_labels)
        const idx = fitNames && x.names
          ? resolveColumns(p.columns, fitNames, fitNames.length, s).map((j) => columnIndex(x.names, fitNames[j]))
          : resolveColumns(p.columns, x.names ?? fitNames, numCols(x), s);
        if (idx.length === 0) continue;
        // a scalar column (a name or an index, not a list) selects a 1-D Series: a text vectorizer's documents
        const scalar = typeof p.columns === 'string' || typeof p.columns === 'number';
        const sub: Data = scalar ? { kind: 'table', rows: x.rows, columns: [columnOf(x, idx[0])], names: null, oneD: true } : selectColumns(x, idx);
        const out = numbersAsMatrix(p.est === 'passthrough' ? sub : p.est.transform ? p.est.transform(sub) : missingMethod(p.est.className, 'transform'));
        blocks.push(weighted(out, weights?.get(p.name)));
      }
      return hstack(blocks, x.rows);
    },
  };
};

const featureUnion: Builder = (s, build) => {
  const weights = transformerWeights(s);
  const parts = s.list('transformer_list').map((t, i) => {
    if (!Array.isArray(t) || t.length !== 2) return s.fail(`transformer_list[${i}] should be a (name, transformer) pair`);
    const [name, trans] = t as [string, unknown];
    const est: Estimator | 'drop' | 'passthrough' =
      trans === 'drop' || trans === 'passthrough' ? trans : build(trans, `${s.className} part '${name}'`);
    return { name, est };
  });
  return {
    className: s.className,
    transform(x: Data) {
      const blocks: Data[] = [];
      for (const p of parts) {
        if (p.est === 'drop') continue;
        const out = p.est === 'passthrough' ? x : p.est.transform ? p.est.transform(x) : missingMethod(p.est.className, 'transform');
        blocks.push(weighted(out, weights?.get(p.name)));
      }
      return hstack(blocks, x.rows);
    },
  };
};

export const composeBuilders: Record<string, Builder> = {
  'sklearn.pipeline.Pipeline': pipeline,
  'sklearn.pipeline.FeatureUnion': featureUnion,
  'sklearn.compose.ColumnTransformer': columnTransformer,
};

/** Estimators that select input columns by name themselves (no generic feature-name check). */
export const selectsByName = new Set(['sklearn.compose.ColumnTransformer']);

/**
 * make_column_selector in a ColumnTransformer's `transformers`: fit resolved it to column names,
 * which transformers_ holds and transform reads; the selector (pattern, dtype_include,
 * dtype_exclude) is kept as inert data and never called. The numpy scalar type hierarchy is what
 * its dtype_include/dtype_exclude name (np.number, np.floating, ...), as references only.
 */
export const composeHelpers = [
  'builtins.slice', 'sklearn.compose._RemainderColsList', 'sklearn.compose.make_column_selector',
  ...['number', 'floating', 'integer', 'signedinteger', 'unsignedinteger', 'inexact', 'complexfloating', 'generic', 'bool', 'datetime64', 'timedelta64']
    .map((t) => `numpy.${t}`),
];

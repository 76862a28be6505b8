import { MlflowError } from '../../../errors.js';
import { NUMERIC, type Attr } from '../attributes.js';
import { compressed, dense, select, toArray, type Vec } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { field, numberField, readDataRow } from '../model-data.js';
import { makeStage, stageName, type Stage, type StageLoader } from '../stage.js';
import { describeKind, Table, vectorColumn, vectorValues, type SparkColumn } from '../table.js';

/** The attributes a vector column has, or numeric ones of the first row's size (VectorAssembler's rule). */
export function vectorAttrs(col: SparkColumn & { kind: 'vector' }): readonly Attr[] | null {
  if (col.attrs) return col.attrs;
  const first = col.values.find((v) => v !== null);
  return first ? Array(first.size).fill(NUMERIC) : null;
}

/**
 * VectorAssembler: numeric, boolean and vector columns into one vector (Spark's compressed form).
 * handleInvalid: error (null, or NaN in a numeric column, is a 400 naming the column), skip (drop
 * the row), keep (NaN). Attributes: nominal and binary ones carry over, the rest are numeric.
 */
function loadVectorAssembler(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const inputs = meta.params.strings('inputCols');
  const outCol = meta.params.string('outputCol');
  const handleInvalid = meta.params.choice('handleInvalid', ['error', 'skip', 'keep'], 'error');
  return makeStage(meta, (t) => {
    const cols = inputs.map((name) => {
      const c = t.get(name, where);
      if (c.kind !== 'numeric' && c.kind !== 'boolean' && c.kind !== 'vector') {
        throw new MlflowError(`${where}: column '${name}' of type ${describeKind(c)} cannot be assembled into a vector`, 'BAD_REQUEST');
      }
      return c;
    });
    const widths: number[] = [];
    const attrs: Attr[] = [];
    cols.forEach((c, k) => {
      if (c.kind === 'vector') {
        const a = vectorAttrs(c);
        if (a === null) {
          if (t.numRows > 0 && handleInvalid !== 'keep') {
            throw new MlflowError(`${where}: vector column '${inputs[k]}' is null in every row, so its size is unknown`, 'BAD_REQUEST');
          }
          widths.push(0);
          return;
        }
        widths.push(a.length);
        attrs.push(...a);
      } else {
        widths.push(1);
        attrs.push(c.kind === 'numeric' && c.attr && c.attr.kind !== 'numeric' ? { ...c.attr, name: inputs[k] } : { kind: 'numeric', name: inputs[k] });
      }
    });
    const size = widths.reduce((a, b) => a + b, 0);
    const keep = handleInvalid === 'skip' ? new Uint8Array(t.numRows).fill(1) : null;
    const out: (Vec | null)[] = new Array(t.numRows);
    // one buffer for all rows; a dense row is a view of it, so rows cost no allocation of their own
    const all = new Float64Array(t.numRows * size);
    for (let i = 0; i < t.numRows; i++) {
      const buf = all.subarray(i * size, (i + 1) * size);
      let off = 0;
      let bad = false;
      for (let k = 0; k < cols.length && !bad; k++) {
        const c = cols[k];
        if (c.kind === 'vector') {
          const v = c.values[i];
          if (v === null) {
            if (handleInvalid === 'keep') buf.fill(NaN, off, off + widths[k]);
            else if (keep) bad = true;
            else throw new MlflowError(`${where}: column '${inputs[k]}' is null in row ${i} (handleInvalid=error)`, 'BAD_REQUEST');
          } else {
            if (v.size !== widths[k]) throw new MlflowError(`${where}: column '${inputs[k]}' holds a vector of size ${v.size} in row ${i}, expected ${widths[k]}`, 'BAD_REQUEST');
            if (v.indices === null) buf.set(v.values, off);
            else for (let j = 0; j < v.indices.length; j++) buf[off + v.indices[j]] = v.values[j];
          }
        } else {
          const x = c.kind === 'numeric' ? c.values[i] : c.values[i] === null ? NaN : c.values[i] ? 1 : 0;
          if (Number.isNaN(x) && handleInvalid !== 'keep') {
            if (keep) bad = true;
            else throw new MlflowError(`${where}: column '${inputs[k]}' is null or NaN in row ${i} (handleInvalid=error)`, 'BAD_REQUEST');
          }
          buf[off] = x;
        }
        off += widths[k];
      }
      if (bad && keep) {
        keep[i] = 0;
        out[i] = null;
      } else {
        out[i] = compressed(buf);
      }
    }
    const next = t.with([[outCol, vectorColumn(out, attrs)]]);
    return keep ? next.filter(keep) : next;
  });
}

/** VectorSizeHint: checks (error), drops (skip) or trusts (optimistic) the vectors' size; records it. */
function loadVectorSizeHint(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const inCol = meta.params.string('inputCol');
  const size = meta.params.number('size');
  const mode = meta.params.choice('handleInvalid', ['error', 'skip', 'optimistic'], 'error');
  return makeStage(meta, (t) => {
    const col = t.get(inCol, where);
    const vals = vectorValues(col, inCol, where);
    const attrs = col.kind === 'vector' && col.attrs?.length === size ? col.attrs : Array(size).fill(NUMERIC);
    const keep = mode === 'skip' ? new Uint8Array(t.numRows).fill(1) : null;
    if (mode !== 'optimistic') {
      vals.forEach((v, i) => {
        if (v !== null && v.size === size) return;
        if (keep) keep[i] = 0;
        else throw new MlflowError(`${where}: column '${inCol}' holds ${v === null ? 'null' : `a vector of size ${v.size}`} in row ${i}; the size hint is ${size}`, 'BAD_REQUEST');
      });
    }
    const next = t.with([[inCol, vectorColumn(vals, attrs)]]);
    return keep ? next.filter(keep) : next;
  });
}

/** VectorSlicer: the features at `indices`, then those named by `names` (from the input's attributes). */
function loadVectorSlicer(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  const indices = meta.params.has('indices') ? meta.params.numbers('indices') : [];
  const names = meta.params.has('names') ? meta.params.strings('names') : [];
  return makeStage(meta, (t) => {
    const col = t.get(inCol, where);
    const vals = vectorValues(col, inCol, where);
    const attrs = col.kind === 'vector' ? col.attrs : undefined;
    const byName = names.map((n) => {
      const k = attrs?.findIndex((a) => a.name === n) ?? -1;
      if (k < 0) throw new MlflowError(`${where}: column '${inCol}' has no feature named '${n}'`, 'BAD_REQUEST');
      return k;
    });
    const pick = [...indices, ...byName];
    const out = vals.map((v, i) => {
      if (v === null) return null;
      for (const k of pick) if (k >= v.size) throw new MlflowError(`${where}: index ${k} is beyond the size ${v.size} of column '${inCol}' in row ${i}`, 'BAD_REQUEST');
      return select(v, pick);
    });
    return t.with([[outCol, vectorColumn(out, attrs ? pick.map((k) => attrs[k]) : Array(pick.length).fill(NUMERIC))]]);
  });
}

/**
 * VectorIndexerModel: maps the values of categorical features to category indices
 * (`categoryMaps`); handleInvalid error (a 400 naming the column and feature), skip, keep.
 */
async function loadVectorIndexer(meta: StageMetadata): Promise<Stage> {
  const where = stageName(meta);
  const row = await readDataRow(meta.dir);
  const numFeatures = numberField(row, 'numFeatures', where);
  const raw = field(row, 'categoryMaps', where) as Record<string, Record<string, number>>;
  const maps = new Map<number, Map<number, number>>();
  for (const [f, m] of Object.entries(raw)) maps.set(Number(f), new Map(Object.entries(m).map(([k, v]) => [Number(k), v])));
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  const handleInvalid = meta.params.choice('handleInvalid', ['error', 'skip', 'keep'], 'error');
  const attrs: Attr[] = Array.from({ length: numFeatures }, (_, f) => {
    const m = maps.get(f);
    return m ? { kind: 'nominal', numValues: m.size + (handleInvalid === 'keep' ? 1 : 0) } : NUMERIC;
  });
  return makeStage(meta, (t: Table) => {
    const vals = vectorValues(t.get(inCol, where), inCol, where);
    const keep = handleInvalid === 'skip' ? new Uint8Array(t.numRows).fill(1) : null;
    const out = vals.map((v, i) => {
      if (v === null) return null;
      if (v.size !== numFeatures) throw new MlflowError(`${where}: column '${inCol}' holds a vector of size ${v.size} in row ${i}; the model expects ${numFeatures}`, 'BAD_REQUEST');
      const x = Float64Array.from(toArray(v));
      for (const [f, m] of maps) {
        const idx = m.get(x[f]);
        if (idx !== undefined) x[f] = idx;
        else if (handleInvalid === 'keep') x[f] = m.size;
        else if (keep) keep[i] = 0;
        else throw new MlflowError(`${where}: column '${inCol}' holds a category unseen at fit in feature ${f} of row ${i} (handleInvalid=error)`, 'BAD_REQUEST');
      }
      return v.indices === null ? dense(x) : compressed(x);
    });
    const next = t.with([[outCol, vectorColumn(out, attrs)]]);
    return keep ? next.filter(keep) : next;
  });
}

export const vectorLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.VectorAssembler': loadVectorAssembler,
  'org.apache.spark.ml.feature.VectorSizeHint': loadVectorSizeHint,
  'org.apache.spark.ml.feature.VectorSlicer': loadVectorSlicer,
  'org.apache.spark.ml.feature.VectorIndexerModel': loadVectorIndexer,
};

import { MlflowError } from '../../../errors.js';
import { toMatrix, type Csr, type Data } from '../data.js';
import type { Builder } from '../estimator.js';
import { floatData, isInstance, isNdArray, State } from '../state.js';
import { buildAnalyzer, documentText, type Analyzer } from '../text/analyzer.js';
import { murmurhash3Signed } from '../text/murmurhash3.js';

/**
 * The documents a vectorizer iterates over, as Python iterates its input: a 1-D array's values;
 * a DataFrame yields its column names (what sklearn itself does with a DataFrame, and so what
 * MLflow answers); a 2-D array yields rows, which are not documents.
 */
function documents(x: Data): string[] {
  if (x.kind === 'table' && x.oneD) return Array.from(x.columns[0] as ArrayLike<unknown>, documentText);
  if (x.names) return [...x.names];
  throw new MlflowError(
    'a text vectorizer takes a 1-D array of documents (strings); got a 2-D array, whose rows are not documents',
    'INVALID_PARAMETER_VALUE',
  );
}

/** Builds a CSR matrix row by row from per-row feature index lists, summing duplicates, indices sorted. */
export function csrFromRows(rows: { idx: number[]; val: number[] }[], cols: number, dtype: Csr['dtype']): Csr {
  const indptr = new Int32Array(rows.length + 1);
  const idxAll: number[] = [];
  const valAll: number[] = [];
  rows.forEach((r, i) => {
    const order = Int32Array.from(r.idx.keys()).sort((a, b) => r.idx[a] - r.idx[b]);
    let last = -1;
    for (const k of order) {
      const j = r.idx[k];
      if (j === last) valAll[valAll.length - 1] += r.val[k];
      else {
        idxAll.push(j);
        valAll.push(r.val[k]);
        last = j;
      }
    }
    indptr[i + 1] = idxAll.length;
  });
  return { kind: 'csr', rows: rows.length, cols, indptr, indices: Int32Array.from(idxAll), values: Float64Array.from(valAll), dtype, names: null };
}

/** The dtype parameter (numpy.float64 or numpy.int64 referenced as a type) as our CSR dtype. */
export function dtypeParam(s: State, dflt: Csr['dtype'], allowF32 = false): Csr['dtype'] {
  const d = s.raw('dtype');
  if (d === undefined || d === null) return dflt;
  const name = typeof d === 'object' && (d as { kind?: unknown }).kind === 'global' ? (d as { name: string }).name : null;
  if (name === 'float64' || name === 'int64' || (allowF32 && name === 'float32')) return name;
  return s.fail(`dtype ${name ?? String(d)} is not supported natively (${allowF32 ? 'float64, float32' : 'float64'} and int64 are)`);
}

/** sklearn's normalize(X, norm) ('l1' or 'l2', all the vectorizers allow) on CSR rows, in place: rows whose norm is 0 stay as they are. */
function normalizeRows(x: Csr, norm: string): void {
  for (let i = 0; i < x.rows; i++) {
    let n = 0;
    for (let p = x.indptr[i]; p < x.indptr[i + 1]; p++) {
      const v = x.values[p];
      n += norm === 'l2' ? v * v : Math.abs(v);
    }
    if (n === 0) continue;
    if (norm === 'l2') n = Math.sqrt(n);
    for (let p = x.indptr[i]; p < x.indptr[i + 1]; p++) x.values[p] /= n;
  }
}

function normOf(s: State): string | null {
  const n = s.raw('norm');
  if (n === null || n === undefined) return null;
  if (n === 'l1' || n === 'l2') return n;
  return s.fail(`norm=${JSON.stringify(n)} is not supported natively`);
}

/** CountVectorizer's counts of the vocabulary_ features of each document (unknown features dropped). */
function countVectorizer(s: State): { analyzer: Analyzer; vocab: Map<string, number>; size: number; binary: boolean; dtype: Csr['dtype']; transform: (x: Data) => Csr } {
  const raw = s.raw('vocabulary_');
  if (!(raw instanceof Map)) s.fail("attribute 'vocabulary_' should be a dict (is the vectorizer fitted?)");
  const vocab = new Map<string, number>();
  for (const [k, v] of raw as Map<unknown, unknown>) {
    const j = typeof v === 'bigint' ? Number(v) : v;
    if (typeof k !== 'string' || typeof j !== 'number') s.fail('vocabulary_ should map strings to indices');
    vocab.set(k, j as number);
  }
  const size = vocab.size === 0 ? 0 : Math.max(...vocab.values()) + 1;
  const analyzer = buildAnalyzer(s);
  const binary = s.bool('binary', false);
  const dtype = dtypeParam(s, 'int64');
  const transform = (x: Data): Csr => {
    const rows = documents(x).map((doc) => {
      const idx: number[] = [];
      for (const f of analyzer(doc)) {
        const j = vocab.get(f);
        if (j !== undefined) idx.push(j);
      }
      return { idx, val: idx.map(() => 1) };
    });
    const out = csrFromRows(rows, size, dtype);
    if (binary) out.values.fill(1);
    return out;
  };
  return { analyzer, vocab, size, binary, dtype, transform };
}

/** A CSR copy of any input, as float64 (TfidfTransformer accepts dense input too). */
function asFloatCsr(x: Data): Csr {
  if (x.kind === 'csr') return { ...x, values: Float64Array.from(x.values), dtype: 'float64' };
  const m = toMatrix(x);
  const rows = Array.from({ length: m.rows }, (_, i) => {
    const idx: number[] = [];
    const val: number[] = [];
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j];
      if (v !== 0) {
        idx.push(j);
        val.push(v);
      }
    }
    return { idx, val };
  });
  return csrFromRows(rows, m.cols, 'float64');
}

/**
 * TfidfTransformer.transform: log(tf) + 1 when sublinear_tf, times idf_ when use_idf (scikit-learn
 * < 1.5 keeps idf in a sparse diagonal _idf_diag, newer ones in idf_), then row normalization.
 */
function tfidf(s: State): (x: Data) => Csr {
  let idf: Float64Array | null = null;
  if (s.has('idf_')) idf = s.floats('idf_').data;
  else if (s.has('_idf_diag')) {
    const diag = s.instance('_idf_diag').state;
    const [data, indices, indptr] = [diag.data, diag.indices, diag.indptr];
    if (!isNdArray(data) || !isNdArray(indices) || !isNdArray(indptr)) return s.fail('_idf_diag should be a CSR matrix');
    const d = floatData(data, '_idf_diag.data');
    const n = indptr.data.length - 1;
    idf = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let p = Number(indptr.data[i]); p < Number(indptr.data[i + 1]); p++) idf[Number(indices.data[p])] += d[p];
    }
  } else if (s.bool('use_idf', true)) s.fail("attribute 'idf_' is missing (is the transformer fitted?)");
  const sublinear = s.bool('sublinear_tf', false);
  const norm = normOf(s);
  const features = idf?.length ?? null;
  return (x) => {
    const out = asFloatCsr(x);
    if (features !== null && out.cols !== features) {
      throw new MlflowError(`X has ${out.cols} features, but TfidfTransformer is expecting ${features} features as input.`, 'INVALID_PARAMETER_VALUE');
    }
    const v = out.values;
    if (sublinear) for (let p = 0; p < v.length; p++) v[p] = Math.log(v[p]) + 1;
    if (idf) for (let p = 0; p < v.length; p++) v[p] *= idf[out.indices[p]];
    if (norm) normalizeRows(out, norm);
    return out;
  };
}

const count: Builder = (s) => ({ className: s.className, transform: countVectorizer(s).transform });

const tfidfTransformer: Builder = (s) => ({ className: s.className, transform: tfidf(s) });

const tfidfVectorizer: Builder = (s) => {
  const counts = countVectorizer(s);
  const inner = s.instance('_tfidf');
  if (!isInstance(inner) || inner.name !== 'TfidfTransformer') s.fail('_tfidf should be a TfidfTransformer');
  const weigh = tfidf(new State(inner));
  if (counts.dtype !== 'float64') s.fail('TfidfVectorizer dtype should be float64');
  return { className: s.className, transform: (x) => weigh(counts.transform(x)) };
};

/**
 * HashingVectorizer: each feature goes to column |h| mod n_features of its signed MurmurHash3
 * (h = -2^31 goes to (2^31 - 1 - (n_features - 1)) mod n_features, as sklearn's hasher), with
 * sign of h when alternate_sign; duplicates summed, then binary and norm.
 */
const hashingVectorizer: Builder = (s) => {
  const analyzer = buildAnalyzer(s);
  const n = s.number('n_features');
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1) s.fail('n_features should be a positive 32-bit integer');
  const alternate = s.bool('alternate_sign', true);
  const binary = s.bool('binary', false);
  const norm = normOf(s);
  const dtype = dtypeParam(s, 'float64');
  return {
    className: s.className,
    transform(x) {
      const rows = documents(x).map((doc) => {
        const idx: number[] = [];
        const val: number[] = [];
        for (const f of analyzer(doc)) {
          const h = murmurhash3Signed(f);
          idx.push(h === -2147483648 ? (2147483647 - (n - 1)) % n : Math.abs(h) % n);
          val.push(alternate && h < 0 ? -1 : 1);
        }
        return { idx, val };
      });
      const out = csrFromRows(rows, n, dtype);
      if (binary) out.values.fill(1);
      if (norm) normalizeRows(out, norm);
      return out;
    },
  };
};

export const textBuilders: Record<string, Builder> = {
  'sklearn.feature_extraction.CountVectorizer': count,
  'sklearn.feature_extraction.TfidfVectorizer': tfidfVectorizer,
  'sklearn.feature_extraction.TfidfTransformer': tfidfTransformer,
  'sklearn.feature_extraction.HashingVectorizer': hashingVectorizer,
};

/** Vectorizers take 1-D documents: no check_array on their input. */
export const takesDocuments = new Set(Object.keys(textBuilders).filter((k) => k !== 'sklearn.feature_extraction.TfidfTransformer'));

/** A pickled TfidfTransformer of scikit-learn < 1.5 holds its idf as a scipy CSR diagonal. */
export const textHelpers = ['scipy.sparse._csr.csr_matrix', 'scipy.sparse.csr.csr_matrix'];

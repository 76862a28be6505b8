import { ModelRaisedError, NotSupportedNativelyError } from '../../../errors.js';
import { pythonTypeName } from '../../../frame/python-text.js';
import { densify, type Csr, type Data } from '../data.js';
import type { Builder } from '../estimator.js';
import type { State } from '../state.js';
import { murmurhash3Signed } from '../text/murmurhash3.js';
import { csrFromRows, dtypeParam } from './text.js';

/**
 * DictVectorizer and FeatureHasher: features from per-row mappings (or string lists, or pairs).
 *
 * They iterate their input as Python does. Through MLflow's scoring server a model only ever
 * gets a DataFrame (or numpy arrays), whose iteration yields column names, so at the top of a
 * pipeline both fail in MLflow 2.22.1 (`'str' object has no attribute 'items'`), and fail here
 * alike. What works there is a ColumnTransformer handing them one object column (a scalar column
 * selector gives a Series): a column of JSON objects, or of string lists for
 * FeatureHasher(input_type='string'). That is the input implemented here.
 */
function samples(x: Data, what: string): unknown[] {
  if (x.kind === 'table' && x.oneD) return x.columns[0] as unknown[];
  // a DataFrame iterates over its column names, a 2-D array over its rows
  const first = x.names ? 'str' : 'numpy.ndarray';
  throw new ModelRaisedError(`${what}: '${first}' object has no attribute 'items' (it takes one column of mappings, as a ColumnTransformer's scalar column selector gives)`);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (isMapping(v)) return 'dict';
  return pythonTypeName(v, false);
}

/** The mapping's (key, value) pairs as d.items() gives them, or sklearn's AttributeError. */
function items(d: unknown): [string, unknown][] {
  if (!isMapping(d)) throw new ModelRaisedError(`'${typeOf(d)}' object has no attribute 'items'`);
  return Object.entries(d);
}

/** A JSON number or bool as Python's float(v); bigints (integers beyond 2^53) as the nearest double. */
function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

/**
 * DictVectorizer.transform: a string value is feature `key=value` (1), a number (or bool, or
 * None as NaN) is feature `key`, a list of strings is one `key=item` per item; features not in
 * vocabulary_ are dropped. CSR (sorted indices) or dense as `sparse` says.
 */
const dictVectorizer: Builder = (s: State) => {
  const raw = s.raw('vocabulary_');
  if (!(raw instanceof Map)) s.fail("attribute 'vocabulary_' should be a dict (is the vectorizer fitted?)");
  const vocab = new Map<string, number>();
  for (const [k, v] of raw as Map<unknown, unknown>) {
    const j = numberOf(v);
    if (typeof k !== 'string' || j === undefined) s.fail('vocabulary_ should map strings to indices');
    vocab.set(k, j);
  }
  const sep = s.stringOr('separator', '=');
  const sparse = s.bool('sparse', true);
  const dtype = valueDtype(s);
  // our dense matrices are float64 or float32: a dense int64 answer would lose its dtype
  if (dtype === 'int64' && !sparse) s.fail('dtype int64 with sparse=False is not supported natively (int64 is, with sparse output)');
  // each value as self.dtype(v) makes it: np.int64(v) truncates, and raises for None
  const cast = dtype === 'int64' ? (v: number | null): number => npInt64(v) : (v: number | null): number => (v === null ? NaN : v);
  return {
    className: s.className,
    transform(x) {
      const rows = samples(x, 'DictVectorizer').map((d) => {
        const idx: number[] = [];
        const val: number[] = [];
        const add = (name: string, value: number): void => {
          const j = vocab.get(name);
          if (j === undefined) return;
          idx.push(j);
          val.push(value);
        };
        for (const [f, v] of items(d)) {
          if (typeof v === 'string') add(`${f}${sep}${v}`, 1);
          else if (v === null) {
            if (vocab.has(f)) add(f, cast(null));
          } else if (numberOf(v) !== undefined) {
            if (vocab.has(f)) add(f, cast(numberOf(v)!));
          }
          else if (Array.isArray(v)) {
            for (const item of v) {
              if (typeof item !== 'string') {
                throw new ModelRaisedError(`Unsupported type <class '${typeOf(item)}'> in iterable value. Only iterables of string are supported.`);
              }
              add(`${f}${sep}${item}`, 1);
            }
          } else throw new ModelRaisedError(`Unsupported value Type <class '${typeOf(v)}'> for ${f}. <class '${typeOf(v)}'> objects are not supported.`);
        }
        return { idx, val };
      });
      const out = inDtype(csrFromRows(rows, vocab.size, dtype === 'int64' ? 'int64' : 'float64'), dtype);
      return sparse ? out : densify(out);
    },
  };
};

/** A FeatureHasher sample as its (name, value) pairs, as transform iterates it per input_type. */
type Pairs = (sample: unknown, first: boolean) => Iterable<[unknown, unknown]>;

function pairsOf(inputType: string, s: State): Pairs {
  if (inputType === 'dict') return (d) => items(d);
  if (inputType === 'pair') {
    return (x) => {
      if (!Array.isArray(x)) throw new ModelRaisedError(`'${typeOf(x)}' object is not an iterable of (feature, value) pairs`);
      return x.map((p) => {
        if (!Array.isArray(p) || p.length !== 2) throw new ModelRaisedError('each (feature, value) pair should hold 2 values');
        return [p[0], p[1]] as [unknown, unknown];
      });
    };
  }
  if (inputType === 'string') {
    return (x, first) => {
      // only the first sample is checked for being a single string; a later one iterates its characters
      if (typeof x === 'string' && first) {
        throw new ModelRaisedError('Samples can not be a single string. The input must be an iterable over iterables of strings.');
      }
      const list = typeof x === 'string' ? Array.from(x) : x;
      if (!Array.isArray(list)) throw new ModelRaisedError(`'${typeOf(x)}' object is not iterable`);
      return list.map((f) => [f, 1] as [unknown, unknown]);
    };
  }
  return s.fail(`input_type ${JSON.stringify(inputType)} is not supported natively`);
}

/**
 * FeatureHasher.transform: a string value v makes feature `name=v` with value 1; a zero value is
 * skipped; column |h| mod n_features of the name's signed MurmurHash3 (h = -2^31 as sklearn's
 * hasher maps it), value times the sign of h when alternate_sign; duplicates summed.
 */
const featureHasher: Builder = (s: State) => {
  const n = s.number('n_features');
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1) s.fail('n_features should be a positive 32-bit integer');
  const alternate = s.bool('alternate_sign', true);
  const pairs = pairsOf(s.stringOr('input_type', 'dict'), s);
  const dtype = valueDtype(s);
  return {
    className: s.className,
    transform(x) {
      const rows = samples(x, 'FeatureHasher').map((sample, i) => {
        const idx: number[] = [];
        const val: number[] = [];
        for (const [f, v] of pairs(sample, i === 0)) {
          let name = f;
          let value: number;
          if (typeof v === 'string') {
            name = `${String(f)}=${v}`;
            value = 1;
          } else {
            const num = numberOf(v);
            if (num === undefined) throw new ModelRaisedError(`must be real number, not ${typeOf(v)}`);
            value = num;
          }
          if (value === 0) continue;
          if (typeof name !== 'string') throw new ModelRaisedError('feature names must be strings');
          const h = murmurhash3Signed(name);
          idx.push(h === -2147483648 ? (2147483647 - (n - 1)) % n : Math.abs(h) % n);
          const signed = alternate && h < 0 ? -value : value;
          // int64: the float64 values are cast (truncated) by csr_matrix(dtype=int64), then summed
          val.push(dtype === 'int64' ? castToInt64(signed) : signed);
        }
        return { idx, val };
      });
      return inDtype(csrFromRows(rows, n, dtype === 'int64' ? 'int64' : 'float64'), dtype);
    },
  };
};

/** The values in the vectorizer's dtype: float32 rounds each one (duplicates were summed first). */
function inDtype(x: Csr, dtype: Csr['dtype']): Csr {
  return dtype === 'float32' ? { ...x, values: x.values.map(Math.fround), dtype } : x;
}

/** The dtype parameter: float64 (the default), float32 or int64. */
function valueDtype(s: State): Csr['dtype'] {
  return dtypeParam(s, 'float64', true);
}

/** Integers whose float64 sums stay exact: beyond, our int64 values (held as doubles) would round. */
const EXACT_INT = 2 ** 53;

/** numpy's C cast of a float64 to int64 (truncation); NaN, infinities and huge values are platform-defined there. */
function castToInt64(v: number): number {
  if (!(Math.abs(v) < EXACT_INT)) throw new NotSupportedNativelyError(`FeatureHasher(dtype=int64): the value ${v} is not cast to int64 natively (numpy's cast of it is platform-defined or beyond 2^53)`);
  return Math.trunc(v);
}

/** np.int64(v) of a Python number or None, with its errors. */
function npInt64(v: number | null): number {
  if (v === null) throw new ModelRaisedError("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
  if (Number.isNaN(v)) throw new ModelRaisedError('cannot convert float NaN to integer');
  if (!(Math.abs(v) < EXACT_INT)) throw new NotSupportedNativelyError(`DictVectorizer(dtype=int64): the value ${v} is beyond the integers held exactly natively (2^53)`);
  return Math.trunc(v);
}

export const dictFeatureBuilders: Record<string, Builder> = {
  'sklearn.feature_extraction.DictVectorizer': dictVectorizer,
  'sklearn.feature_extraction.FeatureHasher': featureHasher,
};

/** They take one column of samples: no check_array on their input. */
export const takesMappings = new Set(Object.keys(dictFeatureBuilders));
